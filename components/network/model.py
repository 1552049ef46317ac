"""The cluster's network as data: the parsed ``network`` config and node list (NetworkSpec, whose fields declare the
network keys and their defaults), and the plan (NetworkPlan): every node's pod CIDRs and the service IPs that follow.

* kube-controller-manager (pkg/controller/nodeipam/ipam/range_allocator.go): a node's podCIDRs come one per cluster
  range, in the order of --cluster-cidr (fewer for a node that had its podCIDRs before a range was added).
* kubeadm (cmd/kubeadm/app/constants): the kubernetes Service takes the first address of the first service range,
  the DNS service the dnsServiceIndex-th (10 by default).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import NamedTuple

from components.config.objects import keys
from components.network.addresses import IPAddress, IPNetwork, format_ip
from components.network.blocks import PodBlock

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
    """The ``network`` config and the node list, parsed but not yet checked against each other; each field's default
    is the key's."""

    cluster_cidrs: tuple[IPNetwork, ...] = field(default=(ipaddress.IPv4Network("10.200.0.0/16"),),
                                                 metadata=keys("clusterCidr"))
    """network.clusterCidr: one range, or one per family."""
    service_cidrs: tuple[IPNetwork, ...] = field(default=(ipaddress.IPv4Network("10.32.0.0/24"),),
                                                 metadata=keys("serviceCidr"))
    """network.serviceCidr: one range, or one per family."""
    node_cidr_mask_size: int = 24
    """network.nodeCidrMaskSize: the prefix length of an IPv4 node block."""
    node_cidr_mask_size_ipv6: int = 64
    """network.nodeCidrMaskSizeIpv6: the prefix length of an IPv6 node block."""
    dns_service_index: int = 10
    """network.dnsServiceIndex: the cluster DNS IP is this address of the first service range."""
    nodes: tuple[NodeSpec, ...] = field(default=(), metadata=keys())
    """``nodes``, or the machines of ``nodesFile``, in list order (keys of their own, outside ``network``)."""
    pod_network: str = field(default="none", metadata=keys())
    """``podNetwork`` (a key of its own): what hands pods their addresses, which decides what the plan renders."""
    cluster_dns: str = field(default="none", metadata=keys())
    """``dns`` (a key of its own): the DNS server kthw deploys at the plan's DNS IP, if any."""

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


def kubernetes_service_ip(spec: NetworkSpec) -> str:
    """The first address of the first service range: the ``default/kubernetes`` Service's clusterIP."""
    return str(spec.service_cidrs[0].network_address + KUBERNETES_SERVICE_INDEX)


def max_nodes(spec: NetworkSpec) -> int:
    """How many node blocks the cluster ranges hold: the smallest count across families."""
    return min(1 << (spec.node_mask(cidr.version) - cidr.prefixlen) for cidr in spec.cluster_cidrs)
