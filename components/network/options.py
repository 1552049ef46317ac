"""The ``network`` key and the node list (``nodes``, or ``nodesFile``), read into a NetworkSpec and checked against
every network rule."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from components.config.errors import ConfigError, Problems
from components.config.objects import OptionsObject, known_keys
from components.config.values import decoded, integer_in, json_object
from components.network.addresses import cidr_list
from components.network.cycle_collection import without_cycle_collection
from components.network.model import NetworkSpec, NodeSpec
from components.network.node_fields import parse_node
from components.network.nodes_file.reader import read_nodes_file
from components.network.rules import validate_network

_NODES_ACCEPTED = "a list of {name, address, podCidr?} objects, or nodesFile: a file of the project listing them"
NETWORK_KEYS = ("network", "nodes")
"""The top-level keys the network's values come from: they are secret when one of these is set with --secret."""


def parse_nodes(value: Any) -> tuple[NodeSpec, ...]:
    """``nodes``: every entry read, the problems of all of them raised together."""
    if value is None:
        raise ConfigError("nodes", "is required", _NODES_ACCEPTED, safe=True)
    items = decoded(value, "nodes", list, _NODES_ACCEPTED)
    problems = Problems()
    nodes = [problems.check(partial(parse_node, item, index), None) for index, item in enumerate(items)]
    problems.raise_any()
    return tuple(node for node in nodes if node is not None)


def is_unset_list(value: Any) -> bool:
    """Whether a list value means "not set": absent, or empty (Pulumi.yaml gives ``nodes`` an empty default, so
    that a stack with ``nodesFile`` needs no ``nodes``)."""
    return value is None or value == [] or (isinstance(value, str) and value.strip() in ("", "[]"))


def parse_node_list(nodes: Any, nodes_file: Any, project_dir: Path) -> tuple[NodeSpec, ...]:
    """The nodes of ``nodes`` or of ``nodesFile``: exactly one of them is set."""
    if nodes_file is None or nodes_file == "":
        return parse_nodes(nodes)
    if not is_unset_list(nodes):
        raise ConfigError("nodesFile", "is set together with nodes",
                          "one of them: `pulumi config rm nodes` to use nodesFile, or rm nodesFile", safe=True)
    return read_nodes_file(nodes_file, project_dir)


@without_cycle_collection
def parse_network(value: Any, nodes: Any, nodes_file: Any = None, project_dir: Path | None = None) -> NetworkSpec:
    """``network`` and the node list (``nodes``, or ``nodesFile`` read relative to ``project_dir``, by default the
    working directory, which Pulumi sets to the project's), checked together against every rule of the network
    plan. Every problem is reported at once: those of reading each key first; the rules between keys once every
    key could be read (a rule checked on a half-read list would blame the wrong thing). An unknown key of
    ``network`` leaves the others unread: they would be read with the wrong meaning."""
    problems = Problems()
    unread: dict[str, Any] = {}
    obj = OptionsObject(NetworkSpec, "network", problems.check(
        lambda: json_object({} if value is None else value, "network", known_keys(NetworkSpec)), unread), problems)
    spec = NetworkSpec(
        cluster_cidrs=obj.field("cluster_cidrs", cidr_list),
        service_cidrs=obj.field("service_cidrs", cidr_list),
        node_cidr_mask_size=obj.field("node_cidr_mask_size", lambda mask, key: integer_in(mask, key, 0, 32)),
        node_cidr_mask_size_ipv6=obj.field("node_cidr_mask_size_ipv6",
                                           lambda mask, key: integer_in(mask, key, 0, 128)),
        dns_service_index=obj.field("dns_service_index", lambda index, key: integer_in(index, key, 0, 2**20)),
        nodes=problems.check(lambda: parse_node_list(nodes, nodes_file, project_dir or Path.cwd()), ()),
    )
    problems.raise_any()
    validate_network(spec)
    return spec
