"""Pod CIDR allocation: which node block of each cluster range every node gets, keeping the blocks nodes hold.

Mirrors kube-controller-manager's range allocator (pkg/controller/nodeipam/ipam/range_allocator.go) and its
cidrset (pkg/controller/nodeipam/ipam/cidrset/cidr_set.go): blocks already assigned are occupied first, a node's
podCIDRs never change once set, nor does their number (pkg/apis/core/validation ValidateNodeUpdate), so a node that
holds blocks keeps exactly those (fewer than the ranges when it was deployed before a range was added:
range_allocator.go allocates only for a node without podCIDRs), and every other node gets the lowest free block of
each cluster range. The passes: pins; with verify, the podCIDRs the cluster's nodes carry (listed nodes keep theirs,
the others' blocks are taken); the last deployment's blocks; the lowest free. So a change of the cluster ranges or
node masks that would move a deployed node's block is refused (kube-controller-manager would run into overlapping
allocations, kubernetes/kubernetes#70957). Huge IPv6 ranges are handled by arithmetic on block indexes, never by
listing subnets.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from components.config.errors import ConfigError, raise_all
from components.config.wording import counted
from components.network.addresses import IPNetwork, format_ip
from components.network.assigned_blocks import AssignedBlocks, ClusterNodes, LastDeploymentBlocks
from components.network.blocks import PodBlock
from components.network.cycle_collection import without_cycle_collection
from components.network.keys import CLUSTER_CIDR_KEY, node_key, node_mask_key
from components.network.last_deployment import LastDeployment
from components.network.model import NetworkPlan, NetworkSpec, NodeSpec

Choices = list[list[int | None]]
"""Per pool (in the order of the cluster ranges), per node (in list order), the chosen block index, or None until
one is chosen or for a machine that runs no pods."""


class BlockPool:
    """The node blocks of one cluster range, addressed by index: block i starts at base + (i << shift)."""

    cluster: IPNetwork
    """The cluster range the blocks are cut from (one entry of network.clusterCidr)."""
    mask: int
    """The prefix length of every block (the family's node mask)."""
    shift: int
    """The number of address bits inside one block: block i starts at base + (i << shift)."""
    version: int
    """The IP version of the range, cached: ipaddress reads it through a property."""
    base: int
    """The cluster range's first address as an integer, cached so that no block needs ipaddress."""
    count: int
    """The number of blocks in the range: 2^(mask - cluster mask)."""
    owner: dict[int, str]
    """The index of every block taken so far -> the name of the node holding it."""
    _cursor: int
    """The lowest index that may still be free: every block below it is taken, so the scan for the lowest free block
    never starts over (cidr_set.go keeps nextCandidate for the same reason)."""

    def __init__(self, cluster: IPNetwork, mask: int) -> None:
        self.cluster = cluster
        self.mask = mask
        self.shift = cluster.max_prefixlen - mask
        self.version = cluster.version
        self.base = int(cluster.network_address)
        self.count = 1 << (mask - cluster.prefixlen)
        self.owner = {}
        self._cursor = 0

    def index_of(self, block: PodBlock) -> int | None:
        """The block's index, or None when it is not one of this pool's blocks."""
        return self.index_at(block.version, block.value, block.prefix)

    def index_at(self, version: int, start: int, prefix: int) -> int | None:
        """The index of the block of IP ``version`` starting at ``start`` with ``prefix`` bits, or None when that is
        not one of this pool's blocks."""
        if version != self.version or prefix != self.mask:
            return None
        offset = start - self.base
        if offset < 0 or (offset >> self.shift) >= self.count:
            return None
        return offset >> self.shift

    def overlapped_by(self, block: PodBlock) -> range:
        """The indexes of the node blocks ``block`` overlaps, whatever its size (cidr_set.go
        getBeginningAndEndIndices); empty for another family or a block outside the range."""
        if block.version != self.version:
            return range(0)
        first = block.value - self.base
        last = first + (1 << (self.cluster.max_prefixlen - block.prefix)) - 1
        if last < 0 or first >= self.count << self.shift:
            return range(0)
        return range(max(first, 0) >> self.shift, min(last >> self.shift, self.count - 1) + 1)

    def lowest_free(self) -> int:
        """The lowest index no node holds (cidr_set.go AllocateNext)."""
        while self._cursor in self.owner:
            self._cursor += 1
        return self._cursor

    def text(self, index: int) -> str:
        """The canonical CIDR text of block ``index``."""
        return f"{format_ip(self.base + (index << self.shift), self.version)}/{self.mask}"

    def texts(self, indexes: list[int | None]) -> list[str | None]:
        """The texts of many blocks at once (None stays None): the hot loop of 5,000 nodes."""
        base, shift, version, suffix = self.base, self.shift, self.version, f"/{self.mask}"
        return [None if index is None else format_ip(base + (index << shift), version) + suffix for index in indexes]


def _occupy_pins(spec: NetworkSpec, pools: list[BlockPool], chosen: Choices) -> dict[tuple[int, int], NodeSpec]:
    """First pass: every pinned block goes to its node (cidr_set.go Occupy). Returns (pool, index) -> pinning node."""
    pinned_by: dict[tuple[int, int], NodeSpec] = {}
    for position, node in enumerate(spec.nodes):
        for family, (pool, pin) in enumerate(zip(pools, node.pinned)):
            index = pool.index_of(pin)
            assert index is not None  # validate_network checked every pin
            pool.owner[index] = node.name
            pinned_by[(family, index)] = node
            chosen[family][position] = index
    return pinned_by


def _keep_assigned_blocks(
    spec: NetworkSpec,
    assigned: AssignedBlocks,
    pools: list[BlockPool],
    chosen: Choices,
    pinned_by: Mapping[tuple[int, int], NodeSpec],
    covered: Collection[str] = (),
) -> list[ConfigError]:
    """Every node keeps exactly the blocks a record says it holds (range_allocator.go occupies the podCIDRs nodes
    already carry), except the nodes ``covered`` by an earlier record. Returns the problems: a block the current
    ranges or masks no longer hold (the node would move), a pin that differs from what the node holds, a pin on a
    block another node holds, a deployed node listed as running no pods."""
    problems: list[ConfigError] = []
    moved: dict[str, dict[str, None]] = {}  # config key -> the nodes its change would move, in list order
    pool_of_family = _pools_by_version(pools)
    for position, node in enumerate(spec.nodes):
        blocks = assigned.blocks.get(node.name)
        if not blocks or node.name in covered:
            continue
        if not node.runs_pods:
            refusal = assigned.stops_pods(node, blocks)
            problems += [] if refusal is None else [refusal]
            continue
        if node.pinned and len(node.pinned) != len(blocks):
            problems.append(assigned.pin_count(node, blocks))
            continue
        for block in blocks:
            family, pool = pool_of_family.get(block.version, (-1, None))
            index = None if pool is None else pool.index_of(block)
            if pool is None or index is None:
                moved.setdefault(_key_that_moves(block, pool), {})[node.name] = None
            elif node.pinned:
                pin = node.pinned[family] if family < len(node.pinned) else None
                if pin is not None and index != pool.index_of(pin):
                    problems.append(assigned.pin_moves(node, pin, pool.text(index)))
            elif (family, index) in pinned_by:
                problems.append(assigned.pin_takes(pinned_by[(family, index)], pool.text(index), node.name))
            elif index not in pool.owner:
                pool.owner[index] = node.name
                chosen[family][position] = index
    return [assigned.moved(key, list(names), spec) for key, names in moved.items()] + problems


def _reserve_other_nodes(
    spec: NetworkSpec, cluster: ClusterNodes, pools: list[BlockPool], pinned_by: Mapping[tuple[int, int], NodeSpec]
) -> list[ConfigError]:
    """The blocks the cluster gives nodes the plan gives none (nodes not in the list, or listed as running no pods)
    stay theirs: every node block they overlap, whatever their size, is taken (cidr_set.go Occupy with
    getBeginningAndEndIndices). Returns the problems: a pin on such a block."""
    planned = {node.name for node in spec.nodes if node.runs_pods}
    problems: list[ConfigError] = []
    for name, blocks in cluster.blocks.items():
        if name in planned:
            continue
        for block in blocks:
            for family, pool in enumerate(pools):
                for index in pool.overlapped_by(block):
                    if (family, index) in pinned_by:
                        problems.append(cluster.pin_takes(pinned_by[(family, index)], block.text, name))
                    else:
                        pool.owner.setdefault(index, name)
    return problems


def _family_order_problems(
    spec: NetworkSpec, assigned: AssignedBlocks, covered: Collection[str] = ()
) -> list[ConfigError]:
    """range_allocator.go matches a node's podCIDRs to the cluster ranges by position: a listed node whose blocks
    come in another family order than network.clusterCidr lists its ranges contradicts it (a node whose blocks
    include a family the ranges lack is left to the refusal that its block would move)."""
    order = tuple(cluster_range.version for cluster_range in spec.cluster_cidrs)
    misordered = [
        node.name for node in spec.nodes
        if node.runs_pods and (blocks := assigned.blocks.get(node.name)) and _misordered(blocks, order)
        and node.name not in covered
    ]
    return [assigned.out_of_order(misordered, spec)] if misordered else []


def _misordered(blocks: tuple[PodBlock, ...], order: tuple[int, ...]) -> bool:
    """Whether ``blocks`` come in another family order than the ranges (``order``: their IP versions), all of their
    families being the ranges'."""
    for position, block in enumerate(blocks):
        if position >= len(order) or block.version != order[position]:
            return all(other.version in order for other in blocks)
    return False


def _held(spec: NetworkSpec, last: LastDeployment | None, cluster: ClusterNodes | None) -> set[str]:
    """The listed nodes that hold blocks, and so keep exactly those and get no more (a node's podCIDRs are set once,
    and their number never changes: pkg/apis/core/validation ValidateNodeUpdate; range_allocator.go allocates only
    for a node without podCIDRs): with the cluster read, the nodes that carry podCIDRs; else the nodes the last
    deployment gave blocks."""
    if cluster is not None:
        return {node.name for node in spec.nodes if node.runs_pods and node.name in cluster.blocks}
    if last is None:
        return set()
    return {node.name for node in spec.nodes if node.runs_pods and last.pod_cidrs.get(node.name)}


def _short_pin_problems(spec: NetworkSpec, held: Collection[str]) -> list[ConfigError]:
    """A node that holds no blocks gets one per cluster range when it registers: a pin of fewer is refused (a node
    that holds fewer, deployed before a range was added, is checked against what it holds)."""
    ranges = len(spec.cluster_cidrs)
    return [
        ConfigError(
            node_key(node, "podCidr"),
            f"has {counted(len(node.pinned), 'CIDR')} for {ranges} cluster ranges, and a "
            "node that holds no pod CIDR yet gets one of every range (kube-controller-manager allocates them all "
            "at once)",
            f"one CIDR per range of {CLUSTER_CIDR_KEY}, comma-separated in its order; fewer only for a node deployed "
            "before a range was added, which keeps exactly the blocks it holds",
            without_values="has fewer CIDRs than there are cluster ranges, and a new node gets one of every range",
        )
        for node in spec.nodes
        if node.pinned and len(node.pinned) < ranges and node.name not in held
    ]


def _pools_by_version(pools: list[BlockPool]) -> dict[int, tuple[int, BlockPool | None]]:
    """IP version -> (family position, pool)."""
    return {pool.version: (family, pool) for family, pool in enumerate(pools)}


def _key_that_moves(block: PodBlock, pool: BlockPool | None) -> str:
    """The config key whose value leaves ``block`` out: the cluster range, or the node mask of its family."""
    if pool is None or block.prefix == pool.mask:
        return CLUSTER_CIDR_KEY
    return node_mask_key(block.version)


def _allocate_lowest_free(spec: NetworkSpec, pools: list[BlockPool], chosen: Choices, settled: Collection[str]) -> None:
    """Last pass: every node that runs pods and is not ``settled`` (it holds blocks, or pins them) gets the lowest
    free block of each range, in node-list order (cidr_set.go AllocateNext, as it runs after kube-controller-manager
    starts: README, Stable pod CIDRs, says where the two differ). Raises a ConfigError when a range has none left
    (nodes of the cluster outside the list hold the rest)."""
    for pool, picks in zip(pools, chosen):
        owner = pool.owner
        for position, node in enumerate(spec.nodes):
            if picks[position] is None and node.runs_pods and not node.pinned and node.name not in settled:
                index = pool.lowest_free()
                if index >= pool.count:
                    raise ConfigError(
                        CLUSTER_CIDR_KEY,
                        f"{pool.cluster} has no node block left for node {node.name!r}: nodes of the cluster that "
                        "are not in the node list carry the rest",
                        "a larger range, or those nodes in the node list",
                        without_values="has no node block left: nodes of the cluster outside the list carry the rest",
                    )
                owner[index] = node.name
                picks[position] = index


def allocate(
    spec: NetworkSpec,
    last: LastDeployment | None = None,
    cluster: ClusterNodes | None = None,
    *,
    judge_short_pins: bool = True,
) -> dict[str, tuple[str, ...]]:
    """Pod CIDRs per node: pinned blocks first, then the blocks each node carries in the cluster (``cluster``, when
    verify read it), then each node's blocks from the last deployment, then the lowest free block of each range in
    node-list order for the nodes that hold none; none for a machine that runs no pods. A node that holds blocks
    keeps exactly those, fewer than the ranges when it was deployed before a range was added. Raises the
    ConfigErrors of every block that would move. ``judge_short_pins``: False for a plan made without the records
    that say which nodes hold fewer blocks (the preview's plan when verify will read the cluster)."""
    pools = [BlockPool(cluster_range, spec.node_mask(cluster_range.version)) for cluster_range in spec.cluster_cidrs]
    chosen: Choices = [[None] * len(spec.nodes) for _ in pools]
    pinned_by = _occupy_pins(spec, pools, chosen)
    problems: list[ConfigError] = []
    if cluster is not None:
        problems += _family_order_problems(spec, cluster)
        problems += _keep_assigned_blocks(spec, cluster, pools, chosen, pinned_by)
        problems += _reserve_other_nodes(spec, cluster, pools, pinned_by)
    if last is not None:
        raise_all(problems)  # the cluster's refusals first: the last deployment's would only repeat them
        deployed = LastDeploymentBlocks(last)
        covered = () if cluster is None else cluster.blocks.keys()
        problems += _family_order_problems(spec, deployed, covered)
        problems += _keep_assigned_blocks(spec, deployed, pools, chosen, pinned_by, covered)
    held = _held(spec, last, cluster)
    if judge_short_pins:
        problems += _short_pin_problems(spec, held)
    raise_all(problems)
    _allocate_lowest_free(spec, pools, chosen, held)
    columns = [pool.texts(picks) for pool, picks in zip(pools, chosen)]
    # A node that holds fewer blocks than the ranges has None for the ranges added after its deployment.
    return {
        node.name: (texts if None not in texts else tuple(text for text in texts if text is not None))
        if node.runs_pods else ()
        for node, texts in zip(spec.nodes, zip(*columns))
    }


@without_cycle_collection
def plan_network(
    spec: NetworkSpec,
    last: LastDeployment | None = None,
    cluster: ClusterNodes | None = None,
    *,
    judge_short_pins: bool = True,
) -> NetworkPlan:
    """The plan of a spec that ``rules.validate_network`` accepted: every node's pod CIDRs, keeping the
    blocks nodes carry in the cluster (when read) and those of the last deployment."""
    return NetworkPlan(spec=spec, pod_cidrs=allocate(spec, last, cluster, judge_short_pins=judge_short_pins))
