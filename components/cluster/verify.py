"""``verify: true``: read the live cluster through the stack's own kubeconfig, keep its podCIDRs, check the rest.

The registered nodes' podCIDRs are the allocation to keep (components/cluster_adoption.py): the ``network`` output
of an update is the plan that keeps them, and a config that contradicts them is refused. The ``default/kubernetes``
Service's clusterIP must be the plan's kubernetesServiceIp, and every planned node that has registered must carry
the planned podCIDRs. Everything is read with the kubeconfig's own credentials (components/live_cluster.py), only
when the program runs as an update (a preview, a pull request's say, never needs the cluster, and shows the plan
made from the state) and only when this run opened the managed tunnel or found it open: a tunnel that could not open
has said why, and verify adds nothing (unless the config contradicts the stack's state, which then stands: see
unread_cluster). ``pulumi refresh --run-program`` runs the program as an update (``is_dry_run()`` is false) but runs
no Command, so a managed tunnel that is down stays unread there, with the tunnel's warning alone
(components/tunnel.py).

A problem fails the update with every problem listed, but only after the stack's outputs are recorded (the check
is an Output nothing exports), so the kubeconfig is there to debug with. When the config is refused, the
``network`` output stays what the last deployment recorded, so a plan the cluster or the state contradicts is
never recorded; when the cluster could not be read, it is the plan made from the state, as without verify.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import pulumi

from components.cluster import api as live_cluster
from components.cluster.adoption import UnreadableNodeError, adopt_cluster_allocation
from components.config.errors import AnyConfigError, ConfigError, problem_lines
from components.config.shown import SECRET_VALUES
from components.network.blocks import lenient_block
from components.network.decision import PlannedNetwork
from components.network.output import network_output
from components.network.tables import NODE_TABLE, REGISTERED_HEADER, REGISTERED_TABLE, read_nodes, render_table

KUBE_APISERVER_DEFAULT_SERVICE_IP = "10.0.0.1"
"""What kube-apiserver gives the kubernetes Service when --service-cluster-ip-range is not set (10.0.0.0/24)."""


class VerificationError(pulumi.RunError):
    """The live cluster disagrees with the plan."""


def service_ip_problem(actual: str | None, expected: str, service_cidrs: Sequence[str]) -> str | None:
    """Why the kubernetes Service's clusterIP is wrong, naming the kube-apiserver flag; None when it is right."""
    if actual == expected:
        return None
    flag = f"--service-cluster-ip-range={','.join(service_cidrs)}"
    if actual == KUBE_APISERVER_DEFAULT_SERVICE_IP:
        return (
            f"the kubernetes Service has clusterIP {actual}, kube-apiserver's default when "
            f"--service-cluster-ip-range is not set; the plan expects {expected}: start kube-apiserver with {flag}"
        )
    return (
        f"the kubernetes Service has clusterIP {actual}, the plan expects {expected}: kube-apiserver's "
        f"--service-cluster-ip-range differs from network.serviceCidr; start it with {flag}"
    )


def node_problems(live: Mapping[str, Sequence[str]], planned: Mapping[str, Sequence[str]]) -> list[str]:
    """Registered planned nodes whose podCIDRs differ from the plan (nodes not registered, without a podCIDR yet,
    or planned without pods are skipped). The plan keeps exactly what registered nodes carry, so this is a guard:
    a difference means the plan was made from something else than what was read."""
    problems = []
    for name, pod_cidrs in planned.items():
        actual = live.get(name)
        if actual and pod_cidrs and list(actual) != list(pod_cidrs) and [
            _as_planned(text) for text in actual] != list(pod_cidrs):
            problems.append(
                f"node {name} has podCIDRs {','.join(actual)}, the plan gives {','.join(pod_cidrs)}: Kubernetes "
                "cannot add a podCIDR to a registered node; to give it one of every cluster range, delete the node "
                "so that it registers again"
            )
    return problems


def _as_planned(text: str) -> str:
    """A podCIDR's text as the plan writes it (canonical, host bits cleared), or as it is when not a CIDR."""
    block = lenient_block(text)
    return text if block is None else block.text


def verified(
    cluster_ip: str | None, live_nodes: Mapping[str, Sequence[str]], network: Mapping[str, Any]
) -> dict[str, Any]:
    """The verification result, or VerificationError listing every disagreement between cluster and plan."""
    planned = {node: pod_cidrs for node, (_, pod_cidrs) in read_nodes(network[NODE_TABLE]).items()}
    problem = service_ip_problem(cluster_ip, network["kubernetesServiceIp"], network["serviceCidrs"])
    problems = ([problem] if problem else []) + node_problems(live_nodes, planned)
    if problems:
        raise VerificationError("verify: " + "; ".join(problems))
    registered = sorted(name for name in planned if name in live_nodes)
    return {"kubernetesServiceIp": cluster_ip, "registeredNodeCount": len(registered),
            REGISTERED_TABLE: render_table(REGISTERED_HEADER, ([name] for name in registered))}


def _unknown() -> pulumi.Output[Any]:
    """An Output whose value is unknown: a read with an unknown id is skipped in preview."""
    value: asyncio.Future[Any] = asyncio.Future()
    value.set_result(None)
    known: asyncio.Future[bool] = asyncio.Future()
    known.set_result(False)
    return pulumi.Output(set(), value, known)


ClusterReader = Callable[[str], tuple[str | None, Mapping[str, Sequence[str]]]]


def read_cluster(kubeconfig: str) -> tuple[str | None, Mapping[str, Sequence[str]]]:
    """The kubernetes Service's clusterIP and the registered nodes' podCIDRs; VerificationError says why they could
    not be read."""
    try:
        return live_cluster.read_cluster(kubeconfig)
    except live_cluster.ClusterAccessError as error:
        raise VerificationError(f"verify: {error}") from None


class Outcome(NamedTuple):
    """What verify made of the cluster: the network to record, what was read, and the problem, if any."""

    network: Any
    """The ``network`` output: the plan that keeps the cluster's podCIDRs; the state's plan when the cluster could
    not be read; the last deployment's output (None before the first) when the config contradicts the cluster."""
    result: dict[str, Any] | None
    """The kubernetes Service IP and the registered planned nodes; None when there is a problem."""
    problem: VerificationError | None
    """Every problem found, or None."""
    notice: str | None = None
    """What the cluster changed of the state's plan (a warning), or None."""


CLUSTER_REFUSAL = ("verify: the config contradicts the podCIDRs the cluster's nodes carry, which Kubernetes never "
                   "changes (the network output is left as the last deployment recorded it, if any)")


def _refusal(header: str, errors: Sequence[ConfigError], hide_values: bool) -> VerificationError:
    """Every refused key under ``header``, one a line (keys only when the values are secret)."""
    lines = problem_lines(errors, hide_values)
    return VerificationError(header + ":" + "".join(f"\n  {line}" for line in lines))


def unread_cluster(planned: PlannedNetwork, reason: VerificationError | None, *, hide_values: bool = False) -> Outcome:
    """The outcome when the cluster was not read (``reason``: why; None when the managed tunnel did not open, which
    says why itself): the plan made from the state is recorded; but a config the state refuses stays refused, and
    then the network output is left as the last deployment recorded it."""
    if not planned.state_refusals:
        return Outcome(planned.output, None, reason)
    why = str(reason).removeprefix("verify: ") if reason else "the managed tunnel did not open"
    return Outcome(planned.recorded, None, _refusal(
        f"verify: the cluster could not be read ({why}), so the allocation the stack's state records stands "
        "(the network output is left as the last deployment recorded it), and it refuses the config",
        planned.state_refusals, hide_values))


def verify_cluster(
    cluster_ip: str | None,
    live_nodes: Mapping[str, Sequence[str]],
    planned: PlannedNetwork,
    *,
    hide_values: bool = False,
) -> Outcome:
    """Keep the registered nodes' podCIDRs in the plan, then check the cluster against it. ``hide_values``: the node
    list or network is secret config, so messages name keys and counts, never names or addresses."""
    try:
        adoption = adopt_cluster_allocation(planned.plan, planned.last, live_nodes)
    except UnreadableNodeError as error:
        return unread_cluster(planned, VerificationError(f"verify: {SECRET_VALUES if hide_values else error}"),
                              hide_values=hide_values)
    except AnyConfigError as error:
        return Outcome(planned.recorded, None, _refusal(CLUSTER_REFUSAL, error.errors, hide_values))
    output = planned.output if not adoption.changes else network_output(adoption.plan)
    try:
        return Outcome(output, verified(cluster_ip, live_nodes, output), None, adoption.notice(hide_values))
    except VerificationError as error:
        problem = error if not hide_values else VerificationError(
            f"verify: the cluster disagrees with the plan ({SECRET_VALUES}): compare `pulumi stack output network "
            "--show-secrets` with the kubernetes Service's clusterIP and `kubectl get nodes -o "
            "custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs`")
        return Outcome(output, None, problem, adoption.notice(hide_values))


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
        planned: PlannedNetwork,
        tunnel_opened: pulumi.Input[bool] = True,
        reader: ClusterReader | None = None,
        hide_values: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:ClusterVerification", name, None, opts)
        read = reader or read_cluster

        def verify(values: list[Any]) -> Outcome:
            opened, config = values
            if not opened:
                return unread_cluster(planned, None, hide_values=hide_values)
            try:
                cluster_ip, live_nodes = read(config)
            except VerificationError as error:
                return unread_cluster(planned, error, hide_values=hide_values)
            outcome = verify_cluster(cluster_ip, live_nodes, planned, hide_values=hide_values)
            if outcome.notice:
                pulumi.log.warn(outcome.notice, self)
            return outcome

        if pulumi.runtime.is_dry_run():
            self.network = pulumi.Output.from_input(planned.output)
            self.result = _unknown()
            self.check = pulumi.Output.from_input(None)
        else:
            outcome = pulumi.Output.all(tunnel_opened, kubeconfig).apply(verify)
            # What was read holds addresses and node names: not secret, though read with the secret kubeconfig.
            self.network = pulumi.Output.unsecret(outcome.apply(lambda value: value.network))
            self.result = pulumi.Output.unsecret(outcome.apply(lambda value: value.result))
            self.check = outcome.apply(_raise_problems)
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)


def _raise_problems(outcome: Outcome) -> None:
    if outcome.problem is not None:
        raise outcome.problem
