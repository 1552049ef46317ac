"""The cluster's network plan as data: the parsed network and nodes, and the plan rendered as flags, routes and the
``network`` stack output.

Validation lives in ``network_rules``, pod CIDR allocation in ``pod_cidr_allocation``. What the rendering follows:

* kube-controller-manager (cmd/kube-controller-manager/app/core.go): --node-cidr-mask-size for one family,
  -ipv4/-ipv6 for two; a node's podCIDRs come one per cluster range, in the order of --cluster-cidr (fewer for a
  node that had its podCIDRs before a range was added: pkg/controller/nodeipam/ipam/range_allocator.go).
* kubeadm (cmd/kubeadm/app/constants): the kubernetes Service takes the first address of the first service range,
  the DNS service the dnsServiceIndex-th (10 by default).
* the route controller (pkg/controller/route): one route per podCIDR, towards the node's address of that family.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from components.network.addresses import IPAddress, IPNetwork, format_ip
from components.network.cycle_collection import without_cycle_collection
from components.network.tables import NODE_HEADER, NODE_TABLE, ROUTE_HEADER, ROUTE_TABLE, node_rows, render_table

CLUSTER_DOMAIN = "cluster.local"
KUBERNETES_SERVICE_INDEX = 1
"""kubeadm's GetAPIServerVirtualIP: the kubernetes Service is the first address of the first service range."""


class NodeAddress(NamedTuple):
    """A node address as plain data (5,000 nodes make ``ipaddress`` objects the bulk of the work)."""

    version: int
    """4 or 6."""
    value: int
    """The address as an integer."""
    text: str
    """Its canonical text (RFC 5952 for IPv6), as the output writes it."""

    @classmethod
    def of(cls, address: IPAddress) -> NodeAddress:
        """The node address of a parsed ``ipaddress`` address."""
        return cls(address.version, int(address), format_ip(int(address), address.version))

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class NodesFile:
    """The file a node list was read from (``nodesFile``), so that messages can name the file and line."""

    path: str
    """The file as messages name it: the path as the config gives it, or "" where messages do not show it (set
    with --secret, long or unusual)."""
    machines_txt: bool
    """True for Kubernetes the Hard Way's machines.txt format (columns), False for a YAML list like ``nodes``."""


class PodBlock(NamedTuple):
    """A pod CIDR block as plain data: a pinned podCidr, or a block read back from the last deployment."""

    version: int
    """4 or 6."""
    value: int
    """Its first address as an integer."""
    prefix: int
    """Its prefix length."""
    text: str
    """Its CIDR text, canonical when it comes from config or the plan."""

    @classmethod
    def of(cls, network: IPNetwork) -> PodBlock:
        """The block of a parsed ``ipaddress`` network."""
        return cls(network.version, int(network.network_address), network.prefixlen, str(network))

    def __str__(self) -> str:
        return self.text


class NodeSpec(NamedTuple):
    """One node as configured (a named tuple: 5,000 of them are made at every run)."""

    position: int
    """Its position in the node list (``nodes`` or ``nodesFile``), from 0."""
    name: str
    """The Kubernetes node name."""
    addresses: tuple[NodeAddress, ...]
    """One address, or one per family."""
    pinned: tuple[PodBlock, ...] = ()
    """The pod CIDRs the config pins, one per cluster range; none when the plan allocates them."""
    runs_pods: bool = True
    """False for a machines.txt line without a pod subnet (the tutorial's control-plane host): the machine is
    checked like a node, but takes no pod block and gets no route."""
    source: NodesFile | None = None
    """The file the node was read from; None for the ``nodes`` key."""
    line: int = 0
    """Its line in ``source``, from 1."""

    @property
    def address_text(self) -> str:
        """The addresses as the config writes them: canonical, comma-separated."""
        return ",".join(address.text for address in self.addresses)


@dataclass(frozen=True)
class NetworkSpec:
    """The ``network`` config and the node list, parsed but not yet checked against each other."""

    cluster_cidrs: tuple[IPNetwork, ...]
    """network.clusterCidr: one range, or one per family."""
    service_cidrs: tuple[IPNetwork, ...]
    """network.serviceCidr: one range, or one per family."""
    node_cidr_mask_size: int = 24
    """network.nodeCidrMaskSize: the prefix length of an IPv4 node block."""
    node_cidr_mask_size_ipv6: int = 64
    """network.nodeCidrMaskSizeIpv6: the prefix length of an IPv6 node block."""
    dns_service_index: int = 10
    """network.dnsServiceIndex: the cluster DNS IP is this address of the first service range."""
    nodes: tuple[NodeSpec, ...] = field(default_factory=tuple)
    """``nodes``, or the machines of ``nodesFile``, in list order."""

    def node_mask(self, version: int) -> int:
        """The node block mask for one family."""
        return self.node_cidr_mask_size if version == 4 else self.node_cidr_mask_size_ipv6


@dataclass(frozen=True)
class NetworkPlan:
    """A validated plan: every node's pod CIDRs and what follows from them."""

    spec: NetworkSpec
    """The network the plan is for."""
    pod_cidrs: dict[str, tuple[str, ...]]
    """Node name -> its pod CIDRs, one per cluster range in their order (fewer, the first ranges', for a node
    deployed before a range was added: it keeps exactly what it holds); none for a machine that runs no pods."""

    @property
    def node_masks(self) -> tuple[int, ...]:
        return tuple(self.spec.node_mask(cidr.version) for cidr in self.spec.cluster_cidrs)

    @property
    def max_nodes(self) -> int:
        return max_nodes(self.spec)

    @property
    def kubernetes_service_ip(self) -> str:
        return kubernetes_service_ip(self.spec)

    @property
    def cluster_dns_ip(self) -> str:
        return str(self.spec.service_cidrs[0].network_address + self.spec.dns_service_index)

    def routes(self) -> dict[str, list[dict[str, str]]]:
        """Per node, one route per pod CIDR via the node's address of the same family (none where it has none)."""
        return {name: [{"destination": destination, "via": via} for destination, via in node_routes]
                for name, node_routes in self._routes().items()}

    def _routes(self) -> dict[str, list[tuple[str, str]]]:
        """Per node, (destination, via) of each of its routes, in the order of the cluster ranges (5,000 nodes make
        this the hot loop)."""
        families = [cluster.version for cluster in self.spec.cluster_cidrs]
        routes: dict[str, list[tuple[str, str]]] = {}
        for node in self.spec.nodes:
            via = {address.version: address.text for address in node.addresses}
            routes[node.name] = [(cidr, via[family]) for cidr, family in zip(self.pod_cidrs[node.name], families)
                                 if family in via]
        return routes

    def flags(self) -> dict[str, list[str]]:
        """The command-line flags each component needs so that all of them agree with this plan."""
        cluster = ",".join(str(cidr) for cidr in self.spec.cluster_cidrs)
        service = ",".join(str(cidr) for cidr in self.spec.service_cidrs)
        if len(self.spec.cluster_cidrs) == 1:
            mask_flags = [f"--node-cidr-mask-size={self.node_masks[0]}"]
        else:
            mask_flags = [
                f"--node-cidr-mask-size-ipv4={self.spec.node_cidr_mask_size}",
                f"--node-cidr-mask-size-ipv6={self.spec.node_cidr_mask_size_ipv6}",
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
            "kubelet": [f"--cluster-dns={self.cluster_dns_ip}", f"--cluster-domain={CLUSTER_DOMAIN}"],
        }

    @without_cycle_collection
    def to_output(self) -> dict[str, Any]:
        """The ``network`` stack output: ranges, service IPs and flags as data; the nodes and their routes as text
        tables sorted by node name (components/network_tables.py says why, and how to read them)."""
        routes = self._routes()
        return {
            "clusterCidrs": [str(cidr) for cidr in self.spec.cluster_cidrs],
            "serviceCidrs": [str(cidr) for cidr in self.spec.service_cidrs],
            "kubernetesServiceIp": self.kubernetes_service_ip,
            "clusterDnsIp": self.cluster_dns_ip,
            "nodeCidrMaskSizes": list(self.node_masks),
            "maxNodes": self.max_nodes,
            "nodeCount": len(self.spec.nodes),
            NODE_TABLE: render_table(NODE_HEADER, node_rows(
                (node.name, node.address_text, self.pod_cidrs[node.name]) for node in self.spec.nodes)),
            ROUTE_TABLE: render_table(ROUTE_HEADER, (
                (name, destination, via) for name in sorted(routes) for destination, via in routes[name])),
            "flags": self.flags(),
        }


def kubernetes_service_ip(spec: NetworkSpec) -> str:
    """The first address of the first service range: the ``default/kubernetes`` Service's clusterIP."""
    return str(spec.service_cidrs[0].network_address + KUBERNETES_SERVICE_INDEX)


def max_nodes(spec: NetworkSpec) -> int:
    """How many node blocks the cluster ranges hold: the smallest count across families."""
    return min(1 << (spec.node_mask(cidr.version) - cidr.prefixlen) for cidr in spec.cluster_cidrs)
