"""The plan rendered: the flags every component needs, the routes, and the ``network`` stack output.

* kube-controller-manager (cmd/kube-controller-manager/app/core.go): --node-cidr-mask-size for one family,
  -ipv4/-ipv6 for two.
* the route controller (pkg/controller/route): one route per podCIDR, towards the node's address of that family.
"""

from __future__ import annotations

from typing import Any

from components.network.cycle_collection import without_cycle_collection
from components.network.model import CLUSTER_DOMAIN, NetworkPlan
from components.network.tables import NODE_HEADER, NODE_TABLE, ROUTE_HEADER, ROUTE_TABLE, node_rows, render_table

NETWORK_OUTPUT = "network"
"""The stack output the plan is recorded in, and read back from at the next run."""


def routes(plan: NetworkPlan) -> dict[str, list[dict[str, str]]]:
    """Per node, one route per pod CIDR via the node's address of the same family (none where it has none)."""
    return {name: [{"destination": destination, "via": via} for destination, via in node_routes]
            for name, node_routes in _route_pairs(plan).items()}


def _route_pairs(plan: NetworkPlan) -> dict[str, list[tuple[str, str]]]:
    """Per node, (destination, via) of each of its routes, in the order of the cluster ranges (5,000 nodes make this
    the hot loop)."""
    families = [cluster.version for cluster in plan.spec.cluster_cidrs]
    pairs: dict[str, list[tuple[str, str]]] = {}
    for node in plan.spec.nodes:
        via = {address.version: address.text for address in node.addresses}
        pairs[node.name] = [(cidr, via[family]) for cidr, family in zip(plan.pod_cidrs[node.name], families)
                            if family in via]
    return pairs


def flags(plan: NetworkPlan) -> dict[str, list[str]]:
    """The command-line flags each component needs so that all of them agree with this plan."""
    spec = plan.spec
    cluster = ",".join(str(cidr) for cidr in spec.cluster_cidrs)
    service = ",".join(str(cidr) for cidr in spec.service_cidrs)
    if len(spec.cluster_cidrs) == 1:
        mask_flags = [f"--node-cidr-mask-size={plan.node_masks[0]}"]
    else:
        mask_flags = [
            f"--node-cidr-mask-size-ipv4={spec.node_cidr_mask_size}",
            f"--node-cidr-mask-size-ipv6={spec.node_cidr_mask_size_ipv6}",
        ]
    return {
        "kubeApiserver": [f"--service-cluster-ip-range={service}"],
        "kubeControllerManager": [
            "--allocate-node-cidrs=true",
            f"--cluster-cidr={cluster}",
            f"--service-cluster-ip-range={service}",
            *mask_flags,
        ],
        "kubeProxy": [f"--cluster-cidr={cluster}"],
        "kubelet": [f"--cluster-dns={plan.cluster_dns_ip}", f"--cluster-domain={CLUSTER_DOMAIN}"],
    }


@without_cycle_collection
def network_output(plan: NetworkPlan) -> dict[str, Any]:
    """The ``network`` stack output: ranges, service IPs and flags as data; the nodes and their routes as text tables
    sorted by node name (tables.py says why)."""
    pairs = _route_pairs(plan)
    spec = plan.spec
    return {
        "clusterCidrs": [str(cidr) for cidr in spec.cluster_cidrs],
        "serviceCidrs": [str(cidr) for cidr in spec.service_cidrs],
        "kubernetesServiceIp": plan.kubernetes_service_ip,
        "clusterDnsIp": plan.cluster_dns_ip,
        "nodeCidrMaskSizes": list(plan.node_masks),
        "maxNodes": plan.max_nodes,
        "nodeCount": len(spec.nodes),
        NODE_TABLE: render_table(NODE_HEADER, node_rows(
            (node.name, node.address_text, plan.pod_cidrs[node.name]) for node in spec.nodes)),
        ROUTE_TABLE: render_table(ROUTE_HEADER, (
            (name, destination, via) for name in sorted(pairs) for destination, via in pairs[name])),
        "flags": flags(plan),
    }
