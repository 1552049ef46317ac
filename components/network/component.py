"""``kthw:index:ClusterNetwork``: the ``network`` stack output, in both modes: the plan decided from the config and
the last deployment; with ``verify``, the plan that keeps what the live cluster's nodes carry, from the
ClusterVerification it holds. And what a preview says about the plan, before any resource is registered."""

from __future__ import annotations

from typing import Any

import pulumi

from components.cluster.component import ClusterVerification
from components.network.decision import NetworkDecision, state_refusal_warning
from components.network.node_changes import node_changes, summary_line


def announce(decision: NetworkDecision, *, hide_names: bool) -> None:
    """Log what the plan does that a person should know: in a preview, that verify will settle a config the state
    refuses, and the one line of node changes the pull-request comment puts at its top; always, the warnings of the
    plan. ``hide_names``: nodes or network is secret config, so the line gives counts only."""
    if pulumi.runtime.is_dry_run():
        if decision.state_refusals:
            pulumi.log.warn(state_refusal_warning(decision.state_refusals))
        pulumi.log.info(summary_line(node_changes(decision.last, decision.plan),
                                     hide_names=hide_names))
    for warning in decision.warnings:
        pulumi.log.warn(warning)


class ClusterNetwork(pulumi.ComponentResource):
    """``kthw:index:ClusterNetwork``: the plan as the ``network`` output; with verify, also the ``verification``
    output."""

    network: Any
    """The ``network`` stack output: plain data without verify (decided before any resource is registered); with
    verify, the Output of the ClusterVerification."""
    verification: pulumi.Output[dict[str, Any] | None] | None
    """The ``verification`` stack output with verify; None without (no such output)."""

    def __init__(
        self,
        name: str,
        *,
        decision: NetworkDecision,
        verify: bool,
        kubeconfig: pulumi.Output[str],
        tunnel_opened: pulumi.Input[bool],
        hide_values: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:ClusterNetwork", name, None, opts)
        # The stack exports self.network; registering it here as well would keep a second copy in the state
        # (1 MiB for 5,000 nodes) and serialize it twice at every preview.
        self.register_outputs({})
        if not verify:
            self.network, self.verification = decision.output, None
            return
        verification = ClusterVerification(
            "verify",
            kubeconfig=kubeconfig,
            decision=decision,
            tunnel_opened=tunnel_opened,
            hide_values=hide_values,
            # Deployed at the top of the stack before it was this component's: the same resource.
            opts=pulumi.ResourceOptions(parent=self, aliases=[pulumi.Alias(parent=pulumi.ROOT_STACK_RESOURCE)]),
        )
        self.network, self.verification = verification.network, verification.result
