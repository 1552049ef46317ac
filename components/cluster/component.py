"""``kthw:index:ClusterVerification``: with ``verify: true``, the live cluster read through the stack's own kubeconfig,
its podCIDRs kept in the plan and the rest checked (verify.py).

The cluster is read only when the program runs as an update (a preview, a pull request's say, never needs the
cluster, and shows the plan made from the state) and only when this run opened the managed tunnel or found it open:
a tunnel that could not open has said why, and verify adds nothing. ``pulumi refresh --run-program`` runs the
program as an update (``is_dry_run()`` is false) but runs no Command, so a managed tunnel that is down stays unread
there, with the tunnel's warning alone.

A problem fails the update with every problem listed, but only after the stack's outputs are recorded (the check is
an Output nothing exports), so the kubeconfig is there to debug with.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi

from components.cluster import api
from components.cluster.verify import Outcome, VerificationError, unread_cluster, verify_cluster
from components.network.decision import NetworkDecision

ClusterReader = Callable[[str], tuple[str | None, Mapping[str, Sequence[str]]]]
"""Reads the kubernetes Service's clusterIP and the registered nodes' podCIDRs with a kubeconfig; raises
api.ClusterAccessError when it cannot."""


class ClusterVerification(pulumi.ComponentResource):
    """``kthw:index:ClusterVerification``: the live cluster's node podCIDRs, kept in the plan, and its kubernetes
    Service IP, checked."""

    network: pulumi.Output[Any]
    """The ``network`` output: in preview the plan made from the state; in an update the plan that keeps the
    cluster's podCIDRs (see Outcome.network)."""
    result: pulumi.Output[dict[str, Any] | None]
    """What was read (None in preview, or when the tunnel did not open); never fails."""
    check: pulumi.Output[None]
    """Fails the update with every problem, after the outputs are recorded."""

    def __init__(
        self,
        name: str,
        *,
        kubeconfig: pulumi.Output[str],
        decision: NetworkDecision,
        tunnel_opened: pulumi.Input[bool] = True,
        reader: ClusterReader | None = None,
        hide_values: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:ClusterVerification", name, None, opts)
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)
        # A preview never reads the cluster: it shows the plan made from the state.
        if pulumi.runtime.is_dry_run():
            self.network = pulumi.Output.from_input(decision.output)
            self.result = _unknown()
            self.check = pulumi.Output.from_input(None)
            return

        def verify(values: list[Any]) -> Outcome:
            opened, config = values
            if not opened:
                return unread_cluster(decision, None, hide_values=hide_values)
            try:
                cluster_ip, live_nodes = (reader or api.read_cluster)(config)
            except api.ClusterAccessError as error:
                return unread_cluster(decision, VerificationError(f"verify: {error}"), hide_values=hide_values)
            outcome = verify_cluster(cluster_ip, live_nodes, decision, hide_values=hide_values)
            if outcome.notice:
                pulumi.log.warn(outcome.notice, self)
            return outcome

        outcome = pulumi.Output.all(tunnel_opened, kubeconfig).apply(verify)
        # What was read holds addresses and node names: not secret, though read with the secret kubeconfig.
        self.network = pulumi.Output.unsecret(outcome.apply(lambda value: value.network))
        self.result = pulumi.Output.unsecret(outcome.apply(lambda value: value.result))
        self.check = outcome.apply(_raise_problems)


def _unknown() -> pulumi.Output[Any]:
    """An Output whose value is unknown: a read with an unknown id is skipped in preview."""
    value: asyncio.Future[Any] = asyncio.Future()
    value.set_result(None)
    known: asyncio.Future[bool] = asyncio.Future()
    known.set_result(False)
    return pulumi.Output(set(), value, known)


def _raise_problems(outcome: Outcome) -> None:
    if outcome.problem is not None:
        raise outcome.problem
