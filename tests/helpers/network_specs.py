"""Builders of network specs for the network tests: CIDRs, nodes and specs from short literals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from components.network.addresses import IPNetwork, parse_cidr, parse_ip
from components.network.allocation import plan_network
from components.network.blocks import PodBlock
from components.network.last_deployment import LastDeployment, read_last_deployment
from components.network.model import NetworkPlan, NetworkSpec, NodeAddress, NodeSpec
from components.network.output import network_output
from components.network.rules import validate_network

DUAL_CLUSTER = "10.200.0.0/16,fd00:10:244::/56"
DUAL_SERVICE = "10.32.0.0/24,fd00:10:96::/112"


def cidrs(text: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDRs, parsed strictly."""
    return tuple(parse_cidr(part, "test") for part in text.split(","))


def node(index: int, address: str, pin: str = "", name: str | None = None) -> NodeSpec:
    """A node at ``index`` named worker-<index> unless named."""
    return NodeSpec(
        position=index,
        name=f"worker-{index}" if name is None else name,
        addresses=tuple(NodeAddress.of(parse_ip(part, "test")) for part in address.split(",")),
        pinned=tuple(PodBlock.of(cidr) for cidr in cidrs(pin)) if pin else (),
    )


def workers(count: int, families: str = "4") -> tuple[NodeSpec, ...]:
    """``count`` nodes with addresses outside every range used here: IPv4 ("4"), IPv6 ("6") or both ("46")."""
    def address(i: int) -> str:
        parts = {"4": f"172.31.100.{i + 1}", "6": f"2001:db8::{i + 1:x}"}
        return ",".join(parts[family] for family in families)
    return tuple(node(i, address(i)) for i in range(count))


def renumber(nodes: Sequence[NodeSpec]) -> tuple[NodeSpec, ...]:
    """The nodes with their indexes set to their new positions."""
    return tuple(n._replace(position=i) for i, n in enumerate(nodes))


def spec(
    cluster: str = "10.200.0.0/16",
    service: str = "10.32.0.0/24",
    nodes: Sequence[NodeSpec] | None = None,
    *,
    mask4: int = 24,
    mask6: int = 64,
    dns: int = 10,
) -> NetworkSpec:
    """A network spec; by default two workers with addresses of the cluster's families."""
    clusters = cidrs(cluster)
    if nodes is None:
        nodes = workers(2, "".join(str(c.version) for c in sorted(clusters, key=lambda c: c.version)))
    return NetworkSpec(
        cluster_cidrs=clusters,
        service_cidrs=cidrs(service),
        node_cidr_mask_size=mask4,
        node_cidr_mask_size_ipv6=mask6,
        dns_service_index=dns,
        nodes=tuple(nodes),
    )


def last_deployment_of(network: NetworkSpec, pod_cidrs: Mapping[str, Sequence[str]]) -> LastDeployment:
    """A last deployment with the ranges and masks of ``network`` that gave these blocks (node name -> CIDRs)."""
    last = read_last_deployment({
        "clusterCidrs": [str(cluster) for cluster in network.cluster_cidrs],
        "nodeCidrMaskSizes": [network.node_mask(cluster.version) for cluster in network.cluster_cidrs],
        "nodes": {name: {"podCidrs": list(blocks)} for name, blocks in pod_cidrs.items()},
    })
    assert last is not None
    return last


def deployed(plan: NetworkPlan) -> LastDeployment:
    """The last deployment once ``plan`` is deployed: what its ``network`` output gives, as the next run reads it."""
    last = read_last_deployment(network_output(plan))
    assert last is not None
    return last


def valid_plan(network: NetworkSpec, last: LastDeployment | None = None) -> NetworkPlan:
    """The plan of a spec that must pass every rule, as the program makes it: validate, then allocate."""
    validate_network(network)
    return plan_network(network, last)
