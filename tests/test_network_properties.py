"""Property tests of pod CIDR allocation over random valid networks: containment, exact masks, disjointness,
the allocation order, and stability of every node's blocks when other nodes are removed, reordered or added."""

from __future__ import annotations

import dataclasses
import ipaddress
import itertools
from collections.abc import Collection, Sequence

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components.network.addresses import IPAddress, IPNetwork
from components.network.blocks import PodBlock
from components.network.model import NetworkPlan, NetworkSpec, NodeAddress, NodeSpec
from components.network.usable_address import unusable_address_reason
from tests.helpers.network_specs import deployed, renumber, valid_plan

PROPERTY_SETTINGS = settings(max_examples=100, deadline=None)
MAX_NODES = 8
FAMILY_ORDERS = [(4,), (6,), (4, 6), (6, 4)]
UNUSABLE = [ipaddress.ip_network(text) for text in (
    "0.0.0.0/32", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/4", "255.255.255.255/32",
    "::/128", "::1/128", "fe80::/10", "ff00::/8",
)]
"""What kubelet's validateNodeIP refuses (unspecified, loopback, link-local, multicast), and the IPv4 broadcast."""


def bits(version: int) -> int:
    return 32 if version == 4 else 128


def network(version: int, prefix: int, value: int) -> IPNetwork:
    """The network of ``prefix`` bits that contains the address ``value``."""
    shift = bits(version) - prefix
    base = (value >> shift) << shift
    return ipaddress.IPv4Network((base, prefix)) if version == 4 else ipaddress.IPv6Network((base, prefix))


def address(version: int, value: int) -> IPAddress:
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


def block(cluster: IPNetwork, mask: int, index: int) -> IPNetwork:
    """Node block ``index`` of ``cluster``, by arithmetic."""
    start = int(cluster.network_address) + (index << (cluster.max_prefixlen - mask))
    return network(cluster.version, mask, start)


def block_count(spec: NetworkSpec, cluster: IPNetwork) -> int:
    return 1 << (spec.node_mask(cluster.version) - cluster.prefixlen)


def ranges(spec: NetworkSpec) -> list[IPNetwork]:
    return [*spec.cluster_cidrs, *spec.service_cidrs]


def outside(version: int, value: int, avoid: Sequence[IPNetwork], used: set[IPAddress]) -> IPAddress:
    """The first address from ``value`` upwards (wrapping) outside ``avoid`` and the addresses kubelet refuses as a
    node IP, and not in ``used``."""
    top = 1 << bits(version)
    while True:
        candidate = address(version, value)
        holder = next((r for r in [*avoid, *UNUSABLE] if r.version == version and candidate in r), None)
        if holder is not None:
            value = (int(holder.broadcast_address) + 1) % top
        elif candidate in used:
            value = (value + 1) % top
        else:
            return candidate


@st.composite
def disjoint_ranges(draw: st.DrawFn, version: int) -> tuple[IPNetwork, IPNetwork]:
    """A cluster range and a service range of one family that share a random common prefix, then differ."""
    width = bits(version)
    cluster_prefix = draw(st.integers(8, 26) if version == 4 else st.integers(16, 120))
    service_prefix = draw(st.integers(12, 30) if version == 4 else st.integers(108, 126))
    split = 1 << (width - draw(st.integers(1, min(cluster_prefix, service_prefix))))
    common = draw(st.integers(0, (1 << width) - 1)) & ~(2 * split - 1)
    cluster_side = draw(st.sampled_from([0, split]))
    low_bits = st.integers(0, split - 1)
    cluster = network(version, cluster_prefix, common | cluster_side | draw(low_bits))
    service = network(version, service_prefix, common | (split - cluster_side) | draw(low_bits))
    return cluster, service


@st.composite
def block_indexes(draw: st.DrawFn, count: int, size: int) -> list[int]:
    """``size`` distinct block indexes below ``count``, often among the first few so pins meet allocations."""
    if count <= 2 * MAX_NODES:
        return draw(st.permutations(range(count)))[:size]
    index = st.integers(0, 2 * MAX_NODES - 1) | st.integers(0, count - 1)
    return draw(st.lists(index, min_size=size, max_size=size, unique=True))


@st.composite
def networks(draw: st.DrawFn, spare: int = 0) -> NetworkSpec:
    """A random valid single- or dual-stack network with 1 to MAX_NODES nodes, some of them pinned, and room for
    ``spare`` more nodes."""
    families = draw(st.sampled_from(FAMILY_ORDERS))
    count = draw(st.integers(1, MAX_NODES))
    pairs = {v: draw(disjoint_ranges(v)) for v in families}
    clusters = tuple(pairs[v][0] for v in families)
    services = tuple(pairs[v][1] for v in draw(st.permutations(families)))
    need = (count + spare - 1).bit_length()
    # A mask leaves host-local at least 2 host bits (network rules.NODE_BLOCK_MIN_HOST_BITS).
    masks = {c.version: draw(st.integers(c.prefixlen + need, min(c.prefixlen + 16, c.max_prefixlen - 2)))
             for c in clusters}
    first = services[0]
    dns = draw(st.integers(2, first.num_addresses - (2 if first.version == 4 else 1)))
    spec = NetworkSpec(cluster_cidrs=clusters, service_cidrs=services, node_cidr_mask_size=masks.get(4, 24),
                       node_cidr_mask_size_ipv6=masks.get(6, 64), dns_service_index=dns)
    pins = [[block(c, masks[c.version], i) for i in draw(block_indexes(block_count(spec, c), count))]
            for c in clusters]
    pinned = draw(st.lists(st.booleans(), min_size=count, max_size=count))
    used: set[IPAddress] = set()
    nodes = []
    for i in range(count):
        node_families = draw(st.sampled_from([families[:1], families[-1:], families]))
        addresses = []
        for v in node_families:
            addresses.append(outside(v, draw(st.integers(0, (1 << bits(v)) - 1)), ranges(spec), used))
            used.add(addresses[-1])
        nodes.append(NodeSpec(
            position=i,
            name=f"node-{i}",
            addresses=tuple(NodeAddress.of(a) for a in addresses),
            pinned=tuple(PodBlock.of(family_pins[i]) for family_pins in pins) if pinned[i] else (),
        ))
    return dataclasses.replace(spec, nodes=tuple(nodes))


def assert_plan_is_sound(plan: NetworkPlan, held: Collection[str] = ()) -> None:
    """Every block inside its cluster range with the node mask, aligned, disjoint, clear of services and nodes; one
    per range, except for the ``held`` nodes (deployed before a range was added), which may have fewer."""
    spec = plan.spec
    by_family: dict[int, list[IPNetwork]] = {}
    for node in spec.nodes:
        blocks = [ipaddress.ip_network(text, strict=True) for text in plan.pod_cidrs[node.name]]
        if node.name in held:
            assert 1 <= len(blocks) <= len(spec.cluster_cidrs)
        else:
            assert len(blocks) == len(spec.cluster_cidrs)
        if node.pinned:
            assert tuple(PodBlock.of(block) for block in blocks) == node.pinned
        for pod, cluster in zip(blocks, spec.cluster_cidrs):
            assert pod.version == cluster.version
            assert pod.prefixlen == spec.node_mask(cluster.version)
            assert pod.network_address in cluster and pod.broadcast_address in cluster
            assert int(pod.network_address) % pod.num_addresses == 0
            assert not any(pod.overlaps(service) for service in spec.service_cidrs)
            assert not any(int(pod.network_address) <= a.value <= int(pod.broadcast_address)
                           for other in spec.nodes for a in other.addresses if a.version == pod.version)
            by_family.setdefault(pod.version, []).append(pod)
    for blocks in by_family.values():
        ordered = sorted(blocks, key=lambda b: int(b.network_address))
        for low, high in itertools.pairwise(ordered):
            assert int(low.broadcast_address) < int(high.network_address)


def lowest_free(cluster: IPNetwork, mask: int, taken: set[str]) -> str:
    """The first block of ``cluster`` not in ``taken``."""
    index = 0
    while str(block(cluster, mask, index)) in taken:
        index += 1
    return str(block(cluster, mask, index))


def expected_allocation(spec: NetworkSpec) -> dict[str, tuple[str, ...]]:
    """Reference model without a previous allocation: pins first, then the lowest free block in list order."""
    taken = [{str(node.pinned[f]) for node in spec.nodes if node.pinned} for f in range(len(spec.cluster_cidrs))]
    result = {}
    for node in spec.nodes:
        if node.pinned:
            result[node.name] = tuple(str(pin) for pin in node.pinned)
            continue
        picks = []
        for family, cluster in enumerate(spec.cluster_cidrs):
            pick = lowest_free(cluster, spec.node_mask(cluster.version), taken[family])
            taken[family].add(pick)
            picks.append(pick)
        result[node.name] = tuple(picks)
    return result


@PROPERTY_SETTINGS
@given(networks())
def test_random_plans_are_sound(spec: NetworkSpec) -> None:
    """Containment, exact mask, alignment and disjointness hold for every valid network."""
    assert_plan_is_sound(valid_plan(spec))


@PROPERTY_SETTINGS
@given(networks())
def test_allocation_follows_pins_then_lowest_free_in_list_order(spec: NetworkSpec) -> None:
    """Without history the plan equals the reference model."""
    assert valid_plan(spec).pod_cidrs == expected_allocation(spec)


@PROPERTY_SETTINGS
@given(networks(), st.data())
def test_remaining_nodes_keep_their_blocks(spec: NetworkSpec, data: st.DataObject) -> None:
    """Remove some nodes, shuffle the rest, replan with the previous output: nobody moves."""
    plan = valid_plan(spec)
    keep = data.draw(st.lists(st.booleans(), min_size=len(spec.nodes), max_size=len(spec.nodes)))
    anchor = data.draw(st.integers(0, len(spec.nodes) - 1))
    remaining = [node for i, (node, kept) in enumerate(zip(spec.nodes, keep)) if kept or i == anchor]
    shuffled = renumber(data.draw(st.permutations(remaining)))
    replanned = valid_plan(dataclasses.replace(spec, nodes=shuffled), deployed(plan))
    assert {n.name: replanned.pod_cidrs[n.name] for n in shuffled} == {n.name: plan.pod_cidrs[n.name] for n in shuffled}
    assert_plan_is_sound(replanned)


@PROPERTY_SETTINGS
@given(networks(spare=1), st.data())
def test_added_node_gets_the_lowest_free_block(spec: NetworkSpec, data: st.DataObject) -> None:
    """A new node anywhere in the list takes the lowest free block of each family; the others stay."""
    plan = valid_plan(spec)
    used = {address(a.version, a.value) for node in spec.nodes for a in node.addresses}
    version = data.draw(st.sampled_from([c.version for c in spec.cluster_cidrs]))
    start = data.draw(st.integers(0, (1 << bits(version)) - 1))
    added = NodeSpec(position=0, name="added", addresses=(NodeAddress.of(outside(version, start, ranges(spec), used)),))
    nodes = list(spec.nodes)
    nodes.insert(data.draw(st.integers(0, len(nodes))), added)
    replanned = valid_plan(dataclasses.replace(spec, nodes=renumber(nodes)), deployed(plan))
    expected = tuple(
        lowest_free(cluster, spec.node_mask(cluster.version), {blocks[f] for blocks in plan.pod_cidrs.values()})
        for f, cluster in enumerate(spec.cluster_cidrs)
    )
    assert replanned.pod_cidrs["added"] == expected
    assert {name: replanned.pod_cidrs[name] for name in plan.pod_cidrs} == plan.pod_cidrs
    assert_plan_is_sound(replanned)


@PROPERTY_SETTINGS
@given(st.sampled_from([4, 6]), st.integers(0, 2**128 - 1), st.sampled_from([0, 8, 10, 16, 120]))
def test_unusable_addresses_are_what_kubelet_refuses(version: int, value: int, keep_top_bits: int) -> None:
    """unusable_address_reason agrees with the standard library's reading of the same address classes."""
    value = value >> (128 - bits(version))
    if keep_top_bits and version == 6:  # land in ::/8, fe80::/10, ff00::/8 often
        value = (value >> (128 - keep_top_bits) << (128 - keep_top_bits)) | (value & 1)
    ip = address(version, value)
    expected = ip.is_loopback or ip.is_unspecified or ip.is_multicast or ip.is_link_local or (
        version == 4 and value == 2**32 - 1)
    assert (unusable_address_reason(ip) is not None) == expected


@PROPERTY_SETTINGS
@given(networks(spare=1), st.data())
def test_a_range_added_later_gives_deployed_nodes_none_and_new_nodes_one(
    spec: NetworkSpec, data: st.DataObject
) -> None:
    """Deploy the first family only (the nodes with an address of it), then add the network's second range after it,
    the other nodes and a new one: deployed nodes keep exactly their one block (range_allocator.go gives a node with
    podCIDRs nothing more), every new node gets one of every range, and the next deployment changes nothing."""
    assume(len(spec.cluster_cidrs) == 2)
    first_family = spec.cluster_cidrs[0].version
    reachable = [n for n in spec.nodes if any(a.version == first_family for a in n.addresses)]
    others = [n._replace(pinned=()) for n in spec.nodes if n not in reachable]
    single = dataclasses.replace(
        spec,
        cluster_cidrs=spec.cluster_cidrs[:1],
        service_cidrs=tuple(s for s in spec.service_cidrs if s.version == first_family),
        nodes=renumber([n._replace(pinned=n.pinned[:1]) for n in reachable]),
        dns_service_index=2,  # the first service range may be another one now, smaller: 2 fits every range
    )
    assume(single.nodes)
    single_plan = valid_plan(single)
    used = {address(a.version, a.value) for node in spec.nodes for a in node.addresses}
    start = data.draw(st.integers(0, (1 << bits(first_family)) - 1))
    added = NodeSpec(position=0, name="added",
                     addresses=(NodeAddress.of(outside(first_family, start, ranges(spec), used)),))
    # Deployed nodes pin at most what they hold: the first range's block.
    grown = dataclasses.replace(spec, nodes=renumber([*single.nodes, *others, added]))
    replanned = valid_plan(grown, deployed(single_plan))
    assert {n.name: replanned.pod_cidrs[n.name] for n in single.nodes} == single_plan.pod_cidrs
    assert all(len(replanned.pod_cidrs[n.name]) == 2 for n in [*others, added])
    assert_plan_is_sound(replanned, held=single_plan.pod_cidrs)
    assert valid_plan(grown, deployed(replanned)).pod_cidrs == replanned.pod_cidrs
