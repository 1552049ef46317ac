"""``nodesFile``: the node list read from a file of the project instead of the ``nodes`` key.

Pulumi hands a program its whole config in one environment variable, which Linux caps at 128 KiB, so a list of a
few thousand nodes does not fit in ``nodes``. Two formats:

* Kubernetes the Hard Way's ``machines.txt`` as the tutorial writes it, one machine a line:
  ``IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET]``. HOSTNAME is the node name, POD_SUBNET pins the node's pod CIDR
  (comma-separated when dual-stack). A line without POD_SUBNET is a machine that runs no pods (the tutorial lists
  its control-plane host ``server`` that way): it is checked like any node and listed in the plan, but takes no
  pod block and gets no route. Blank lines and lines starting with ``#`` are skipped.
* A YAML list of the same objects as ``nodes`` (``{name, address, podCidr?}``), for a file whose name ends in
  ``.yaml`` or ``.yml``; a node without podCidr gets the lowest free block, as in ``nodes``.

Every problem names the file and line (``nodesFile (machines.txt:3, IPV4_ADDRESS)``, ``nodesFile (nodes.yaml:7)``)
and all of them are reported together.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path
from typing import Any

import yaml

from components.errors import ConfigError, Problems, raise_all, shown
from components.network_config_keys import nodes_file_key
from components.network_plan import NodeAddress, NodesFile, NodeSpec, PodBlock
from components.node_fields import parse_addresses, parse_node, parse_pod_blocks

KEY = "nodesFile"
MAX_FILE_BYTES = 64 * 2**20
"""A node file larger than this is refused rather than read (50,000 machines.txt lines take about 3 MiB)."""
YAML_SUFFIXES = (".yaml", ".yml")
_PATH_ACCEPTED = "a path relative to the project directory (where Pulumi.yaml is), such as machines.txt"
_YAML_ACCEPTED = "a YAML list of {name, address, podCidr?} objects"
_LINE_ACCEPTED = "IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET], separated by blanks"
_FQDN = re.compile(r"(?=.{1,253}\.?$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}"
                   r"[A-Za-z0-9])?)*\.?")
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def checked_path(value: Any) -> str:
    """The ``nodesFile`` value: a relative path without NUL characters."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(KEY, "is not a path", _PATH_ACCEPTED)
    if "\0" in value or len(value) > 4096:
        raise ConfigError(KEY, "is not a usable path", _PATH_ACCEPTED)
    if value.startswith(("/", "~")):
        raise ConfigError(KEY, "is an absolute path or starts with '~', which ties the stack to one machine",
                          _PATH_ACCEPTED)
    return value


def read_text(path_text: str, project_dir: Path) -> str:
    """The file's text, refusing what is missing, not a regular file, too large or not UTF-8."""
    path = project_dir / path_text
    name = shown(path_text)  # the path as messages show it: never a long or secret-looking value whole
    try:
        if not path.is_file():
            problem = "is not a regular file" if path.exists() else "does not exist"
            raise ConfigError(KEY, f"{name} {problem} in the project directory {project_dir}", _PATH_ACCEPTED)
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(KEY, f"{name} is larger than {MAX_FILE_BYTES // 2**20} MiB",
                              "a file listing the nodes")
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(KEY, f"{name} is not UTF-8 text (byte {error.start})", "a UTF-8 text file") from None
    except OSError as error:
        raise ConfigError(KEY, f"{name} cannot be read ({error.strerror})", "a readable file") from None


def parse_machines_txt(text: str, source: NodesFile) -> tuple[NodeSpec, ...]:
    """The machines of a machines.txt, every problem of every line raised together."""
    problems: list[ConfigError] = []
    nodes: list[NodeSpec] = []
    for line, raw in enumerate(text.splitlines(), start=1):
        fields = raw.split()
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) not in (3, 4):
            problems.append(ConfigError(nodes_file_key(source.path, line), f"has {len(fields)} fields",
                                        _LINE_ACCEPTED))
            continue
        address_text, fqdn, hostname = fields[:3]
        line_problems = Problems()
        empty: tuple[Any, ...] = ()
        addresses: tuple[NodeAddress, ...] = line_problems.check(
            partial(parse_addresses, address_text, nodes_file_key(source.path, line, "IPV4_ADDRESS")), empty)
        if not _FQDN.fullmatch(fqdn):
            line_problems.errors.append(ConfigError(nodes_file_key(source.path, line, "FQDN"), "is not a DNS name",
                                                    "a fully qualified host name such as node-0.kubernetes.local"))
        pinned: tuple[PodBlock, ...] = empty if len(fields) != 4 else line_problems.check(
            partial(parse_pod_blocks, fields[3], nodes_file_key(source.path, line, "POD_SUBNET")), empty)
        if line_problems.errors:
            problems += line_problems.errors
            continue
        nodes.append(NodeSpec(position=len(nodes), name=hostname, addresses=addresses, pinned=pinned,
                              runs_pods=len(fields) == 4, source=source, line=line))
    raise_all(problems)
    return tuple(nodes)


def parse_yaml_nodes(text: str, source: NodesFile) -> tuple[NodeSpec, ...]:
    """The nodes of a YAML list of ``nodes`` objects, every problem of every item raised together."""
    loader = _Loader(text)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            key = KEY if mark is None else nodes_file_key(source.path, mark.line + 1)
            problem = getattr(error, "problem", None) or "cannot be parsed"
            raise ConfigError(key, f"is not valid YAML: {problem}", _YAML_ACCEPTED) from None
        if root is None:
            return ()
        if not isinstance(root, yaml.SequenceNode):
            raise ConfigError(KEY, f"{source.path} is not a YAML list", _YAML_ACCEPTED)
        problems = Problems()
        nodes: list[NodeSpec] = []
        for item in root.value:
            line = item.start_mark.line + 1
            key = nodes_file_key(source.path, line)
            try:
                value = loader.construct_object(item, deep=True)
            except yaml.YAMLError:
                problems.errors.append(ConfigError(key, "is not a plain YAML value", "{name, address, podCidr?}"))
                continue
            node = problems.check(partial(parse_node, value, len(nodes), key, source, line), None)
            if node is not None:
                nodes.append(node)
        problems.raise_any()
        return tuple(nodes)
    finally:
        loader.dispose()


def read_nodes_file(value: Any, project_dir: Path) -> tuple[NodeSpec, ...]:
    """The node list of ``nodesFile``, read relative to ``project_dir``; machines.txt unless the name ends in
    .yaml or .yml."""
    path_text = checked_path(value)
    text = read_text(path_text, project_dir)
    source = NodesFile(path=path_text, machines_txt=not path_text.endswith(YAML_SUFFIXES))
    nodes = parse_machines_txt(text, source) if source.machines_txt else parse_yaml_nodes(text, source)
    if not nodes:
        raise ConfigError(KEY, f"{shown(path_text)} lists no machines", "at least one node")
    return nodes
