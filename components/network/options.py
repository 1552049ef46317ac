"""The ``network`` key and the node list (``nodes``, or ``nodesFile``), read into a NetworkSpec and checked against
every network rule."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from components.config.errors import ConfigError, Problems, raise_all
from components.config.values import decoded, integer_in, json_object, or_default
from components.network.addresses import cidr_list
from components.network.cycle_collection import without_cycle_collection
from components.network.model import NetworkSpec, NodeSpec
from components.network.node_fields import parse_node
from components.network.nodes_file.reader import read_nodes_file
from components.network.rules import network_problems

_NODES_ACCEPTED = "a list of {name, address, podCidr?} objects, or nodesFile: a file of the project listing them"
_NETWORK_KEYS = ("clusterCidr", "serviceCidr", "nodeCidrMaskSize", "nodeCidrMaskSizeIpv6", "dnsServiceIndex")


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
    key could be read (a rule checked on a half-read list would blame the wrong thing)."""
    problems = Problems()
    unread: dict[str, Any] = {}
    obj = problems.check(lambda: json_object({} if value is None else value, "network", _NETWORK_KEYS), unread)
    cluster_cidrs = problems.check(lambda: cidr_list(or_default(obj, "clusterCidr", "10.200.0.0/16"),
                                                     "network.clusterCidr"), None)
    service_cidrs = problems.check(lambda: cidr_list(or_default(obj, "serviceCidr", "10.32.0.0/24"),
                                                     "network.serviceCidr"), None)
    mask = problems.check(lambda: integer_in(or_default(obj, "nodeCidrMaskSize", 24),
                                             "network.nodeCidrMaskSize", 0, 32), None)
    mask6 = problems.check(lambda: integer_in(or_default(obj, "nodeCidrMaskSizeIpv6", 64),
                                              "network.nodeCidrMaskSizeIpv6", 0, 128), None)
    dns = problems.check(lambda: integer_in(or_default(obj, "dnsServiceIndex", 10),
                                            "network.dnsServiceIndex", 0, 2**20), None)
    node_specs = problems.check(lambda: parse_node_list(nodes, nodes_file, project_dir or Path.cwd()), None)
    problems.raise_any()
    assert cluster_cidrs is not None and service_cidrs is not None and node_specs is not None
    assert mask is not None and mask6 is not None and dns is not None
    spec = NetworkSpec(
        cluster_cidrs=cluster_cidrs,
        service_cidrs=service_cidrs,
        node_cidr_mask_size=mask,
        node_cidr_mask_size_ipv6=mask6,
        dns_service_index=dns,
        nodes=node_specs,
    )
    raise_all(network_problems(spec))
    return spec
