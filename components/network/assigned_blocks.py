"""The pod CIDR blocks nodes already hold, and how a refusal names where they come from.

Two records say which block a node holds: this stack's last deployment (its own ``network`` output) and the
cluster itself (the podCIDRs its Node objects carry, read by verify during ``pulumi up``). Kubernetes never changes
a node's podCIDR once set (pkg/apis/core/validation ValidateNodeUpdate), so the allocation keeps both, the
cluster's first (allocation.py). Here is what each says when a config contradicts it, and how to get out of it, and
the warning when the plan hands a block the last deployment gave one node to another.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence

from components.config.errors import ConfigError
from components.config.wording import counted, plural, some_names
from components.network.addresses import family_name
from components.network.blocks import PodBlock
from components.network.keys import CLUSTER_CIDR_KEY, node_key, node_mask_key
from components.network.last_deployment import LastDeployment
from components.network.model import NetworkPlan, NetworkSpec, NodeSpec


class AssignedBlocks(ABC):
    """Node name -> the blocks a record says it holds, and the refusals of a config that contradicts them."""

    blocks: Mapping[str, tuple[PodBlock, ...]]
    """Node name -> the blocks the record says it holds."""

    @abstractmethod
    def moved(self, key: str, names: list[str], spec: NetworkSpec) -> ConfigError:
        """A change of ``key`` (a cluster range or node mask) leaves the blocks of the nodes ``names`` outside."""

    @abstractmethod
    def pin_moves(self, node: NodeSpec, pin: PodBlock, kept: str) -> ConfigError:
        """``node``'s pin differs from the block ``kept`` it holds."""

    @abstractmethod
    def pin_takes(self, holder: NodeSpec, block: str, owner: str) -> ConfigError:
        """``holder`` pins ``block``, which node ``owner`` holds."""

    @abstractmethod
    def pin_count(self, node: NodeSpec, held: tuple[PodBlock, ...]) -> ConfigError:
        """``node`` pins another number of blocks than the ``held`` ones it holds."""

    @abstractmethod
    def out_of_order(self, names: list[str], spec: NetworkSpec) -> ConfigError:
        """The blocks of the nodes ``names`` come in another family order than the cluster ranges (range_allocator.go
        matches them by position)."""

    @abstractmethod
    def stops_pods(self, node: NodeSpec, held: tuple[PodBlock, ...]) -> ConfigError | None:
        """``node`` holds ``held`` but is listed as a machine that runs no pods; None when that is fine."""


def _texts(blocks: Sequence[PodBlock]) -> str:
    """``10.200.0.0/24,fd00:10:244::/64``."""
    return ",".join(block.text for block in blocks)


_ADD_A_FAMILY = ("to give it a block of every range, remove it from the node list and deploy, delete it from the "
                 "cluster (kubectl delete node), then add it back and deploy: it registers again")
"""How a node deployed before a range was added gets a block of that range (its podCIDRs never change)."""


class LastDeploymentBlocks(AssignedBlocks):
    """The blocks this stack's last deployment gave out (its ``network`` output)."""

    def __init__(self, last: LastDeployment) -> None:
        self.last = last
        self.blocks = last.pod_cidrs

    def moved(self, key: str, names: list[str], spec: NetworkSpec) -> ConfigError:
        if key == CLUSTER_CIDR_KEY:
            before = ",".join(cluster.text for cluster in self.last.cluster_cidrs)
            after = ",".join(str(cluster) for cluster in spec.cluster_cidrs)
            keep = f"a value whose ranges still hold every node's block (e.g. a range containing {before})"
        else:
            version = 4 if key == node_mask_key(4) else 6
            before, after = str(self.last.node_mask(version)), str(spec.node_mask(version))
            keep = f"{before}, the mask the nodes' blocks have"
        return ConfigError(
            key,
            f"changing it from {before} to {after} would move the pod CIDR of "
            f"{counted(len(names), 'deployed node')} ({some_names(names)}), and Kubernetes never changes a node's "
            "podCIDR once set",
            f"{keep}; to renumber, remove those nodes from the node list and deploy, then change {key} and add them "
            "back",
            without_values=f"would move the pod CIDR of {counted(len(names), 'deployed node')}",
        )

    def pin_moves(self, node: NodeSpec, pin: PodBlock, kept: str) -> ConfigError:
        return ConfigError(
            node_key(node, "podCidr"),
            f"{pin} differs from {kept}, which the last deployment gave node {node.name!r}, and a node's pod CIDR "
            "cannot change once assigned",
            f"{kept}, or remove the node, deploy, and add it back",
            without_values="would move the pod CIDR the last deployment gave the node",
        )

    def pin_takes(self, holder: NodeSpec, block: str, owner: str) -> ConfigError:
        return ConfigError(
            node_key(holder, "podCidr"),
            f"{block} is already assigned to node {owner!r} by the last deployment, and a node's pod CIDR cannot "
            "change once assigned",
            "a free block, or remove that node first",
            without_values="pins a block the last deployment gave another node",
        )

    def pin_count(self, node: NodeSpec, held: tuple[PodBlock, ...]) -> ConfigError:
        return ConfigError(
            node_key(node, "podCidr"),
            f"has {counted(len(node.pinned), 'CIDR')}, but the last deployment gave node {node.name!r} "
            f"{counted(len(held), 'block')} ({_texts(held)}), and Kubernetes never adds a podCIDR to a node nor takes "
            "one away",
            f"{_texts(held)}, what the node holds; {_ADD_A_FAMILY}",
            without_values="pins another number of CIDRs than the last deployment gave the node",
        )

    def out_of_order(self, names: list[str], spec: NetworkSpec) -> ConfigError:
        families = ",".join(family_name(cluster.version) for cluster in spec.cluster_cidrs)
        before = ",".join(family_name(cluster.version) for cluster in self.last.cluster_cidrs)
        return ConfigError(
            CLUSTER_CIDR_KEY,
            f"lists its ranges as {families}, but the last deployment gave {counted(len(names), 'deployed node')} "
            f"({some_names(names)}) their pod CIDRs in the order {before}, and kube-controller-manager matches a "
            "node's podCIDRs to --cluster-cidr by position",
            f"the ranges in the order {before}, a range of a new family after them",
            without_values="lists its IP families in another order than the pod CIDRs of deployed nodes",
        )

    def stops_pods(self, node: NodeSpec, held: tuple[PodBlock, ...]) -> ConfigError | None:
        return ConfigError(
            node_key(node, "podCidr"),
            f"is missing, which makes {node.name!r} a machine that runs no pods, but the last deployment gave it "
            f"{_texts(held)}, which it keeps in the cluster (a node's podCIDRs never change); the plan would drop "
            "its routes and hand the block to another node",
            f"POD_SUBNET {_texts(held)} on that line; to take the node out of the plan, remove the line, deploy, "
            "and delete the node from the cluster (kubectl delete node)",
            without_values="is missing, which drops the pod CIDR the last deployment gave the node",
        )


class ClusterNodes(AssignedBlocks):
    """The podCIDRs the cluster's Node objects carry (kube-controller-manager gave them; nothing changes them)."""

    def __init__(self, blocks: Mapping[str, tuple[PodBlock, ...]]) -> None:
        self.blocks = blocks

    def _carried(self, names: list[str]) -> str:
        """``2 nodes carry in the cluster (a 10.200.1.0/24, b 10.200.0.0/24)``."""
        carried = some_names([f"{name} {_texts(self.blocks[name])}" for name in names])
        return f"{counted(len(names), 'node')} {plural(len(names), 'carries', 'carry')} in the cluster ({carried})"

    def moved(self, key: str, names: list[str], spec: NetworkSpec) -> ConfigError:
        if key == CLUSTER_CIDR_KEY:
            ranges = ",".join(str(cluster) for cluster in spec.cluster_cidrs)
            problem = f"{ranges} does not hold the podCIDRs that {self._carried(names)}"
            keep = "ranges that hold them: kube-controller-manager's --cluster-cidr"
        else:
            version = 4 if key == node_mask_key(4) else 6
            sizes = sorted({block.prefix for name in names for block in self.blocks[name] if block.version == version})
            problem = f"{spec.node_mask(version)} is not the size of the podCIDRs that {self._carried(names)}"
            keep = f"{sizes[0]}, kube-controller-manager's node mask" if len(sizes) == 1 else "the cluster's node mask"
        return ConfigError(
            key,
            f"{problem}, and Kubernetes never changes a node's podCIDR once set",
            f"{keep}; a node gets another podCIDR only by being deleted from the cluster and registering again",
            without_values="contradicts the cluster: it does not hold the podCIDRs the cluster's nodes carry",
        )

    def out_of_order(self, names: list[str], spec: NetworkSpec) -> ConfigError:
        families = ",".join(family_name(cluster.version) for cluster in spec.cluster_cidrs)
        return ConfigError(
            CLUSTER_CIDR_KEY,
            f"lists its ranges as {families}, but the podCIDRs that {self._carried(names)} come in another order, "
            "and kube-controller-manager matches a node's podCIDRs to --cluster-cidr by position",
            "the ranges in the order of the nodes' podCIDRs (kube-controller-manager's --cluster-cidr)",
            without_values="contradicts the cluster: its families come in another order than the nodes' podCIDRs",
        )

    def pin_moves(self, node: NodeSpec, pin: PodBlock, kept: str) -> ConfigError:
        return ConfigError(
            node_key(node, "podCidr"),
            f"{pin} differs from {kept}, the podCIDR node {node.name!r} carries in the cluster, and a node's pod "
            "CIDR cannot change once assigned",
            f"{kept}, or no pin (the plan keeps the cluster's)",
            without_values="contradicts the cluster: it differs from the podCIDR the node carries",
        )

    def pin_takes(self, holder: NodeSpec, block: str, owner: str) -> ConfigError:
        return ConfigError(
            node_key(holder, "podCidr"),
            f"{block} is the podCIDR node {owner!r} carries in the cluster, and a node's pod CIDR cannot change once "
            "assigned",
            "a block no node of the cluster carries",
            without_values="contradicts the cluster: another node carries the block",
        )

    def pin_count(self, node: NodeSpec, held: tuple[PodBlock, ...]) -> ConfigError:
        return ConfigError(
            node_key(node, "podCidr"),
            f"has {counted(len(node.pinned), 'CIDR')}, but node {node.name!r} carries "
            f"{counted(len(held), 'podCIDR')} in the cluster ({_texts(held)}), and Kubernetes never adds a podCIDR "
            "to a node nor takes one away",
            f"{_texts(held)}, or no pin (the plan keeps the cluster's); {_ADD_A_FAMILY}",
            without_values="contradicts the cluster: the node carries another number of podCIDRs",
        )

    def stops_pods(self, node: NodeSpec, held: tuple[PodBlock, ...]) -> ConfigError | None:
        """Fine: the block stays the node's (the allocation reserves it), and the cluster says it is."""
        return None


HANDOVER_ADVICE = (
    "kube-controller-manager gives no node a block another node carries, and hands out the block after the last one "
    "it gave rather than the lowest free one (cidr_set.go AllocateNext), so the new holder's podCIDR may well be "
    "another. If the old holders left the node list by mistake (a clone without the latest node list?), add them "
    "back; if they are gone, delete them from the cluster (kubectl delete node) before the new ones register, and "
    "compare the new ones' podCIDRs with the plan (verify: true keeps what the cluster gives)"
)


def handed_on(plan: NetworkPlan, last: LastDeployment | None) -> list[tuple[str, str, str]]:
    """(block, the node the last deployment gave it, the node the plan gives it) for every block the plan hands
    from one node to another in the same update, in node-list order."""
    if last is None:
        return []
    holder = {block.text: name for name, blocks in last.pod_cidrs.items() for block in blocks}
    return [
        (text, holder[text], node.name)
        for node in plan.spec.nodes
        for text in plan.pod_cidrs[node.name]
        if holder.get(text, node.name) != node.name
    ]


def handover_warnings(
    plan: NetworkPlan, last: LastDeployment | None, hide_values: bool = False
) -> tuple[str, ...]:
    """The warning, if any, that the plan hands blocks the last deployment gave nodes to other nodes; with
    ``hide_values`` (the node list or network is secret config) it counts them and names none."""
    moves = handed_on(plan, last)
    if not moves:
        return ()
    count = counted(len(moves), "pod CIDR")
    if hide_values:
        return (f"the plan hands {count} the last deployment gave other nodes to new holders (not named: nodes or "
                f"network is secret config). {HANDOVER_ADVICE}",)
    listed = some_names([f"{block} from {old} to {new}" for block, old, new in moves])
    return (f"the plan hands {count} the last deployment gave other nodes to new holders: {listed}. "
            f"{HANDOVER_ADVICE}",)
