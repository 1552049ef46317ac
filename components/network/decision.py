"""What this run decides for the network before any resource is registered: the plan that keeps the blocks the last
deployment gave, what that deployment said, and what the config contradicts of it.

Kubernetes never changes a node's podCIDR once set, so the plan must not move a node's block when other nodes are
removed or reordered. The last deployment's ``network`` output is read at start, in preview too, so:

* the whole plan, including a pin that collides with a block another node already holds, is decided before any
  resource is registered, and a problem stops the program with a message naming the config key;
* ``pulumi preview`` shows the real result, and an unchanged stack previews with no changes;
* the plan is plain data, not an Output, so 5,000 nodes cost no per-element Output machinery;
* it works on every backend, needs no resource per node and no pickled provider code in state.

On the first deployment there is no last deployment, and every node gets the lowest free block in list order. The
state is only a record: with verify, an update plans again with the podCIDRs the cluster's nodes carry and records
that plan instead (the cluster package).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from components.config.errors import AnyConfigError, ConfigError
from components.network.allocation import plan_network
from components.network.assigned_blocks import handover_warnings
from components.network.last_deployment import LastDeployment
from components.network.model import NetworkPlan, NetworkSpec
from components.network.output import network_output


@dataclass(frozen=True)
class NetworkDecision:
    """The plan made from the config and the last deployment, with what that deployment said and what it refuses."""

    plan: NetworkPlan
    """Every node's pod CIDRs, keeping the last deployment's."""
    last: LastDeployment | None = None
    """The last deployment's allocation, None before the first."""
    last_output: Any = None
    """The last deployment's ``network`` output as read, None before the first."""
    state_refusals: tuple[ConfigError, ...] = ()
    """With verify: what the last deployment's allocation refuses of the config. The plan is then made without
    it, and the update lets the cluster's nodes decide."""
    warnings: tuple[str, ...] = ()
    """What the plan does that the cluster may not follow: blocks handed from a node of the last deployment to
    another."""

    @cached_property
    def output(self) -> dict[str, Any]:
        """The plan as the ``network`` stack output (rendered once: 5,000 nodes make it the costly part)."""
        return network_output(self.plan)


def plan_from_state(
    spec: NetworkSpec, last: LastDeployment | None, last_output: Any, *, verify: bool, hide_values: bool = False
) -> NetworkDecision:
    """The plan that keeps the last deployment's blocks, with its warnings (naming no node or block with
    ``hide_values``: the node list or network is secret config). Raises the ConfigErrors of a config that would
    move them; with verify, the state is only a record that the cluster may contradict, so the refusals are kept for
    the update to decide and the plan is made without the state (and without judging pins by what nodes hold)."""
    try:
        plan = plan_network(spec, last)
    except AnyConfigError as refusal:
        if not verify:
            raise
        without_state = plan_network(spec, None, judge_short_pins=False)
        return NetworkDecision(without_state, last, last_output, tuple(refusal.errors))
    return NetworkDecision(plan, last, last_output, warnings=handover_warnings(plan, last, hide_values))


def state_refusal_warning(refusals: Sequence[ConfigError]) -> str:
    """What a preview says when the config contradicts the stack's state and verify will ask the cluster (keys only:
    the update prints the whole messages if they stand)."""
    keys = ", ".join(dict.fromkeys(refusal.key for refusal in refusals))
    return (f"the config contradicts the pod CIDRs the stack's state records ({keys}); with verify, `pulumi up` "
            "reads the cluster's nodes and keeps what they carry, and refuses the config only where the cluster "
            "does not settle it. This preview shows the plan made without the state")
