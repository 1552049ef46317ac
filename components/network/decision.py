"""``kthw:index:ClusterNetwork``: the network plan as a stack output, stable across deployments.

Kubernetes never changes a node's podCIDR once set, so the plan must not move a node's block when other nodes are
removed or reordered. The mechanism is this stack's own previous ``network`` output (components/previous_outputs.py
reads it with the engine's built-in ``pulumi:pulumi:readStackOutputs``, what a StackReference reads, without
registering a resource). The read is synchronous and runs in preview too, so:

* the whole plan, including a pin that collides with a block another node already holds, is decided before any
  resource is registered, and a problem stops the program with a message naming the config key;
* ``pulumi preview`` shows the real result, and an unchanged stack previews with no changes;
* the plan is plain data, not an Output, so 5,000 nodes cost no per-element Output machinery;
* it works on every backend, needs no resource per node and no pickled provider code in state.

On the first deployment there is no previous output and every node gets the lowest free block in list order.
The state is only a record: with verify, an update plans again with the podCIDRs the cluster's nodes carry and
records that plan instead (components/verify.py, components/cluster_adoption.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pulumi

from components.config.errors import AnyConfigError, ConfigError
from components.network.allocation import plan_network
from components.network.assigned_blocks import handover_warnings
from components.network.last_deployment import PreviousDeployment, PreviousOutputError, read_previous_deployment
from components.network.model import NetworkPlan, NetworkSpec
from components.network.output import network_output

NETWORK_OUTPUT = "network"


def last_deployment(previous: Mapping[str, Any], hide_names: bool = False) -> PreviousDeployment | None:
    """The allocation the last deployment recorded (``previous``: its outputs), None before the first. Raises
    RunError when its network output exists but cannot be read or gives a block to two nodes (naming nodes by
    position only with ``hide_names``: the node list or network is secret config)."""
    try:
        return read_previous_deployment(previous.get(NETWORK_OUTPUT), hide_names)
    except PreviousOutputError as error:
        raise pulumi.RunError(f"kthw: {error}") from None


@dataclass(frozen=True)
class PlannedNetwork:
    """The plan made from the config and the last deployment, with what that deployment recorded."""

    plan: NetworkPlan
    """Every node's pod CIDRs, keeping the last deployment's."""
    last: PreviousDeployment | None = None
    """The allocation the last deployment recorded, None before the first."""
    recorded: Any = None
    """The last deployment's ``network`` output as read, None before the first."""
    state_refusals: tuple[ConfigError, ...] = ()
    """With verify: what the last deployment's allocation refuses of the config. The plan is then made without
    it, and the update lets the cluster's nodes decide (components/cluster_adoption.py)."""
    warnings: tuple[str, ...] = ()
    """What the plan does that the cluster may not follow: blocks handed from a node of the last deployment to
    another (components/assigned_blocks.py handover_warnings)."""

    @cached_property
    def output(self) -> dict[str, Any]:
        """The plan as the ``network`` stack output (rendered once: 5,000 nodes make it the costly part)."""
        return network_output(self.plan)


def plan_from_state(
    spec: NetworkSpec, last: PreviousDeployment | None, recorded: Any, *, verify: bool, hide_values: bool = False
) -> PlannedNetwork:
    """The plan that keeps the last deployment's blocks, with its warnings (naming no node or block with
    ``hide_values``: the node list or network is secret config). Raises the ConfigErrors of a config that would
    move them; with verify, the state is only a record that the cluster may contradict, so the refusals are kept for
    the update to decide and the plan is made without the state (and without judging pins by what nodes hold)."""
    try:
        plan = plan_network(spec, last)
    except AnyConfigError as refusal:
        if not verify:
            raise
        return PlannedNetwork(plan_network(spec, None, judge_short_pins=False), last, recorded, tuple(refusal.errors))
    return PlannedNetwork(plan, last, recorded, warnings=handover_warnings(plan, last, hide_values))


def state_refusal_warning(refusals: Sequence[ConfigError]) -> str:
    """What a preview says when the config contradicts the stack's state and verify will ask the cluster (keys only:
    the update prints the whole messages if they stand)."""
    keys = ", ".join(dict.fromkeys(refusal.key for refusal in refusals))
    return (f"the config contradicts the pod CIDRs the stack's state records ({keys}); with verify, `pulumi up` "
            "reads the cluster's nodes and keeps what they carry, and refuses the config only where the cluster "
            "does not settle it. This preview shows the plan made without the state")


class ClusterNetwork(pulumi.ComponentResource):
    """The plan: cluster and service ranges, service IPs, per-node pod CIDRs, routes and component flags."""

    def __init__(self, name: str, *, planned: PlannedNetwork, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kthw:index:ClusterNetwork", name, None, opts)
        self.planned = planned
        # The stack exports self.network; registering it here as well would keep a second copy in the state
        # (1 MiB for 5,000 nodes) and serialize it twice at every preview.
        self.register_outputs({})

    @property
    def network(self) -> dict[str, Any]:
        """The ``network`` stack output (plain data: the plan is decided before any resource is registered). With
        verify, an update records instead the plan that keeps the cluster's podCIDRs (components/verify.py), so it
        is rendered only when asked for."""
        return self.planned.output
