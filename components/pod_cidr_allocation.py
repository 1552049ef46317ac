"""Pod CIDR allocation: which node block of each cluster range every node gets, keeping the last deployment's.

Mirrors kube-controller-manager's range allocator (pkg/controller/nodeipam/ipam/range_allocator.go) and its
cidrset (pkg/controller/nodeipam/ipam/cidrset/cidr_set.go): blocks already assigned are occupied first, every other
node gets the lowest free block, one per cluster range, and a node's podCIDRs never change once set
(pkg/apis/core/validation ValidateNodeUpdate). So a change of the cluster ranges or node masks that would move a
deployed node's block is refused (kube-controller-manager would run into overlapping allocations,
kubernetes/kubernetes#70957). Huge IPv6 ranges are handled by arithmetic on block indexes, never by listing
subnets.
"""

from __future__ import annotations

from collections.abc import Mapping

from components.cidr import IPNetwork, format_ip
from components.cycle_collection import without_cycle_collection
from components.errors import ConfigError, raise_all
from components.network_config_keys import CLUSTER_CIDR_KEY, node_key, node_mask_key
from components.network_plan import NetworkPlan, NetworkSpec, NodeSpec, PodBlock
from components.previous_deployment import PreviousDeployment

_NAMES_SHOWN = 5
"""How many affected nodes a message names before it says how many more there are."""

Choices = list[list[int | None]]
"""Per pool (in the order of the cluster ranges), per node (in list order), the chosen block index, or None until
one is chosen or for a machine that runs no pods."""


class BlockPool:
    """The node blocks of one cluster range, addressed by index: block i starts at base + (i << shift)."""

    def __init__(self, cluster: IPNetwork, mask: int) -> None:
        # cluster is the cluster range the blocks are cut from (one entry of network.clusterCidr).
        self.cluster = cluster
        # mask is the prefix length of every block (the family's node mask).
        self.mask = mask
        # shift is the number of address bits inside one block: block i starts at base + (i << shift).
        self.shift = cluster.max_prefixlen - mask
        # version is the IP version of the range, cached: ipaddress reads it through a property.
        self.version = cluster.version
        # base is the cluster range's first address as an integer, cached so that no block needs ipaddress.
        self.base = int(cluster.network_address)
        # count is the number of blocks in the range: 2^(mask - cluster mask).
        self.count = 1 << (mask - cluster.prefixlen)
        # owner maps the index of every block taken so far to the name of the node holding it.
        self.owner: dict[int, str] = {}
        # _cursor is the lowest index that may still be free: every block below it is taken, so the scan for
        # the lowest free block never starts over (cidr_set.go keeps nextCandidate for the same reason).
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


def _keep_previous_blocks(
    spec: NetworkSpec,
    previous: PreviousDeployment,
    pools: list[BlockPool],
    chosen: Choices,
    pinned_by: Mapping[tuple[int, int], NodeSpec],
) -> list[ConfigError]:
    """Second pass: every node keeps the blocks the last deployment gave it (range_allocator.go occupies the
    podCIDRs nodes already carry). Returns the problems: a block the current ranges or masks no longer hold (the
    node would move), a pin that would move its node, a pin on a block another node holds."""
    problems: list[ConfigError] = []
    moved: dict[str, dict[str, None]] = {}  # config key -> the nodes its change would move, in list order
    pool_of_family: dict[int, tuple[int, BlockPool | None]] = {
        pool.version: (family, pool) for family, pool in enumerate(pools)
    }
    for position, node in enumerate(spec.nodes):
        blocks = previous.pod_cidrs.get(node.name)
        if not blocks or not node.runs_pods:
            continue
        for block in blocks:
            family, pool = pool_of_family.get(block.version, (-1, None))
            index = None if pool is None else pool.index_of(block)
            if pool is None or index is None:
                moved_by = CLUSTER_CIDR_KEY if pool is None or block.prefix == pool.mask else node_mask_key(
                    block.version)
                moved.setdefault(moved_by, {})[node.name] = None
            elif node.pinned:
                if index != pool.index_of(node.pinned[family]):
                    problems.append(_pin_moves_node(node, node.pinned[family], pool.text(index)))
            elif (family, index) in pinned_by:
                problems.append(_pin_takes_block(pinned_by[(family, index)], pool.text(index), node))
            elif index not in pool.owner:
                pool.owner[index] = node.name
                chosen[family][position] = index
    return [_moved_problem(key, list(names), spec, previous) for key, names in moved.items()] + problems


def _pin_moves_node(node: NodeSpec, pin: PodBlock, kept: str) -> ConfigError:
    """A pin that differs from the block the last deployment gave its node."""
    return ConfigError(
        node_key(node, "podCidr"),
        f"{pin} differs from {kept}, which the last deployment gave node {node.name!r}, and a node's pod CIDR "
        "cannot change once assigned",
        f"{kept}, or remove the node, deploy, and add it back",
    )


def _pin_takes_block(holder: NodeSpec, block: str, owner: NodeSpec) -> ConfigError:
    """A pin of ``holder`` on the block the last deployment gave another node, ``owner``."""
    return ConfigError(
        node_key(holder, "podCidr"),
        f"{block} is already assigned to node {owner.name!r} by the last deployment, and a node's pod CIDR cannot "
        "change once assigned",
        "a free block, or remove that node first",
    )


def _moved_problem(key: str, names: list[str], spec: NetworkSpec, previous: PreviousDeployment) -> ConfigError:
    """The refusal of a change of ``key`` that would move the blocks of the nodes ``names``."""
    if key == CLUSTER_CIDR_KEY:
        before = ",".join(cluster.text for cluster in previous.cluster_cidrs)
        after = ",".join(str(cluster) for cluster in spec.cluster_cidrs)
        keep = f"a value whose ranges still hold every node's block (e.g. a range containing {before})"
    else:
        version = 4 if key == node_mask_key(4) else 6
        before, after = str(previous.node_mask(version)), str(spec.node_mask(version))
        keep = f"{before}, the mask the nodes' blocks have"
    shown = ", ".join(names[:_NAMES_SHOWN]) + (f" and {len(names) - _NAMES_SHOWN} more" if len(names) >
                                                 _NAMES_SHOWN else "")
    return ConfigError(
        key,
        f"changing it from {before} to {after} would move the pod CIDR of {len(names)} deployed "
        f"node{'' if len(names) == 1 else 's'} ({shown}), and Kubernetes never changes a node's podCIDR once set",
        f"{keep}; to renumber, remove those nodes from the node list and deploy, then change {key} and add them back",
    )


def _allocate_lowest_free(spec: NetworkSpec, pools: list[BlockPool], chosen: Choices) -> None:
    """Third pass: every node still without a block of a range gets its lowest free one, in node-list order
    (cidr_set.go AllocateNext)."""
    for pool, picks in zip(pools, chosen):
        owner = pool.owner
        for position, node in enumerate(spec.nodes):
            if picks[position] is None and node.runs_pods:
                index = pool.lowest_free()
                owner[index] = node.name
                picks[position] = index


def allocate(spec: NetworkSpec, previous: PreviousDeployment | None = None) -> dict[str, tuple[str, ...]]:
    """Pod CIDRs per node: pinned blocks first, then each node's blocks from the last deployment, then the lowest
    free block in node-list order; none for a machine that runs no pods. Raises the ConfigErrors of every block
    that would move."""
    pools = [BlockPool(cluster, spec.node_mask(cluster.version)) for cluster in spec.cluster_cidrs]
    chosen: Choices = [[None] * len(spec.nodes) for _ in pools]
    pinned_by = _occupy_pins(spec, pools, chosen)
    if previous is not None:
        raise_all(_keep_previous_blocks(spec, previous, pools, chosen, pinned_by))
    _allocate_lowest_free(spec, pools, chosen)
    columns = [pool.texts(picks) for pool, picks in zip(pools, chosen)]
    return {
        node.name: tuple(texts) if node.runs_pods else ()
        for node, texts in zip(spec.nodes, zip(*columns))
    }


@without_cycle_collection
def plan_network(spec: NetworkSpec, previous: PreviousDeployment | None = None) -> NetworkPlan:
    """The plan of a spec that ``network_rules.validate_network`` accepted: every node's pod CIDRs, keeping the
    blocks of the last deployment."""
    return NetworkPlan(spec=spec, pod_cidrs=allocate(spec, previous))
