"""A YAML ``nodesFile``: a list of the same objects as ``nodes`` ({name, address, podCidr?}).

Read with libyaml into nodes first, so that every problem has its line, and what YAML itself lets pass is refused:
a key given twice (YAML keeps the last value silently) and a node used again through an alias (two items that are
one, both at the anchor's line). Lines are counted at each newline, as editors count them; libyaml also counts
NEL, LS, PS and a lone carriage return.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

import yaml

from components.config.errors import ConfigError, Problems
from components.config.shown import kind_of
from components.network.blocks import PodBlock
from components.network.keys import nodes_file_key
from components.network.model import NodeAddress, NodesFile, NodeSpec
from components.network.node_fields import NODE_KEYS, NODE_REQUIRED_KEYS, parse_addresses, parse_pod_blocks
from components.network.nodes_file.problems import KEY, MAX_PROBLEMS, column, name_problem, stopped

YAML_ACCEPTED = "a YAML list of {name, address, podCidr?} objects"
_ITEM_ACCEPTED = "an object {name, address, podCidr?}"
_ALIASES_ACCEPTED = "each node written out, without anchors and aliases"
_FIXED_PROBLEM = re.compile(r"(?:[a-z ;,<>]|'[-,:\]}]')+")
"""libyaml's problem texts (``did not find expected ',' or ']'``), which quote nothing of the file; any other text
(PyYAML's own quote the character they stopped at, a tag, an anchor) is left out."""
_STR_TAG = "tag:yaml.org,2002:str"
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Lines:
    """The line of a character index of a text, from 1, counted at each newline; fastest for indexes in
    increasing order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.index = 0
        self.line = 1

    def at(self, index: int) -> int:
        if index < self.index:
            self.index, self.line = 0, 1
        self.line += self.text.count("\n", self.index, index)
        self.index = index
        return self.line

    def column(self, index: int) -> int:
        """The column of ``index`` on its line, from 1."""
        return index - self.text.rfind("\n", 0, index)


def parse_yaml_nodes(text: str, source: NodesFile) -> tuple[NodeSpec, ...]:
    """The nodes of a YAML list of ``nodes`` objects, every problem of every item raised together."""
    body = text.removeprefix("\ufeff")  # libyaml skips it, and counts its marks without it
    lines = _Lines(body)
    loader = _Loader(body)
    try:
        try:
            root = loader.get_single_node()
        except yaml.YAMLError as error:
            raise _invalid(error, lines, source.path) from None
        if root is None:
            return ()
        if not isinstance(root, yaml.SequenceNode):
            raise ConfigError(nodes_file_key(source.path, lines.at(root.start_mark.index)), "is not a YAML list",
                              YAML_ACCEPTED, safe=True)
        return _items(loader, root, lines, source)
    finally:
        loader.dispose()


def _invalid(error: yaml.YAMLError, lines: _Lines, label: str) -> ConfigError:
    """The problem of a file libyaml cannot parse, at its line and column, in libyaml's words when they quote
    nothing of the file."""
    mark = getattr(error, "problem_mark", None)
    problem = getattr(error, "problem", None) or getattr(error, "reason", None)
    wording = ": " + problem if isinstance(problem, str) and _FIXED_PROBLEM.fullmatch(problem) else ""
    if mark is not None:
        return ConfigError(nodes_file_key(label, lines.at(mark.index)),
                           f"is not valid YAML (column {lines.column(mark.index)}){wording}", YAML_ACCEPTED,
                           safe=True)
    # A character YAML does not allow: libyaml gives its byte offset, PyYAML its index; find it again.
    found = yaml.reader.Reader.NON_PRINTABLE.search(lines.text)
    key = KEY if found is None else nodes_file_key(label, lines.at(found.start()))
    return ConfigError(key, f"is not valid YAML{wording}", YAML_ACCEPTED, safe=True)


def _items(loader: Any, root: yaml.SequenceNode, lines: _Lines, source: NodesFile) -> tuple[NodeSpec, ...]:
    """The node of each item of the list, or the problems of all of them."""
    problems = Problems()
    nodes: list[NodeSpec] = []
    seen: set[int] = set()
    """The item and value nodes read so far: one met again came through an alias."""
    for number, item in enumerate(root.value, start=1):
        line = lines.at(item.start_mark.index)
        if len(problems.errors) >= MAX_PROBLEMS:
            problems.errors.append(stopped(line))
            break
        key = nodes_file_key(source.path, line)
        if id(item) in seen:
            problems.errors.append(ConfigError(key, f"is used again through an alias, as item {number} of the list",
                                               _ALIASES_ACCEPTED, without_values="is used again through an alias"))
            continue
        seen.add(id(item))
        fields = _fields(item, key, lines, source.path, seen, problems)
        values = None if fields is None else _values(loader, fields, key, problems)
        node = None if values is None else _node(values, key, len(nodes), source, line, problems)
        if node is not None:
            nodes.append(node)
    problems.raise_any()
    return tuple(nodes)


def _fields(item: yaml.Node, key: str, lines: _Lines, label: str, seen: set[int],
            problems: Problems) -> dict[str, yaml.Node] | None:
    """The value node of each key of an item, or None after recording why the item is no {name, address,
    podCidr?} object: not a mapping, another key, a key twice, a value through an alias, no name or address.
    Only the accepted keys are ever named."""
    if not isinstance(item, yaml.MappingNode):
        problems.errors.append(ConfigError(key, "is not an object", _ITEM_ACCEPTED, safe=True))
        return None
    before = len(problems.errors)
    fields: dict[str, yaml.Node] = {}
    first_line: dict[str, int] = {}
    """The line of each accepted key, once written."""
    for key_node, value_node in item.value:
        scalar = isinstance(key_node, yaml.ScalarNode)
        name = key_node.value if scalar and key_node.tag == _STR_TAG else None
        line = lines.at(key_node.start_mark.index)
        if name not in NODE_KEYS:
            close = difflib.get_close_matches(key_node.value, NODE_KEYS, n=1) if scalar else []
            problems.errors.append(ConfigError(key, "has a key other than name, address and podCidr" + (
                f" (did you mean {close[0]}?)" if close else ""), _ITEM_ACCEPTED, safe=True))
        elif name in first_line:
            problems.errors.append(ConfigError(nodes_file_key(label, line), f"repeats the key {name} of line "
                                               f"{first_line[name]}, and YAML would keep only the last value",
                                               "each key once", safe=True))
        elif id(value_node) in seen:
            first_line[name] = line
            problems.errors.append(ConfigError(f"{key}.{name}", "is a value used again through an alias",
                                               _ALIASES_ACCEPTED, safe=True))
        else:
            seen.add(id(value_node))
            fields[name], first_line[name] = value_node, line
    problems.errors += [ConfigError(f"{key}.{required}", "is required", _ITEM_ACCEPTED, safe=True)
                        for required in NODE_REQUIRED_KEYS if required not in first_line]
    return fields if len(problems.errors) == before else None


def _values(loader: Any, fields: dict[str, yaml.Node], key: str, problems: Problems) -> dict[str, Any] | None:
    """The value of each field, or None after recording those that are no plain YAML value (an unknown tag)."""
    values: dict[str, Any] = {}
    for name, node in fields.items():
        try:
            values[name] = loader.construct_object(node, deep=True)
        except yaml.YAMLError:
            problems.errors.append(ConfigError(f"{key}.{name}", "is not a plain YAML value", "a string", safe=True))
    return values if len(values) == len(fields) else None


def _node(values: dict[str, Any], key: str, position: int, source: NodesFile, line: int,
          problems: Problems) -> NodeSpec | None:
    """The node of one item's values, or None after recording each field's problem."""
    before = len(problems.errors)
    name, address, pin = values["name"], values["address"], values.get("podCidr")
    bad_name = ConfigError(f"{key}.name", "is required", _ITEM_ACCEPTED, safe=True) if name is None else \
        name_problem(name, lambda: f"{key}.name")
    if bad_name is not None:
        problems.errors.append(bad_name)
    addresses: tuple[NodeAddress, ...] | None = None
    if isinstance(address, str):
        addresses = column(parse_addresses, address, lambda: f"{key}.address", problems)
    else:
        problems.errors.append(ConfigError(f"{key}.address", "is required" if address is None else
                                           f"is {kind_of(address)}, not a string", "one IP address, or two",
                                           safe=True))
    pinned: tuple[PodBlock, ...] | None = ()
    if isinstance(pin, str):
        pinned = column(parse_pod_blocks, pin, lambda: f"{key}.podCidr", problems)
    elif pin is not None:
        problems.errors.append(ConfigError(f"{key}.podCidr", f"is {kind_of(pin)}, not a string",
                                           "one CIDR, or two separated by a comma", safe=True))
    if len(problems.errors) > before or addresses is None or pinned is None:
        return None
    return NodeSpec(position=position, name=name, addresses=addresses, pinned=pinned, source=source, line=line)
