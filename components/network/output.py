"""The plan rendered: the flags every component needs, the configuration files kube-proxy and the kubelets read,
the routes, and the ``network`` stack output.

* kube-controller-manager (cmd/kube-controller-manager/app/core.go): --node-cidr-mask-size for one family,
  -ipv4/-ipv6 for two. It allocates node podCIDRs itself (--allocate-node-cidrs=true) unless the pod network has
  kthw apply the plan's (flannel, bridge: components/podnetwork/node_cidrs.py), when nothing else may.
* kube-apiserver: --allow-privileged=true when the pod network runs privileged containers (Weave).
* kube-proxy ignores --cluster-cidr when it runs with --config, as the tutorial runs it: KubeProxyConfiguration's
  clusterCIDR says the same. The kubelet's --cluster-dns and --cluster-domain flags are deprecated for
  KubeletConfiguration's clusterDNS and clusterDomain (its podCIDR is read only by a standalone kubelet: a kubelet
  with an API server takes its Node object's).
* the route controller (pkg/controller/route): one route per podCIDR, towards the node's address of that family;
  needed where nothing else routes pod traffic between nodes (no pod network of kthw's, or bridge).
"""

from __future__ import annotations

from typing import Any

from components.network.cycle_collection import without_cycle_collection
from components.network.model import CLUSTER_DOMAIN, NetworkPlan
from components.network.tables import (
    BRIDGE_HEADER,
    BRIDGE_TABLE,
    NODE_HEADER,
    NODE_TABLE,
    ROUTE_HEADER,
    ROUTE_TABLE,
    node_rows,
    render_table,
)
from components.podnetwork.bridge import bridge_conf_line
from components.podnetwork.options import APPLIES_POD_CIDRS

ROUTED_BY_THE_PLAN = ("none", "bridge")
"""The pod networks whose pod traffic between nodes goes by the plan's routes (weave and flannel route their own)."""
KUBE_PROXY_CONFIGURATION = {"kind": "KubeProxyConfiguration", "apiVersion": "kubeproxy.config.k8s.io/v1alpha1"}
KUBELET_CONFIGURATION = {"kind": "KubeletConfiguration", "apiVersion": "kubelet.config.k8s.io/v1beta1"}

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
    allocate = "false" if spec.pod_network in APPLIES_POD_CIDRS else "true"
    privileged = ["--allow-privileged=true"] if spec.pod_network == "weave" else []
    return {
        "kubeApiserver": [f"--service-cluster-ip-range={service}", *privileged],
        "kubeControllerManager": [
            f"--allocate-node-cidrs={allocate}",
            f"--cluster-cidr={cluster}",
            f"--service-cluster-ip-range={service}",
            *mask_flags,
        ],
        "kubeProxy": [f"--cluster-cidr={cluster}"],
        "kubelet": [f"--cluster-dns={plan.cluster_dns_ip}", f"--cluster-domain={CLUSTER_DOMAIN}"],
    }


def pod_network(plan: NetworkPlan) -> dict[str, Any]:
    """What hands pods their addresses, as the output says it: under weave, Weave's own allocator over the cluster
    range (IPALLOC_RANGE), not the nodes' podCIDRs, and no routes of the plan's."""
    spec = plan.spec
    described: dict[str, Any] = {
        "name": spec.pod_network,
        "podAddressesFromNodePodCidrs": spec.pod_network != "weave",
        "routesNeeded": spec.pod_network in ROUTED_BY_THE_PLAN,
    }
    if spec.pod_network == "weave":
        described["ipallocRange"] = str(spec.cluster_cidrs[0])
    return described


def component_configurations(plan: NetworkPlan) -> dict[str, dict[str, Any]]:
    """The fields of kube-proxy's and the kubelets' configuration files that must agree with the plan."""
    return {
        "kubeProxyConfiguration": {**KUBE_PROXY_CONFIGURATION,
                                   "clusterCIDR": ",".join(str(cidr) for cidr in plan.spec.cluster_cidrs)},
        "kubeletConfiguration": {**KUBELET_CONFIGURATION, "clusterDNS": [plan.cluster_dns_ip],
                                 "clusterDomain": CLUSTER_DOMAIN},
    }


@without_cycle_collection
def network_output(plan: NetworkPlan) -> dict[str, Any]:
    """The ``network`` stack output: ranges, service IPs, flags and configuration fields as data; the nodes, their
    routes (where the plan routes pod traffic) and, under bridge, each node's 10-bridge.conf as text tables sorted
    by node name (tables.py says why)."""
    spec = plan.spec
    pairs = _route_pairs(plan) if spec.pod_network in ROUTED_BY_THE_PLAN else {}
    bridge = {BRIDGE_TABLE: render_table(BRIDGE_HEADER, (
        (node.name, bridge_conf_line(plan.pod_cidrs[node.name])) for node in sorted(spec.nodes, key=_name)
        if plan.pod_cidrs[node.name]))} if spec.pod_network == "bridge" else {}
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
        **bridge,
        "flags": flags(plan),
        **component_configurations(plan),
        "podNetwork": pod_network(plan),
        "dns": spec.cluster_dns,
    }


def _name(node: Any) -> str:
    return str(node.name)
