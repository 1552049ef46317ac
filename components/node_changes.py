"""What a preview changes of the node list, said in one plain line that the pull-request workflow puts at the top of
its comment (scripts/preview_comment.py), however long the diff below it.

The program reads the last deployment's allocation at start anyway (components/cluster_network.py); comparing it
with the new plan gives the nodes added, removed and moved (their pod CIDRs changed) without reading the diff. When
``nodes`` or ``network`` is secret config the line gives counts only: no name, address or CIDR.
"""

from __future__ import annotations

from typing import NamedTuple

from components.network_plan import NetworkPlan
from components.previous_deployment import PreviousDeployment

SUMMARY_PREFIX = "kthw nodes:"
"""How the line starts: the workflow finds it by this."""
NAMES_SHOWN = 10
"""Names listed per kind of change; past that, a count of the others."""
HIDDEN = "names hidden: nodes or network is secret config"


class NodeChanges(NamedTuple):
    """The node list of a plan against the last deployment's."""

    planned: int
    """Nodes in the new plan."""
    deployed: int | None
    """Nodes the last deployment recorded; None before the first."""
    added: list[str]
    """Planned, not deployed (sorted)."""
    removed: list[str]
    """Deployed, no longer planned (sorted)."""
    moved: list[str]
    """In both, with other pod CIDRs (sorted)."""


def node_changes(last: PreviousDeployment | None, plan: NetworkPlan) -> NodeChanges:
    """Compare the plan's nodes and pod CIDRs with what the last deployment recorded (None: no deployment yet)."""
    recorded = {} if last is None else {name: tuple(block.text for block in blocks)
                                        for name, blocks in last.pod_cidrs.items()}
    planned = plan.pod_cidrs
    return NodeChanges(
        planned=len(planned),
        deployed=None if last is None else len(recorded),
        added=sorted(name for name in planned if name not in recorded),
        removed=sorted(name for name in recorded if name not in planned),
        moved=sorted(name for name, blocks in planned.items() if name in recorded and recorded[name] != blocks),
    )


def _names(names: list[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    more = len(names) - NAMES_SHOWN
    return f" ({shown} and {more} more)" if more > 0 else f" ({shown})"


def summary_line(changes: NodeChanges, *, hide_names: bool) -> str:
    """``kthw nodes: 4999 planned, 5000 deployed: 1 removed (worker-2500)``; counts only with ``hide_names``."""
    deployed = "none deployed yet" if changes.deployed is None else f"{changes.deployed} deployed"
    parts = [f"{len(names)} {kind}" + ("" if hide_names else _names(names))
             for kind, names in (("added", changes.added), ("removed", changes.removed),
                                ("moved to new pod CIDRs", changes.moved))
             if names]
    what = ", ".join(parts) or "no change"
    hidden = f" ({HIDDEN})" if hide_names and parts else ""
    return f"{SUMMARY_PREFIX} {changes.planned} planned, {deployed}: {what}{hidden}"
