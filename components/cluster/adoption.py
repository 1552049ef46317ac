"""The cluster, not the state, is the truth: the plan keeps the podCIDRs the cluster's Node objects carry.

A stack's state can be lost, destroyed or made anew while the cluster lives on, and a fresh plan would hand out
blocks in node-list order, whatever kube-controller-manager gave the nodes. When verify reads the cluster (during
``pulumi up``), every registered node keeps exactly the podCIDRs it carries (no more: a node registered before a
cluster range was added has none of it), a block the cluster gives a node outside the plan stays that node's, and
only then do the last deployment's blocks and the lowest free ones follow (network/allocation.py). A config that
contradicts the cluster is refused naming the key; a plan that differs from the one the preview showed is said in
a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from components.config.wording import counted, plural, some_names
from components.network.allocation import plan_network
from components.network.assigned_blocks import ClusterNodes
from components.network.blocks import PodBlock, lenient_block
from components.network.last_deployment import LastDeployment
from components.network.model import NetworkPlan


class UnreadableNodeError(ValueError):
    """A Node object's podCIDRs hold text that is not a CIDR, or two Node objects carry one podCIDR (what
    kube-controller-manager never gives: someone wrote it by hand, and which node's pods it holds is unclear)."""


def registered_blocks(live: Mapping[str, Sequence[str]]) -> ClusterNodes:
    """The podCIDRs of registered nodes (node name -> CIDR texts, as the API gives them), parsed; nodes without a
    podCIDR yet are left out."""
    blocks: dict[str, tuple[PodBlock, ...]] = {}
    carriers: dict[str, str] = {}  # every block read so far -> the node carrying it
    for name, texts in live.items():
        parsed = tuple(lenient_block(text) for text in texts)
        if None in parsed:
            raise UnreadableNodeError(f"node {name} has a podCIDR that is not a CIDR")
        for block in parsed:
            assert block is not None
            if carriers.setdefault(block.text, name) != name:
                raise UnreadableNodeError(f"nodes {carriers[block.text]} and {name} both carry the podCIDR "
                                          f"{block.text}, which kube-controller-manager never gives two nodes")
        if parsed:
            blocks[name] = tuple(block for block in parsed if block is not None)
    return ClusterNodes(blocks)


NOTICE = ("the plan keeps the pod CIDRs the cluster's nodes carry, which differ from the stack's state (Kubernetes "
          "never changes a node's podCIDR once set; the network output now records the cluster's)")


@dataclass(frozen=True)
class Adoption:
    """The plan that keeps the cluster's podCIDRs, and what it changed of the plan made from the state."""

    plan: NetworkPlan
    """Every node's pod CIDRs: the cluster's first, then the last deployment's, then the lowest free."""
    changes: tuple[str, ...]
    """One line per node whose blocks differ from the plan the preview showed, saying why."""

    def notice(self, hide_values: bool = False) -> str | None:
        """The warning naming the changed nodes, or counting them when the node list or network is secret config;
        None when nothing changed."""
        if not self.changes:
            return None
        if hide_values:
            return f"{NOTICE}: {counted(len(self.changes), 'node')} (not named: nodes or network is secret config)"
        return f"{NOTICE}: {some_names(list(self.changes))}"


def adopt_cluster_allocation(
    planned: NetworkPlan, last: LastDeployment | None, live: Mapping[str, Sequence[str]]
) -> Adoption:
    """The plan for ``planned``'s spec that keeps what the registered nodes (``live``) carry. Raises the
    ConfigErrors of a config that contradicts them, and UnreadableNodeError."""
    cluster = registered_blocks(live)
    plan = plan_network(planned.spec, last, cluster)
    return Adoption(plan=plan, changes=tuple(adoption_changes(planned, plan, cluster)))


def adoption_changes(planned: NetworkPlan, adopted: NetworkPlan, cluster: ClusterNodes) -> list[str]:
    """Each node whose blocks differ from the state's plan, and why."""
    carrier = {block.text: name for name, blocks in cluster.blocks.items() for block in blocks}
    changes = []
    for node in adopted.spec.nodes:
        before, after = planned.pod_cidrs[node.name], adopted.pod_cidrs[node.name]
        if before == after:
            continue
        if node.name in cluster.blocks:
            changes.append(f"{node.name} {','.join(after)} (planned from the state: {','.join(before)})")
        else:
            holders = sorted({carrier[text] for text in before if text in carrier})
            held = f", which {' and '.join(holders)} {plural(len(holders), 'carries', 'carry')} in the cluster"
            changes.append(f"{node.name} gets {','.join(after)} (planned from the state: {','.join(before)}"
                           f"{held if holders else ''})")
    return changes
