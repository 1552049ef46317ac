"""How the network plan's config keys are spelt in messages, kept out of the plan's domain types."""

from __future__ import annotations

CLUSTER_CIDR_KEY = "network.clusterCidr"
SERVICE_CIDR_KEY = "network.serviceCidr"
DNS_SERVICE_INDEX_KEY = "network.dnsServiceIndex"


def node_mask_key(version: int) -> str:
    """The config key of the node block mask of one IP family."""
    return "network.nodeCidrMaskSize" if version == 4 else "network.nodeCidrMaskSizeIpv6"


def node_key(index: int, field: str) -> str:
    """The config key of one field of the node at ``index`` of ``nodes``."""
    return f"nodes[{index}].{field}"


def node_label(index: int) -> str:
    """How a message refers to the node at ``index`` of ``nodes``."""
    return f"nodes[{index}]"
