"""How messages name the network's config keys: ``network.clusterCidr``, ``nodes[2].address``, and a node file's
line and column (``nodesFile (machines.txt:3, IPV4_ADDRESS)``)."""

from __future__ import annotations

from components.config.objects import option_key
from components.network.model import NetworkSpec, NodeSpec


def network_key(field: str) -> str:
    """The key of a field of NetworkSpec inside ``network``: ``network.clusterCidr``."""
    return f"network.{option_key(NetworkSpec, field)}"


CLUSTER_CIDR_KEY = network_key("cluster_cidrs")
SERVICE_CIDR_KEY = network_key("service_cidrs")
DNS_SERVICE_INDEX_KEY = network_key("dns_service_index")


def node_mask_key(version: int) -> str:
    """The config key of the node block mask of one IP family."""
    return network_key("node_cidr_mask_size" if version == 4 else "node_cidr_mask_size_ipv6")


_MACHINES_TXT_COLUMNS = {"address": "IPV4_ADDRESS", "name": "HOSTNAME", "podCidr": "POD_SUBNET"}
"""machines.txt's column of each node field (IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET])."""


def node_key(node: NodeSpec, field: str) -> str:
    """The config key of one field of a node: ``nodes[2].address``; for a node of ``nodesFile`` its file and line,
    and the field (``nodesFile (nodes.yaml:7).address``) or machines.txt's column
    (``nodesFile (machines.txt:3, IPV4_ADDRESS)``)."""
    if node.source is None:
        return f"nodes[{node.position}].{field}"
    if node.source.machines_txt:
        return nodes_file_key(node.source.path, node.line, _MACHINES_TXT_COLUMNS.get(field, field))
    return f"{nodes_file_key(node.source.path, node.line)}.{field}"


def nodes_file_key(path: str, line: int, column: str | None = None) -> str:
    """The key of a line of ``nodesFile`` (``nodesFile (nodes.yaml:7)``), or of a machines.txt column of it
    (``nodesFile (machines.txt:3, IPV4_ADDRESS)``); ``path`` is the file as messages name it, "" where they do not
    show it (``nodesFile (line 3, IPV4_ADDRESS)``)."""
    return f"nodesFile ({nodes_file_place(path, line)}{'' if column is None else ', ' + column})"


def nodes_file_place(path: str, line: int) -> str:
    """A line of ``nodesFile``: ``machines.txt:3``, or ``line 3`` where messages do not show the path."""
    return f"{path}:{line}" if path else f"line {line}"


def node_label(node: NodeSpec) -> str:
    """How a message refers to a node: ``nodes[2]``, ``machines.txt:3``, or ``line 3`` of a file whose path is not
    shown."""
    return f"nodes[{node.position}]" if node.source is None else nodes_file_place(node.source.path, node.line)
