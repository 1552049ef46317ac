"""``kthw:index:ClusterNetwork``: the network plan as a stack output, stable across deployments.

Kubernetes never changes a node's podCIDR once set, so the plan must not move a node's block when other nodes are
removed or reordered. The mechanism is the stack's own previous ``network`` output, read through a StackReference
to this very stack: it is read in preview too (so the diff shows the real result), works on every backend, needs no
extra resource per node and no pickled provider code in state. On the first deployment there is no previous
output and every node gets the lowest free block in list order.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.errors import ConfigError
from components.network_plan import NetworkSpec, plan_network, previous_pod_cidrs

NETWORK_OUTPUT = "network"


def own_stack_name() -> str:
    """``org/project/stack`` of the running stack (the file backend's organization is always "organization")."""
    organization = pulumi.get_organization() or "organization"
    return f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}"


def planned_network(spec: NetworkSpec, previous_output: Any) -> dict[str, Any]:
    """The ``network`` output for this deployment, keeping the blocks of ``previous_output``."""
    try:
        return plan_network(spec, previous_pod_cidrs(previous_output)).to_output()
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None


class ClusterNetwork(pulumi.ComponentResource):
    """The plan: cluster and service ranges, service IPs, per-node pod CIDRs, routes and component flags."""

    network: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, *, spec: NetworkSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("kthw:index:ClusterNetwork", name, None, opts)
        previous = pulumi.StackReference(
            f"{name}-previous-deployment", stack_name=own_stack_name(), opts=pulumi.ResourceOptions(parent=self)
        )
        self.network = previous.get_output(NETWORK_OUTPUT).apply(lambda output: planned_network(spec, output))
        self.register_outputs({NETWORK_OUTPUT: self.network})
