"""What a preview changes of the node list, said in one plain line that the pull-request workflow puts at the top of
its comment (scripts/preview_comment.py), however long the diff below it.

Comparing the last deployment's ``network`` output, read at start, with the new plan gives the nodes added,
removed, moved (their pod CIDRs changed) and readdressed without reading the diff. When ``nodes`` or ``network`` is
secret config the line gives counts only: no name, address or CIDR.
"""

from __future__ import annotations

from typing import NamedTuple

from components.config.wording import some_names
from components.network.last_deployment import LastDeployment
from components.network.model import NetworkPlan

SUMMARY_PREFIX = "kthw nodes:"
"""How the line starts: the workflow finds it by this."""
NAMES_SHOWN = 10
"""Names listed per kind of change; past that, a count of the others (the line stands alone at the top of a
comment, so it names more than a message does)."""
HIDDEN = "names hidden: nodes or network is secret config"


class NodeChanges(NamedTuple):
    """The node list of a plan against the last deployment's."""

    planned: int
    """Nodes in the new plan."""
    deployed: int | None
    """Nodes of the last deployment; None before the first."""
    added: list[str]
    """Planned, not deployed (sorted)."""
    removed: list[str]
    """Deployed, no longer planned (sorted)."""
    moved: list[str]
    """In both, with other pod CIDRs (sorted)."""
    readdressed: list[str]
    """In both, with other addresses (sorted)."""


def node_changes(last: LastDeployment | None, plan: NetworkPlan) -> NodeChanges:
    """Compare the plan's nodes with the last deployment's (None: no deployment yet)."""
    blocks = {} if last is None else {name: tuple(block.text for block in node_blocks)
                                      for name, node_blocks in last.pod_cidrs.items()}
    addresses = {} if last is None else last.addresses
    planned = plan.pod_cidrs
    return NodeChanges(
        planned=len(planned),
        deployed=None if last is None else len(blocks),
        added=sorted(name for name in planned if name not in blocks),
        removed=sorted(name for name in blocks if name not in planned),
        moved=sorted(name for name, pod_cidrs in planned.items() if name in blocks and blocks[name] != pod_cidrs),
        readdressed=sorted(node.name for node in plan.spec.nodes
                           if node.name in addresses and addresses[node.name] != node.address_text),
    )


def _names(names: list[str]) -> str:
    return f" ({some_names(names, NAMES_SHOWN)})"


def summary_line(changes: NodeChanges, *, hide_names: bool) -> str:
    """``kthw nodes: 4999 planned, 5000 deployed: 1 removed (worker-2500)``; counts only with ``hide_names``."""
    deployed = "none deployed yet" if changes.deployed is None else f"{changes.deployed} deployed"
    kinds = (("added", changes.added), ("removed", changes.removed), ("moved to new pod CIDRs", changes.moved),
             ("readdressed", changes.readdressed))
    parts = [f"{len(names)} {kind}" + ("" if hide_names else _names(names)) for kind, names in kinds if names]
    what = ", ".join(parts) or "no change"
    hidden = f" ({HIDDEN})" if hide_names and parts else ""
    return f"{SUMMARY_PREFIX} {changes.planned} planned, {deployed}: {what}{hidden}"
