"""How the network plan's config keys are spelt in messages, kept out of the plan's domain types."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from components.network_plan import NodeSpec

CLUSTER_CIDR_KEY = "network.clusterCidr"
SERVICE_CIDR_KEY = "network.serviceCidr"
DNS_SERVICE_INDEX_KEY = "network.dnsServiceIndex"


def node_mask_key(version: int) -> str:
    """The config key of the node block mask of one IP family."""
    return "network.nodeCidrMaskSize" if version == 4 else "network.nodeCidrMaskSizeIpv6"


_MACHINES_TXT_COLUMNS = {"address": "IPV4_ADDRESS", "name": "HOSTNAME", "podCidr": "POD_SUBNET"}
"""machines.txt's column of each node field (IPV4_ADDRESS FQDN HOSTNAME [POD_SUBNET])."""


def node_key(node: NodeSpec, field: str) -> str:
    """The config key of one field of a node: ``nodes[2].address``, or its file, line and column for a node of
    ``nodesFile`` (``nodesFile (machines.txt:3, IPV4_ADDRESS)``)."""
    if node.source is None:
        return f"nodes[{node.position}].{field}"
    column = _MACHINES_TXT_COLUMNS.get(field, field) if node.source.machines_txt else field
    return f"nodesFile ({node.source.path}:{node.line}, {column})"


def node_label(node: NodeSpec) -> str:
    """How a message refers to a node: ``nodes[2]``, or ``machines.txt:3``."""
    return f"nodes[{node.position}]" if node.source is None else f"{node.source.path}:{node.line}"
