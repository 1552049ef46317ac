"""Every static rule of the network plan, each a small check that names the config key it blames.

The rules and their sources:

* kube-apiserver (cmd/kube-apiserver/app/options/validation.go): at most one service range per family, two
  ranges must be of different families.
* kubeadm (cmd/kubeadm/app/apis/kubeadm/validation, app/constants): a service range holds at most 2^20
  addresses (IPv4 mask >= /12, IPv6 mask >= /108); the node mask is no shorter than the cluster mask and at most
  16 bits longer (PodSubnetNodeMaskMaxDiff); the DNS service IP is the 10th address of the first service range.
* kube-controller-manager (pkg/controller/nodeipam/ipam/cidrset): a pinned podCIDR is a node block of its
  family's cluster range, and belongs to one node.
* the service IP allocator (pkg/registry/core/service/ipallocator): never the network address, nor the IPv4
  broadcast address.
* node names are DNS-1123 subdomains (apimachinery validation.IsDNS1123Subdomain).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from components.cidr import IPNetwork, family_name
from components.errors import ConfigError
from components.network_config_keys import node_mask_key
from components.network_plan import KUBERNETES_SERVICE_INDEX, NetworkSpec, NodeSpec, max_nodes

NODE_MASK_MAX_DIFF = 16
"""kubeadm's PodSubnetNodeMaskMaxDiff: node blocks at most 16 bits longer than the cluster range."""

SERVICE_RANGE_MAX_BITS = 20
"""kubeadm's MaximumBitsForServiceSubnet: a service range holds at most 2^20 addresses."""


_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"^{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*$")
DNS1123_SUBDOMAIN_MAX_LENGTH = 253


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
        key = node_mask_key(cidr.version)
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
                              f"({node_mask_key(cluster.version)})", accepted)
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
