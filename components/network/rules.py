"""Every static rule of the network plan: small checks that each return the problems they find, naming the config
key to fix, and ``validate_network``, which reports all of them together.

The rules and their sources:

* kube-apiserver (cmd/kube-apiserver/app/options/validation.go): at most one service range per family, two
  ranges must be of different families; its ``Validate`` collects every error the same way.
* kubeadm (cmd/kubeadm/app/apis/kubeadm/validation, app/constants): a service range holds at most 2^20
  addresses (IPv4 mask >= /12, IPv6 mask >= /108); the node mask is no shorter than the cluster mask and at most
  16 bits longer (PodSubnetNodeMaskMaxDiff); the DNS service IP is the 10th address of the first service range.
* kube-controller-manager (pkg/controller/nodeipam/ipam/cidrset): a pinned podCIDR is a node block of its
  family's cluster range, and belongs to one node.
* the service IP allocator (pkg/registry/core/service/ipallocator): never the network address, nor the IPv4
  broadcast address.
* CNI host-local (plugins/ipam/host-local/backend/allocator/range.go Canonicalize): a node block keeps at least 2
  host bits, or no pod gets an address from it.
* kubelet (pkg/kubelet/kubelet_node_status.go validateNodeIP): no loopback, multicast, link-local or unspecified
  node IP (usable_address.py).
* node names are DNS-1123 subdomains (apimachinery validation.IsDNS1123Subdomain).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple, TypeVar

from components.config.errors import ConfigError, raise_all
from components.config.shown import shown
from components.config.wording import counted
from components.network.addresses import IPNetwork, family_name
from components.network.keys import (
    CLUSTER_CIDR_KEY,
    DNS_SERVICE_INDEX_KEY,
    SERVICE_CIDR_KEY,
    node_key,
    node_label,
    node_mask_key,
)
from components.network.model import KUBERNETES_SERVICE_INDEX, NetworkSpec, NodeSpec, max_nodes
from components.network.usable_address import USABLE_ADDRESS, unusable_reason

NODE_MASK_MAX_DIFF = 16
"""kubeadm's PodSubnetNodeMaskMaxDiff: node blocks at most 16 bits longer than the cluster range."""

NODE_BLOCK_MIN_HOST_BITS = 2
"""CNI host-local (plugins/ipam/host-local/backend/allocator/range.go Canonicalize) refuses a subnet with fewer host
bits as "too small to allocate from": a /31 or /32 (IPv4), a /127 or /128 (IPv6) leaves no address for a pod."""

SERVICE_RANGE_MAX_BITS = 20
"""kubeadm's MaximumBitsForServiceSubnet: a service range holds at most 2^20 addresses."""

DNS1123_SUBDOMAIN_MAX_LENGTH = 253
"""apimachinery's DNS1123SubdomainMaxLength."""

_DNS1123_LABEL = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1123_SUBDOMAIN = re.compile(rf"{_DNS1123_LABEL}(\.{_DNS1123_LABEL})*")
_NAME_ACCEPTED = (
    "lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, at most "
    f"{DNS1123_SUBDOMAIN_MAX_LENGTH} characters (e.g. 'worker-0')"
)
_ADDRESSES_ACCEPTED = "one address, or one IPv4 and one IPv6 address separated by a comma"

K = TypeVar("K")

Ranges = list[tuple[int, int, IPNetwork]]
"""(first address, last address, range) of every cluster and service range of one family."""


def is_dns1123_subdomain(name: str) -> bool:
    return len(name) <= DNS1123_SUBDOMAIN_MAX_LENGTH and _DNS1123_SUBDOMAIN.fullmatch(name) is not None


def validate_families(cidrs: Sequence[IPNetwork], key: str) -> list[ConfigError]:
    """One CIDR, or two of different families (kube-apiserver and kube-controller-manager dual-stack rule)."""
    accepted = "one CIDR, or one IPv4 and one IPv6 CIDR separated by a comma"
    if not 1 <= len(cidrs) <= 2:
        return [ConfigError(key, f"has {len(cidrs)} CIDRs", accepted, without_values="has too many CIDRs")]
    if len(cidrs) == 2 and cidrs[0].version == cidrs[1].version:
        return [ConfigError(key, f"has two {family_name(cidrs[0].version)} CIDRs", accepted,
                            without_values="has two CIDRs of one family")]
    return []


def validate_same_families(spec: NetworkSpec) -> list[ConfigError]:
    """Service ranges cover the families of the cluster ranges (the dual-stack setup of every component)."""
    cluster_families = sorted(cidr.version for cidr in spec.cluster_cidrs)
    service_families = sorted(cidr.version for cidr in spec.service_cidrs)
    if cluster_families == service_families:
        return []
    return [ConfigError(
        SERVICE_CIDR_KEY,
        f"covers {'+'.join(family_name(v) for v in service_families)} but {CLUSTER_CIDR_KEY} covers "
        f"{'+'.join(family_name(v) for v in cluster_families)}",
        "service ranges of the same IP families as the cluster ranges",
        without_values=f"covers other IP families than {CLUSTER_CIDR_KEY}",
    )]


def validate_service_ranges(spec: NetworkSpec) -> list[ConfigError]:
    """Size of each service range, and room for the kubernetes and DNS service IPs in the first one."""
    problems = []
    for cidr in spec.service_cidrs:
        smallest_mask = cidr.max_prefixlen - SERVICE_RANGE_MAX_BITS
        if cidr.prefixlen < smallest_mask:
            problems.append(ConfigError(
                SERVICE_CIDR_KEY,
                f"{cidr} is too large: a service range holds at most 2^{SERVICE_RANGE_MAX_BITS} addresses",
                f"a {family_name(cidr.version)} mask of /{smallest_mask} or longer",
                without_values=f"is too large: a service range holds at most 2^{SERVICE_RANGE_MAX_BITS} addresses",
            ))
    if not spec.service_cidrs:
        return problems
    first = spec.service_cidrs[0]
    # The allocator never hands out the network address, nor the IPv4 broadcast address.
    highest = first.num_addresses - (2 if first.version == 4 else 1)
    lowest = KUBERNETES_SERVICE_INDEX + 1
    if highest < lowest:
        problems.append(ConfigError(
            SERVICE_CIDR_KEY,
            f"{first} has no room for the kubernetes service IP and the cluster DNS IP",
            "a range of at least 4 addresses",
            without_values="has no room for the kubernetes service IP and the cluster DNS IP",
        ))
        return problems  # no index could be right: the range is the problem
    index = spec.dns_service_index
    if not lowest <= index <= highest:
        problems.append(ConfigError(
            DNS_SERVICE_INDEX_KEY,
            f"{index} is outside the usable addresses of {first} (index {KUBERNETES_SERVICE_INDEX} is the "
            "kubernetes service IP)",
            f"an index from {lowest} to {highest}",
            without_values=f"is outside the usable addresses of the first {SERVICE_CIDR_KEY}",
        ))
    return problems


def validate_node_masks(spec: NetworkSpec) -> list[ConfigError]:
    """The node mask of each family fits its cluster range (kubeadm, cidrset) and leaves addresses for pods (CNI
    host-local)."""
    problems = []
    for cidr in spec.cluster_cidrs:
        mask = spec.node_mask(cidr.version)
        longest = cidr.max_prefixlen - NODE_BLOCK_MIN_HOST_BITS
        lowest = cidr.prefixlen
        highest = min(cidr.prefixlen + NODE_MASK_MAX_DIFF, longest)
        if lowest <= mask <= highest:
            continue
        accepted = (f"a mask from {lowest} to {highest}" if lowest <= highest else
                    f"a {CLUSTER_CIDR_KEY} range of /{longest} or shorter, and a mask of at most {longest}")
        if mask > longest:
            problems.append(ConfigError(
                node_mask_key(cidr.version),
                f"{mask} leaves no address for pods: CNI's host-local refuses a /{mask} node block as too small to "
                "allocate from",
                accepted,
                without_values="leaves no address for pods: CNI's host-local refuses node blocks that small",
            ))
        else:
            problems.append(ConfigError(
                node_mask_key(cidr.version),
                f"{mask} does not fit {CLUSTER_CIDR_KEY} {cidr}: node blocks must be no larger than the cluster "
                f"range and at most {NODE_MASK_MAX_DIFF} bits smaller",
                accepted,
                without_values=f"does not fit {CLUSTER_CIDR_KEY}",
            ))
    return problems


def validate_overlaps(spec: NetworkSpec) -> list[ConfigError]:
    """Service ranges and cluster ranges are disjoint."""
    return [
        ConfigError(SERVICE_CIDR_KEY, f"{service} overlaps {CLUSTER_CIDR_KEY} {cluster}",
                    "a service range disjoint from the cluster range",
                    without_values=f"overlaps {CLUSTER_CIDR_KEY}")
        for service in spec.service_cidrs
        for cluster in spec.cluster_cidrs
        if service.overlaps(cluster)
    ]


def validate_node_identities(spec: NetworkSpec) -> list[ConfigError]:
    """Every node's name and addresses: well formed, unique, usable, outside the cluster and service ranges."""
    if not spec.nodes:
        return [ConfigError("nodes", "is empty",
                            "a list of at least one {name, address} object, or nodesFile: a file listing them",
                            safe=True)]
    all_ranges: list[IPNetwork] = [*spec.cluster_cidrs, *spec.service_cidrs]
    ranges_by_family: dict[int, Ranges] = {
        version: [(int(r.network_address), int(r.broadcast_address), r) for r in all_ranges if r.version == version]
        for version in (4, 6)
    }
    # Every address is of one of two families: only a single-stack cluster can leave a node without its family.
    versions = {cidr.version for cidr in spec.cluster_cidrs}
    single = versions.pop() if len(versions) == 1 else None
    problems: list[ConfigError] = []
    names: dict[str, NodeSpec] = {}
    addresses: dict[tuple[int, int], NodeSpec] = {}
    for node in spec.nodes:
        _check_name(node, names, problems)
        _check_addresses(node, ranges_by_family, addresses, problems)
        if single is not None and node.runs_pods and node.addresses and node.addresses[0].version != single and all(
                address.version != single for address in node.addresses):
            problems.append(_no_cluster_family(spec, node))
    return problems


def _no_cluster_family(spec: NetworkSpec, node: NodeSpec) -> ConfigError:
    """A node that runs pods has no address of the cluster's family (a single-stack cluster: every address is of
    one of two families): its pods get addresses of that family only (one podCIDR per cluster range), and no route
    reaches them through the node."""
    family = family_name(spec.cluster_cidrs[0].version)
    return ConfigError(
        node_key(node, "address"),
        f"{node.address_text} has no {family} address, and {CLUSTER_CIDR_KEY} is {family} only: the node's pods "
        "would get addresses no route through the node reaches",
        f"an {family} address for the node (or an IPv4,IPv6 pair), or a {CLUSTER_CIDR_KEY} with a range of the "
        "node's family",
        without_values=f"has no address of the family of {CLUSTER_CIDR_KEY}: no route would reach its pods",
    )


def _claimed(seen: dict[K, NodeSpec], identity: K, node: NodeSpec) -> NodeSpec | None:
    """The node that has ``identity`` (a name, an address, a block) already; None when ``node`` is the first, which
    then has it."""
    first = seen.get(identity)
    if first is None:
        seen[identity] = node
    return first


def _check_name(node: NodeSpec, seen: dict[str, NodeSpec], problems: list[ConfigError]) -> None:
    if not is_dns1123_subdomain(node.name):
        problems.append(ConfigError(node_key(node, "name"),
                                    f"{shown(node.name)} is not a lowercase RFC 1123 subdomain", _NAME_ACCEPTED,
                                    safe=True))
    elif (owner := _claimed(seen, node.name, node)) is not None:
        problems.append(ConfigError(node_key(node, "name"), f"{node.name!r} is already used by "
                                    f"{node_label(owner)}", "a unique node name",
                                    without_values=f"is already used by {node_label(owner)}"))


def _check_addresses(
    node: NodeSpec,
    ranges_by_family: dict[int, Ranges],
    seen: dict[tuple[int, int], NodeSpec],
    problems: list[ConfigError],
) -> None:
    if len(node.addresses) > 2:
        problems.append(ConfigError(node_key(node, "address"), f"has {len(node.addresses)} addresses",
                                    _ADDRESSES_ACCEPTED, without_values="has more than two addresses"))
        return  # which of them the node means is anyone's guess
    if len(node.addresses) == 2 and node.addresses[0].version == node.addresses[1].version:
        problems.append(ConfigError(node_key(node, "address"),
                                    f"has two {family_name(node.addresses[0].version)} addresses",
                                    _ADDRESSES_ACCEPTED, without_values="has two addresses of one family"))
        return
    for address in node.addresses:
        version, value = address.version, address.value
        reason = unusable_reason(value, version)
        if reason is not None:
            problems.append(ConfigError(node_key(node, "address"), f"{address} is {reason}, which kubelet "
                                        "refuses as a node IP", USABLE_ADDRESS,
                                        without_values=f"is {reason.split(' (')[0]}, which kubelet refuses as a node "
                                                       "IP"))
            continue
        for low, high, network in ranges_by_family[version]:
            if low <= value <= high:
                problems.append(ConfigError(node_key(node, "address"), f"{address} lies inside {network}",
                                            f"a node address outside {CLUSTER_CIDR_KEY} and {SERVICE_CIDR_KEY}",
                                            without_values="lies inside a cluster or service range"))
        if (owner := _claimed(seen, (version, value), node)) is not None:
            problems.append(ConfigError(node_key(node, "address"), f"{address} is already used by "
                                        f"{node_label(owner)}", "a unique node address",
                                        without_values=f"is already used by {node_label(owner)}"))


def validate_node_blocks(spec: NetworkSpec) -> list[ConfigError]:
    """Room for every node, and every pinned block a node block of its cluster range, pinned once. Meaningful
    only when the cluster ranges and node masks pass their own rules."""
    problems: list[ConfigError] = []
    capacity = max_nodes(spec)
    pod_nodes = sum(node.runs_pods for node in spec.nodes)
    if pod_nodes > capacity:
        ranges = ", ".join(f"{cidr} in /{spec.node_mask(cidr.version)} blocks" for cidr in spec.cluster_cidrs)
        problems.append(ConfigError(
            "nodesFile" if spec.nodes[0].source is not None else "nodes",
            f"{pod_nodes} nodes do not fit: {CLUSTER_CIDR_KEY} holds {counted(capacity, 'node block')} ({ranges})",
            f"at most {capacity} nodes, a larger {CLUSTER_CIDR_KEY} or a longer node mask",
            without_values=f"holds more nodes than {CLUSTER_CIDR_KEY} has node blocks",
        ))
    pins: dict[tuple[int, int, int], NodeSpec] = {}
    pin_ranges = [_PinRange.of(cluster, spec.node_mask(cluster.version)) for cluster in spec.cluster_cidrs]
    for node in spec.nodes:
        if node.pinned:
            _check_pins(spec, pin_ranges, node, pins, problems)
    return problems


class _PinRange(NamedTuple):
    """What a pin is checked against, per cluster range, computed once for every pinned node."""

    cluster: IPNetwork
    mask: int
    """The family's node mask."""
    outside_bits: int
    """The bits of an address outside the range's prefix."""
    top: int
    """The range's prefix bits: ``network address >> outside_bits``."""

    @classmethod
    def of(cls, cluster: IPNetwork, mask: int) -> _PinRange:
        outside_bits = cluster.max_prefixlen - cluster.prefixlen
        return cls(cluster, mask, outside_bits, int(cluster.network_address) >> outside_bits)


def _pins_accepted(spec: NetworkSpec) -> str:
    wanted = " and ".join(
        f"one {family_name(c.version)} /{spec.node_mask(c.version)} inside {c}" for c in spec.cluster_cidrs
    )
    return f"{wanted}, comma-separated in the order of {CLUSTER_CIDR_KEY}"


def _check_pins(
    spec: NetworkSpec,
    ranges: list[_PinRange],
    node: NodeSpec,
    seen: dict[tuple[int, int, int], NodeSpec],
    problems: list[ConfigError],
) -> None:
    if len(node.pinned) > len(ranges):
        problems.append(ConfigError(node_key(node, "podCidr"), f"has {len(node.pinned)} CIDRs for "
                                    f"{counted(len(ranges), 'cluster range')}",
                                    _pins_accepted(spec),
                                    without_values="has more CIDRs than there are cluster ranges"))
        return  # which pin is meant for which range is anyone's guess
    # Fewer pins than ranges are the first ranges' (range_allocator.go matches podCIDRs to ranges by position):
    # only a node that holds fewer blocks may pin fewer, which the allocation checks against what it holds.
    for pin, (cluster, mask, outside_bits, top) in zip(node.pinned, ranges):
        version = cluster.version
        if pin.version != version:
            problems.append(ConfigError(node_key(node, "podCidr"), f"{pin} is {family_name(pin.version)} where "
                                        f"{CLUSTER_CIDR_KEY} has {family_name(version)} {cluster}",
                                        _pins_accepted(spec),
                                        without_values=f"lists its families in another order than {CLUSTER_CIDR_KEY}"))
            return  # the pins are in another order than the ranges: one message says it
        if pin.prefix < cluster.prefixlen or pin.value >> outside_bits != top:
            problems.append(ConfigError(node_key(node, "podCidr"), f"{pin} lies outside {CLUSTER_CIDR_KEY} {cluster}",
                                        _pins_accepted(spec), without_values=f"lies outside {CLUSTER_CIDR_KEY}"))
        elif pin.prefix != mask:
            problems.append(ConfigError(node_key(node, "podCidr"), f"{pin} is a /{pin.prefix}, not a node block of "
                                        f"/{mask} ({node_mask_key(version)})", _pins_accepted(spec),
                                        without_values=f"is not a node block of {node_mask_key(version)}"))
        elif (owner := _claimed(seen, (pin.version, pin.value, pin.prefix), node)) is not None:
            problems.append(ConfigError(node_key(node, "podCidr"), f"{pin} is already pinned by "
                                        f"{node_label(owner)}", "a unique block per node",
                                        without_values=f"is already pinned by {node_label(owner)}"))


def network_problems(spec: NetworkSpec) -> list[ConfigError]:
    """Every problem of the spec, in config order. A check is skipped only where an earlier problem makes it
    meaningless: the families must be sound before they are compared, and the cluster ranges and node masks
    before node blocks are counted or pins placed."""
    cluster_problems = validate_families(spec.cluster_cidrs, CLUSTER_CIDR_KEY)
    service_problems = validate_families(spec.service_cidrs, SERVICE_CIDR_KEY)
    problems = [*cluster_problems, *service_problems]
    if not cluster_problems and not service_problems:
        problems += validate_same_families(spec)
    problems += validate_service_ranges(spec)
    mask_problems = validate_node_masks(spec)
    problems += mask_problems
    problems += validate_overlaps(spec)
    problems += validate_node_identities(spec)
    if spec.nodes and not cluster_problems and not mask_problems:
        problems += validate_node_blocks(spec)
    return problems


def validate_network(spec: NetworkSpec) -> None:
    """Every static rule; raises the ConfigError, or a CollectedConfigError of all of them, naming each key."""
    raise_all(network_problems(spec))
