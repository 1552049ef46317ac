"""``nodesFile``: the node list read from a file of the project instead of the ``nodes`` key.

Pulumi hands a program its whole config in one environment variable, which Linux caps at 128 KiB, so a list of a
few thousand nodes does not fit in ``nodes``. Two formats:

* Kubernetes the Hard Way's ``machines.txt``, one machine a line: ``IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET]``,
  read as the tutorial's loops read it (machines_txt.py). HOSTNAME is the node name, POD_SUBNET pins the node's
  pod CIDR (comma-separated when dual-stack). A line without POD_SUBNET is a machine that runs no pods (the
  tutorial lists its control-plane host ``server`` that way): it is checked like any node and listed in the plan,
  but takes no pod block and gets no route.
* A YAML list of the same objects as ``nodes`` (``{name, address, podCidr?}``), for a file whose name ends in
  ``.yaml`` or ``.yml`` in any case (yaml_list.py); a node without podCidr gets the lowest free block.

The file must lie inside the project directory once every symbolic link and ``..`` is resolved (project_file.py),
and no message quotes it (problems.py). Problems name the file and line (``nodesFile (machines.txt:3,
IPV4_ADDRESS)``, ``nodesFile (nodes.yaml:7).address``), or the line alone where the path is not shown (``nodesFile
(line 3, IPV4_ADDRESS)``), and all of them are reported together.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from components.config.errors import ConfigError
from components.config.shown import shown
from components.network.keys import nodes_file_key
from components.network.model import NodesFile, NodeSpec
from components.network.nodes_file.machines_txt import parse_machines_txt
from components.network.nodes_file.problems import KEY
from components.network.nodes_file.project_file import read_project_file
from components.network.nodes_file.yaml_list import parse_yaml_nodes

MAX_FILE_BYTES = 64 * 2**20
"""A node file larger than this is refused rather than read (50,000 machines.txt lines take about 3 MiB)."""
YAML_SUFFIXES = (".yaml", ".yml")
PATH_ACCEPTED = ("a path relative to the project directory (where Pulumi.yaml is), such as machines.txt, that stays "
                 "inside it through every '..' and symbolic link")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9._/-]+")


def checked_path(value: Any) -> str:
    """The ``nodesFile`` value: a relative path without NUL characters."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(KEY, "is not a path", PATH_ACCEPTED, safe=True)
    if "\0" in value or len(value) > 4096:
        raise ConfigError(KEY, "is not a usable path", PATH_ACCEPTED, safe=True)
    if value.startswith(("/", "~")):
        raise ConfigError(KEY, "is an absolute path or starts with '~', which ties the stack to one machine",
                          PATH_ACCEPTED, safe=True)
    return value


def path_label(path_text: str) -> str:
    """How messages name the file: the path as written when it is plain and ``shown`` shows it as written (not
    set with --secret, not long); else "", and messages name the line alone (``nodesFile (line 3)``)."""
    return path_text if _PLAIN_PATH.fullmatch(path_text) and shown(path_text) == repr(path_text) else ""


def decoded(data: bytes, label: str) -> str:
    """The file's text: UTF-8 without NUL characters."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(nodes_file_key(label, data.count(b"\n", 0, error.start) + 1), "is not UTF-8 text",
                          "a UTF-8 text file listing the nodes", safe=True) from None
    nul = text.find("\0")
    if nul >= 0:
        raise ConfigError(nodes_file_key(label, text.count("\n", 0, nul) + 1),
                          "has a NUL character: the file is not text", "a text file listing the nodes", safe=True)
    return text


def read_nodes_file(value: Any, project_dir: Path) -> tuple[NodeSpec, ...]:
    """The node list of ``nodesFile``, read relative to ``project_dir``; machines.txt unless the name ends in
    .yaml or .yml, in any case."""
    path_text = checked_path(value)
    data = read_project_file(path_text, project_dir, KEY, PATH_ACCEPTED, MAX_FILE_BYTES)
    source = NodesFile(path=path_label(path_text), machines_txt=not path_text.lower().endswith(YAML_SUFFIXES))
    text = decoded(data, source.path)
    nodes = parse_machines_txt(text, source) if source.machines_txt else parse_yaml_nodes(text, source)
    if not nodes:
        raise ConfigError(KEY, f"{shown(path_text)} lists no machines", "at least one node", safe=True)
    return nodes
