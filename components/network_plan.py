"""The cluster's network plan: validation of every rule Kubernetes enforces, pod CIDR allocation, flags, routes.

Pure functions only. The rules and their sources:

* kube-apiserver (cmd/kube-apiserver/app/options/validation.go): at most one service range per family, two
  ranges must be of different families.
* kubeadm (cmd/kubeadm/app/apis/kubeadm/validation, app/constants): a service range holds at most 2^20
  addresses (IPv4 mask >= /12, IPv6 mask >= /108); the node mask is no shorter than the cluster mask and at most
  16 bits longer (PodSubnetNodeMaskMaxDiff); the DNS service IP is the 10th address of the first service range.
* kube-controller-manager (cmd/kube-controller-manager/app/core.go, pkg/controller/nodeipam/ipam/cidrset):
  --node-cidr-mask-size for one family, -ipv4/-ipv6 for two; blocks are handed out lowest first; a node's
  podCIDRs are immutable once set, one per cluster range, in the order of --cluster-cidr.
* the service IP allocator (pkg/registry/core/service/ipallocator): never the network address, nor the IPv4
  broadcast address.
* node names are DNS-1123 subdomains (apimachinery validation.IsDNS1123Subdomain).

Huge IPv6 ranges are handled by arithmetic on block indexes, never by listing subnets.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from components.cidr import IPAddress, IPNetwork, family_name, format_ip
from components.errors import ConfigError

NODE_MASK_MAX_DIFF = 16
"""kubeadm's PodSubnetNodeMaskMaxDiff: node blocks at most 16 bits longer than the cluster range."""

SERVICE_RANGE_MAX_BITS = 20
"""kubeadm's MaximumBitsForServiceSubnet: a service range holds at most 2^20 addresses."""

CLUSTER_DOMAIN = "cluster.local"
KUBERNETES_SERVICE_INDEX = 1

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*$")
DNS1123_SUBDOMAIN_MAX_LENGTH = 253


@dataclass(frozen=True)
class NodeSpec:
    """One node as configured: its position in ``nodes``, name, addresses and pinned pod CIDRs (maybe none)."""

    index: int
    name: str
    addresses: tuple[IPAddress, ...]
    pinned: tuple[IPNetwork, ...] = ()

    @cached_property
    def address_texts(self) -> tuple[str, ...]:
        return tuple(format_ip(int(address), address.version) for address in self.addresses)

    @cached_property
    def address_text(self) -> str:
        return ",".join(self.address_texts)


@dataclass(frozen=True)
class NetworkSpec:
    """The ``network`` and ``nodes`` config, parsed but not yet checked against each other."""

    cluster_cidrs: tuple[IPNetwork, ...]
    service_cidrs: tuple[IPNetwork, ...]
    node_cidr_mask_size: int = 24
    node_cidr_mask_size_ipv6: int = 64
    dns_service_index: int = 10
    nodes: tuple[NodeSpec, ...] = field(default_factory=tuple)

    def node_mask(self, version: int) -> int:
        """The node block mask for one family."""
        return self.node_cidr_mask_size if version == 4 else self.node_cidr_mask_size_ipv6

    def node_mask_key(self, version: int) -> str:
        return "network.nodeCidrMaskSize" if version == 4 else "network.nodeCidrMaskSizeIpv6"


@dataclass(frozen=True)
class NetworkPlan:
    """A validated plan: every node's pod CIDRs (one per cluster range, in its order) and what follows."""

    spec: NetworkSpec
    pod_cidrs: dict[str, tuple[str, ...]]

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

    def routes(self) -> list[dict[str, str]]:
        """One route per pod CIDR, via the node's address of the same family (none where it has none)."""
        routes = []
        for node in self.spec.nodes:
            via = {address.version: text for address, text in zip(node.addresses, node.address_texts)}
            for cidr, cluster in zip(self.pod_cidrs[node.name], self.spec.cluster_cidrs):
                if cluster.version in via:
                    routes.append({"node": node.name, "destination": cidr, "via": via[cluster.version]})
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

    def to_output(self) -> dict[str, Any]:
        """The ``network`` stack output."""
        return {
            "clusterCidrs": [str(cidr) for cidr in self.spec.cluster_cidrs],
            "serviceCidrs": [str(cidr) for cidr in self.spec.service_cidrs],
            "kubernetesServiceIp": self.kubernetes_service_ip,
            "clusterDnsIp": self.cluster_dns_ip,
            "nodeCidrMaskSizes": list(self.node_masks),
            "maxNodes": self.max_nodes,
            "nodes": {
                node.name: {"address": node.address_text, "podCidrs": list(self.pod_cidrs[node.name])}
                for node in self.spec.nodes
            },
            "routes": self.routes(),
            "flags": self.flags(),
        }


def kubernetes_service_ip(spec: NetworkSpec) -> str:
    """The first address of the first service range: the ``default/kubernetes`` Service's clusterIP."""
    return str(spec.service_cidrs[0].network_address + KUBERNETES_SERVICE_INDEX)


def max_nodes(spec: NetworkSpec) -> int:
    """How many node blocks the cluster ranges hold: the smallest count across families."""
    return min(1 << (spec.node_mask(cidr.version) - cidr.prefixlen) for cidr in spec.cluster_cidrs)


def is_dns1123_subdomain(name: str) -> bool:
    return len(name) <= DNS1123_SUBDOMAIN_MAX_LENGTH and _DNS1123_SUBDOMAIN.fullmatch(name) is not None


def validate_families(cidrs: Sequence[IPNetwork], key: str) -> None:
    """One CIDR, or two of different families (kube-apiserver and kube-controller-manager dual-stack rule)."""
    accepted = "one CIDR, or one IPv4 and one IPv6 CIDR separated by a comma"
    if not 1 <= len(cidrs) <= 2:
        raise ConfigError(key, f"has {len(cidrs)} CIDRs", accepted)
    if len(cidrs) == 2 and cidrs[0].version == cidrs[1].version:
        raise ConfigError(key, f"has two {family_name(cidrs[0].version)} CIDRs", accepted)


def validate_service_ranges(spec: NetworkSpec) -> None:
    """Size of each service range, and room for the kubernetes and DNS service IPs in the first one."""
    for cidr in spec.service_cidrs:
        smallest_mask = cidr.max_prefixlen - SERVICE_RANGE_MAX_BITS
        if cidr.prefixlen < smallest_mask:
            raise ConfigError(
                "network.serviceCidr",
                f"{cidr} is too large: a service range holds at most 2^{SERVICE_RANGE_MAX_BITS} addresses",
                f"a {family_name(cidr.version)} mask of /{smallest_mask} or longer",
            )
    first = spec.service_cidrs[0]
    # The allocator never hands out the network address, nor the IPv4 broadcast address.
    highest = first.num_addresses - (2 if first.version == 4 else 1)
    lowest = KUBERNETES_SERVICE_INDEX + 1
    if highest < lowest:
        raise ConfigError(
            "network.serviceCidr",
            f"{first} has no room for the kubernetes service IP and the cluster DNS IP",
            "a range of at least 4 addresses",
        )
    index = spec.dns_service_index
    if not lowest <= index <= highest:
        raise ConfigError(
            "network.dnsServiceIndex",
            f"{index} is outside the usable addresses of {first} (index {KUBERNETES_SERVICE_INDEX} is the "
            "kubernetes service IP)",
            f"an index from {lowest} to {highest}",
        )


def validate_node_masks(spec: NetworkSpec) -> None:
    """The node mask of each family fits its cluster range (kubeadm, cidrset)."""
    for cidr in spec.cluster_cidrs:
        mask = spec.node_mask(cidr.version)
        key = spec.node_mask_key(cidr.version)
        lowest = cidr.prefixlen
        highest = min(cidr.prefixlen + NODE_MASK_MAX_DIFF, cidr.max_prefixlen)
        if not lowest <= mask <= highest:
            raise ConfigError(
                key,
                f"{mask} does not fit network.clusterCidr {cidr}: node blocks must be no larger than the cluster "
                f"range and at most {NODE_MASK_MAX_DIFF} bits smaller",
                f"a mask from {lowest} to {highest}",
            )


def validate_overlaps(spec: NetworkSpec) -> None:
    """Service ranges and cluster ranges are disjoint."""
    for service in spec.service_cidrs:
        for cluster in spec.cluster_cidrs:
            if service.overlaps(cluster):
                raise ConfigError(
                    "network.serviceCidr",
                    f"{service} overlaps network.clusterCidr {cluster}",
                    "a service range disjoint from the cluster range",
                )


def validate_nodes(spec: NetworkSpec) -> None:
    """Names, addresses, pinned blocks and capacity of the node list."""
    if not spec.nodes:
        raise ConfigError("nodes", "is empty", "a list of at least one {name, address} object")
    capacity = max_nodes(spec)
    if len(spec.nodes) > capacity:
        ranges = ", ".join(f"{cidr} in /{spec.node_mask(cidr.version)} blocks" for cidr in spec.cluster_cidrs)
        raise ConfigError(
            "nodes",
            f"{len(spec.nodes)} nodes do not fit: network.clusterCidr holds {capacity} node "
            f"block{'' if capacity == 1 else 's'} ({ranges})",
            f"at most {capacity} nodes, a larger network.clusterCidr or a longer node mask",
        )
    all_ranges: list[IPNetwork] = [*spec.cluster_cidrs, *spec.service_cidrs]
    ranges_by_family = {
        version: [(int(r.network_address), int(r.broadcast_address), r) for r in all_ranges if r.version == version]
        for version in (4, 6)
    }
    names: dict[str, int] = {}
    addresses: dict[tuple[int, int], int] = {}
    pins: dict[IPNetwork, int] = {}
    for node in spec.nodes:
        prefix = f"nodes[{node.index}]"
        if not is_dns1123_subdomain(node.name):
            raise ConfigError(
                f"{prefix}.name",
                f"{node.name!r} is not a lowercase RFC 1123 subdomain",
                "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most "
                f"{DNS1123_SUBDOMAIN_MAX_LENGTH} characters (e.g. 'worker-0')",
            )
        if node.name in names:
            raise ConfigError(f"{prefix}.name", f"{node.name!r} is already used by nodes[{names[node.name]}]",
                              "a unique node name")
        names[node.name] = node.index
        _validate_node_addresses(node, ranges_by_family, addresses)
        _validate_pins(spec, node, pins)


def _validate_node_addresses(
    node: NodeSpec,
    ranges_by_family: Mapping[int, list[tuple[int, int, IPNetwork]]],
    seen: dict[tuple[int, int], int],
) -> None:
    key = f"nodes[{node.index}].address"
    accepted = "one address, or one IPv4 and one IPv6 address separated by a comma"
    if len(node.addresses) > 2:
        raise ConfigError(key, f"has {len(node.addresses)} addresses", accepted)
    if len(node.addresses) == 2 and node.addresses[0].version == node.addresses[1].version:
        raise ConfigError(key, f"has two {family_name(node.addresses[0].version)} addresses", accepted)
    for address in node.addresses:
        value = int(address)
        for low, high, network in ranges_by_family[address.version]:
            if low <= value <= high:
                raise ConfigError(key, f"{address} lies inside {network}",
                                  "a node address outside network.clusterCidr and network.serviceCidr")
        identity = (address.version, value)
        if identity in seen:
            raise ConfigError(key, f"{address} is already used by nodes[{seen[identity]}]", "a unique node address")
        seen[identity] = node.index


def _validate_pins(spec: NetworkSpec, node: NodeSpec, seen: dict[IPNetwork, int]) -> None:
    if not node.pinned:
        return
    key = f"nodes[{node.index}].podCidr"
    clusters = spec.cluster_cidrs
    wanted = " and ".join(f"one {family_name(c.version)} /{spec.node_mask(c.version)} inside {c}" for c in clusters)
    accepted = f"{wanted}, comma-separated in the order of network.clusterCidr"
    if len(node.pinned) != len(clusters):
        raise ConfigError(key, f"has {len(node.pinned)} CIDRs for {len(clusters)} cluster ranges", accepted)
    for pin, cluster in zip(node.pinned, clusters):
        if pin.version != cluster.version:
            raise ConfigError(key, f"{pin} is {family_name(pin.version)} where network.clusterCidr has "
                              f"{family_name(cluster.version)} {cluster}", accepted)
        if not pin.subnet_of(cluster):  # type: ignore[arg-type]
            raise ConfigError(key, f"{pin} lies outside network.clusterCidr {cluster}", accepted)
        mask = spec.node_mask(cluster.version)
        if pin.prefixlen != mask:
            raise ConfigError(key, f"{pin} is a /{pin.prefixlen}, not a node block of /{mask} "
                              f"({spec.node_mask_key(cluster.version)})", accepted)
        if pin in seen:
            raise ConfigError(key, f"{pin} is already pinned by nodes[{seen[pin]}]", "a unique block per node")
        seen[pin] = node.index


def validate_network(spec: NetworkSpec) -> None:
    """Every static rule; raises ConfigError naming the first offending key."""
    validate_families(spec.cluster_cidrs, "network.clusterCidr")
    validate_families(spec.service_cidrs, "network.serviceCidr")
    cluster_families = sorted(cidr.version for cidr in spec.cluster_cidrs)
    service_families = sorted(cidr.version for cidr in spec.service_cidrs)
    if cluster_families != service_families:
        raise ConfigError(
            "network.serviceCidr",
            f"covers {'+'.join(family_name(v) for v in service_families)} but network.clusterCidr covers "
            f"{'+'.join(family_name(v) for v in cluster_families)}",
            "service ranges of the same IP families as the cluster ranges",
        )
    validate_service_ranges(spec)
    validate_node_masks(spec)
    validate_overlaps(spec)
    validate_nodes(spec)


class _BlockPool:
    """The node blocks of one cluster range, addressed by index: block i starts at base + i * size."""

    def __init__(self, cluster: IPNetwork, mask: int) -> None:
        self.cluster = cluster
        self.mask = mask
        self.shift = cluster.max_prefixlen - mask
        self.base = int(cluster.network_address)
        self.count = 1 << (mask - cluster.prefixlen)
        self.owner: dict[int, str] = {}
        self._cursor = 0

    def index_of(self, block: IPNetwork) -> int | None:
        """The block's index, or None when it is not one of this pool's blocks."""
        if block.version != self.cluster.version or block.prefixlen != self.mask:
            return None
        offset = int(block.network_address) - self.base
        if offset < 0 or (offset >> self.shift) >= self.count:
            return None
        return offset >> self.shift

    def lowest_free(self) -> int:
        while self._cursor in self.owner:
            self._cursor += 1
        return self._cursor

    def text(self, index: int) -> str:
        return f"{format_ip(self.base + (index << self.shift), self.cluster.version)}/{self.mask}"


def _parse_previous(texts: Iterable[object]) -> list[IPNetwork]:
    blocks = []
    for text in texts:
        try:
            blocks.append(ipaddress.ip_network(str(text), strict=True))
        except ValueError:
            continue
    return blocks


def _kept_index(pool: _BlockPool, kept: list[IPNetwork]) -> int | None:
    """The index of the node's block in ``pool`` from the last deployment, if it had one there."""
    for block in kept:
        index = pool.index_of(block)
        if index is not None:
            return index
    return None


def _check_pin_keeps_block(node: NodeSpec, kept: list[IPNetwork], pools: list[_BlockPool]) -> None:
    """A pin may confirm a node's block from the last deployment, never move it (podCIDR is immutable)."""
    for pool, pin in zip(pools, node.pinned):
        index = _kept_index(pool, kept)
        if index is not None and index != pool.index_of(pin):
            raise ConfigError(
                f"nodes[{node.index}].podCidr",
                f"{pin} differs from {pool.text(index)}, which the last deployment gave node "
                f"{node.name!r}, and a node's pod CIDR cannot change once assigned",
                f"{pool.text(index)}, or remove the node, deploy, and add it back",
            )


def allocate(spec: NetworkSpec, previous: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """Pod CIDRs per node: pinned blocks first, then each node's block from the last deployment, then the lowest
    free block in node-list order. ``previous`` maps node names to the pod CIDRs the last deployment gave them."""
    previous = previous or {}
    pools = [_BlockPool(cluster, spec.node_mask(cluster.version)) for cluster in spec.cluster_cidrs]
    chosen: dict[str, list[int | None]] = {node.name: [None] * len(pools) for node in spec.nodes}
    pinned_by: dict[tuple[int, int], NodeSpec] = {}
    for node in spec.nodes:
        for family, (pool, pin) in enumerate(zip(pools, node.pinned)):
            index = pool.index_of(pin)
            assert index is not None  # validate_network checked every pin
            pool.owner[index] = node.name
            pinned_by[(family, index)] = node
            chosen[node.name][family] = index
    for node in spec.nodes:
        if node.name not in previous:
            continue
        kept = _parse_previous(previous[node.name])
        if node.pinned:
            _check_pin_keeps_block(node, kept, pools)
            continue
        for family, pool in enumerate(pools):
            index = _kept_index(pool, kept)
            if index is None:
                continue
            if (family, index) in pinned_by:
                holder = pinned_by[(family, index)]
                raise ConfigError(
                    f"nodes[{holder.index}].podCidr",
                    f"{pool.text(index)} is already assigned to node {node.name!r} by the last deployment, and "
                    "a node's pod CIDR cannot change once assigned",
                    "a free block, or remove that node first",
                )
            if index not in pool.owner:
                pool.owner[index] = node.name
                chosen[node.name][family] = index
    for node in spec.nodes:
        picks = chosen[node.name]
        for family, pool in enumerate(pools):
            if picks[family] is None:
                index = pool.lowest_free()
                pool.owner[index] = node.name
                picks[family] = index
    return {
        name: tuple(pool.text(index) for pool, index in zip(pools, picks) if index is not None)
        for name, picks in chosen.items()
    }


def plan_network(
    spec: NetworkSpec, previous: Mapping[str, Sequence[str]] | None = None, *, validated: bool = False
) -> NetworkPlan:
    """Validate the spec (unless the caller already did) and allocate every node's pod CIDRs, keeping the blocks
    of the last deployment."""
    if not validated:
        validate_network(spec)
    return NetworkPlan(spec=spec, pod_cidrs=allocate(spec, previous))


def previous_pod_cidrs(network_output: object) -> dict[str, list[str]]:
    """Node name -> pod CIDRs from a previous ``network`` stack output; empty for anything unexpected."""
    if not isinstance(network_output, Mapping):
        return {}
    nodes = network_output.get("nodes")
    if not isinstance(nodes, Mapping):
        return {}
    result = {}
    for name, node in nodes.items():
        if isinstance(node, Mapping) and isinstance(node.get("podCidrs"), list):
            result[str(name)] = [str(cidr) for cidr in node["podCidrs"]]
    return result
