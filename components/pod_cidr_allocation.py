"""Pod CIDR allocation: which node block of each cluster range every node gets, keeping the last deployment's.

Mirrors kube-controller-manager's range allocator (pkg/controller/nodeipam/ipam/range_allocator.go) and its
cidrset (pkg/controller/nodeipam/ipam/cidrset/cidr_set.go): blocks already assigned are occupied first, every other
node gets the lowest free block, one per cluster range, and a node's podCIDRs never change once set
(pkg/apis/core/validation ValidateNodeUpdate). Huge IPv6 ranges are handled by arithmetic on block indexes, never
by listing subnets.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence

from components.cidr import IPNetwork, format_ip
from components.errors import ConfigError
from components.network_plan import NetworkPlan, NetworkSpec, NodeSpec

Choices = dict[str, list[int | None]]
"""Node name -> the chosen block index in each pool (None until chosen), in the order of the cluster ranges."""


class BlockPool:
    """The node blocks of one cluster range, addressed by index: block i starts at base + (i << shift)."""

    def __init__(self, cluster: IPNetwork, mask: int) -> None:
        # cluster is the cluster range the blocks are cut from (one entry of network.clusterCidr).
        self.cluster = cluster
        # mask is the prefix length of every block (the family's node mask).
        self.mask = mask
        # shift is the number of address bits inside one block: block i starts at base + (i << shift).
        self.shift = cluster.max_prefixlen - mask
        # base is the cluster range's first address as an integer, cached so that no block needs ipaddress.
        self.base = int(cluster.network_address)
        # count is the number of blocks in the range: 2^(mask - cluster mask).
        self.count = 1 << (mask - cluster.prefixlen)
        # owner maps the index of every block taken so far to the name of the node holding it.
        self.owner: dict[int, str] = {}
        # _cursor is the lowest index that may still be free: every block below it is taken, so the scan for
        # the lowest free block never starts over (cidr_set.go keeps nextCandidate for the same reason).
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
        """The lowest index no node holds (cidr_set.go AllocateNext)."""
        while self._cursor in self.owner:
            self._cursor += 1
        return self._cursor

    def text(self, index: int) -> str:
        """The canonical CIDR text of block ``index``."""
        return f"{format_ip(self.base + (index << self.shift), self.cluster.version)}/{self.mask}"


def _parse_previous(texts: Iterable[object]) -> list[IPNetwork]:
    blocks = []
    for text in texts:
        try:
            blocks.append(ipaddress.ip_network(str(text), strict=True))
        except ValueError:
            continue
    return blocks


def _kept_index(pool: BlockPool, kept: list[IPNetwork]) -> int | None:
    """The index of the node's block in ``pool`` from the last deployment, if it had one there."""
    for block in kept:
        index = pool.index_of(block)
        if index is not None:
            return index
    return None


def _check_pin_keeps_block(node: NodeSpec, kept: list[IPNetwork], pools: list[BlockPool]) -> None:
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


def _occupy_pins(spec: NetworkSpec, pools: list[BlockPool], chosen: Choices) -> dict[tuple[int, int], NodeSpec]:
    """First pass: every pinned block goes to its node (cidr_set.go Occupy). Returns (pool, index) -> pinning node."""
    pinned_by: dict[tuple[int, int], NodeSpec] = {}
    for node in spec.nodes:
        for family, (pool, pin) in enumerate(zip(pools, node.pinned)):
            index = pool.index_of(pin)
            assert index is not None  # validate_network checked every pin
            pool.owner[index] = node.name
            pinned_by[(family, index)] = node
            chosen[node.name][family] = index
    return pinned_by


def _keep_previous_blocks(
    spec: NetworkSpec,
    previous: Mapping[str, Sequence[str]],
    pools: list[BlockPool],
    chosen: Choices,
    pinned_by: Mapping[tuple[int, int], NodeSpec],
) -> None:
    """Second pass: every node keeps the block the last deployment gave it (range_allocator.go occupies the
    podCIDRs nodes already carry); a pin may confirm that block, never move it nor take another node's."""
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


def _allocate_lowest_free(spec: NetworkSpec, pools: list[BlockPool], chosen: Choices) -> None:
    """Third pass: every node still without a block of a range gets its lowest free one, in node-list order
    (cidr_set.go AllocateNext)."""
    for node in spec.nodes:
        picks = chosen[node.name]
        for family, pool in enumerate(pools):
            if picks[family] is None:
                index = pool.lowest_free()
                pool.owner[index] = node.name
                picks[family] = index


def allocate(spec: NetworkSpec, previous: Mapping[str, Sequence[str]] | None = None) -> dict[str, tuple[str, ...]]:
    """Pod CIDRs per node: pinned blocks first, then each node's block from the last deployment, then the lowest
    free block in node-list order. ``previous`` maps node names to the pod CIDRs the last deployment gave them."""
    pools = [BlockPool(cluster, spec.node_mask(cluster.version)) for cluster in spec.cluster_cidrs]
    chosen: Choices = {node.name: [None] * len(pools) for node in spec.nodes}
    pinned_by = _occupy_pins(spec, pools, chosen)
    _keep_previous_blocks(spec, previous or {}, pools, chosen, pinned_by)
    _allocate_lowest_free(spec, pools, chosen)
    return {
        name: tuple(pool.text(index) for pool, index in zip(pools, picks) if index is not None)
        for name, picks in chosen.items()
    }


def plan_network(spec: NetworkSpec, previous: Mapping[str, Sequence[str]] | None = None) -> NetworkPlan:
    """The plan of a spec that ``network_rules.validate_network`` accepted: every node's pod CIDRs, keeping the
    blocks of the last deployment."""
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
