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
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components.network_plan import NetworkPlan, NetworkSpec
from components.pod_cidr_allocation import plan_network
from components.previous_deployment import PreviousOutputError, read_previous_deployment

NETWORK_OUTPUT = "network"


def plan_this_deployment(spec: NetworkSpec, previous: Mapping[str, Any]) -> NetworkPlan:
    """The plan, keeping every node's block from the last deployment (``previous``: its outputs). ``spec`` comes
    validated from settings. Raises ConfigError (or CollectedConfigError) for a config that would move a deployed
    node's block, and RunError when the last deployment's network output exists but cannot be read."""
    try:
        last = read_previous_deployment(previous.get(NETWORK_OUTPUT))
    except PreviousOutputError as error:
        raise pulumi.RunError(f"kthw: {error}") from None
    return plan_network(spec, last)


class ClusterNetwork(pulumi.ComponentResource):
    """The plan: cluster and service ranges, service IPs, per-node pod CIDRs, routes and component flags."""

    network: dict[str, Any]
    """The ``network`` stack output (plain data: the plan is decided before any resource is registered)."""

    def __init__(self, name: str, *, plan: NetworkPlan, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kthw:index:ClusterNetwork", name, None, opts)
        self.network = plan.to_output()
        # The stack exports self.network; registering it here as well would keep a second copy in the state
        # (1 MiB for 5,000 nodes) and serialize it twice at every preview.
        self.register_outputs({})
