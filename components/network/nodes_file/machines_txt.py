"""Kubernetes the Hard Way's ``machines.txt``, read as the tutorial's own loops read it.

One machine a line: ``IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET]`` (docs/03-compute-resources.md). The tutorial reads
the file with ``while read IP FQDN HOST SUBNET; do ...; done < machines.txt``: bash's ``read`` without -r and the
default IFS. So a line ends at ``\\n`` only (not at a form feed, vertical tab, NEL or Unicode separator, where
``str.splitlines`` would split), and fields are separated by spaces and tabs only (not by the other blanks
``str.split`` knows). Where ``read`` would take something else than the text shows, the file is refused: a byte
order mark (part of the first address), a carriage return (part of the last column), a backslash (an escape, or a
line continuation), a last line without newline (which the loop skips). Blank lines and ``#`` comments, which the
tutorial's file has none of, are skipped.
"""

from __future__ import annotations

from components.config.dns_names import is_dns_name
from components.config.errors import ConfigError, Problems
from components.config.wording import counted
from components.network.blocks import PodBlock
from components.network.keys import nodes_file_key
from components.network.model import NodesFile, NodeSpec
from components.network.node_fields import parse_addresses, parse_pod_blocks
from components.network.nodes_file.problems import MAX_PROBLEMS, column, name_problem, stopped

LINE_ACCEPTED = "IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET], separated by spaces or tabs"


def text_lines(text: str) -> tuple[list[str], str]:
    """The lines of ``text`` as ``read`` ends them, at ``\\n`` only, and what follows the last newline ("" when the
    text ends with one)."""
    *lines, rest = text.split("\n")
    return lines, rest


def line_fields(line: str) -> list[str]:
    """The fields of one line as ``read`` splits it: on runs of spaces and tabs, never on other blanks (form feed,
    vertical tab, no-break space...), which belong to a field."""
    return [field for field in line.replace("\t", " ").split(" ") if field]


def parse_machines_txt(text: str, source: NodesFile) -> tuple[NodeSpec, ...]:
    """The machines of a machines.txt, every problem of every line raised together."""
    problems = Problems()
    errors = problems.errors
    if text.startswith("\ufeff"):
        errors.append(ConfigError(
            nodes_file_key(source.path, 1), "starts with a byte order mark (U+FEFF), which the tutorial's "
            "`while read` takes as part of the first IPV4_ADDRESS",
            "UTF-8 without a byte order mark (remove it: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE)", safe=True))
        text = text[1:]
    lines, last = text_lines(text)
    if "\r" in text:
        errors.append(_carriage_returns(lines, source.path))
    nodes: list[NodeSpec] = []
    for line, raw in enumerate(lines, start=1):
        if len(errors) >= MAX_PROBLEMS:
            errors.append(stopped(line))
            break
        if "\r" in raw:
            continue  # told once for the file
        if "\\" in raw:
            errors.append(ConfigError(nodes_file_key(source.path, line), "has a backslash, which the tutorial's "
                                      "`while read` (without -r) takes as an escape or a line continuation",
                                      LINE_ACCEPTED, safe=True))
            continue
        fields = line_fields(raw)
        if not fields or fields[0].startswith("#"):
            continue
        if len(fields) not in (3, 4):
            errors.append(ConfigError(nodes_file_key(source.path, line),
                                      f"has {counted(len(fields), 'field')}", LINE_ACCEPTED,
                                      without_values="does not have 3 or 4 fields"))
            continue
        node = _machine(fields, line, len(nodes), source, problems)
        if node is not None:
            nodes.append(node)
    fields = line_fields(last)
    if fields and not fields[0].startswith("#") and len(errors) < MAX_PROBLEMS:
        errors.append(ConfigError(nodes_file_key(source.path, len(lines) + 1), "has no newline at its end, so the "
                                  "tutorial's `while read` loops skip it", "a newline after the last line",
                                  safe=True))
    problems.raise_any()
    return tuple(nodes)


def _carriage_returns(lines: list[str], label: str) -> ConfigError:
    """One problem for every line with a carriage return (a file with Windows line ends has one on each)."""
    numbers = [line for line, raw in enumerate(lines, start=1) if "\r" in raw] or [len(lines) + 1]
    more = f", as {len(numbers) - 1} more lines do" if len(numbers) > 1 else ""
    return ConfigError(nodes_file_key(label, numbers[0]), f"has a carriage return (Windows line ends){more}, which "
                       "the tutorial's `while read` keeps as part of the last column",
                       "Unix line ends (convert them: sed -i 's/\\r$//' FILE)",
                       without_values="has a carriage return (Windows line ends)")


def _machine(fields: list[str], line: int, position: int, source: NodesFile, problems: Problems) -> NodeSpec | None:
    """The node of one line of 3 or 4 fields, or None after recording each column's problem."""
    before = len(problems.errors)
    address_text, fqdn, hostname = fields[:3]
    label = source.path
    addresses = column(parse_addresses, address_text, lambda: nodes_file_key(label, line, "IPV4_ADDRESS"), problems)
    if not is_dns_name(fqdn):
        problems.errors.append(ConfigError(nodes_file_key(label, line, "FQDN"), "is not a DNS name",
                                           "a fully qualified host name such as node-0.kubernetes.local",
                                           safe=True))
    bad_name = name_problem(hostname, lambda: nodes_file_key(label, line, "HOSTNAME"))
    if bad_name is not None:
        problems.errors.append(bad_name)
    empty: tuple[PodBlock, ...] = ()
    pinned = empty if len(fields) == 3 else column(
        parse_pod_blocks, fields[3], lambda: nodes_file_key(label, line, "POD_SUBNET"), problems)
    if len(problems.errors) > before or addresses is None or pinned is None:
        return None
    return NodeSpec(position=position, name=hostname, addresses=addresses, pinned=pinned,
                    runs_pods=len(fields) == 4, source=source, line=line)
