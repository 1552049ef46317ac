"""What verify makes of what it read from the live cluster: the plan that keeps the registered nodes' podCIDRs
(adoption.py) is the ``network`` output of an update, and a config that contradicts them is refused. Then the
cluster is checked against that plan: the ``default/kubernetes`` Service's clusterIP must be its
kubernetesServiceIp, and every planned node that has registered must carry its planned podCIDRs.

When the config is refused, the ``network`` output stays what the last deployment recorded, so a plan the cluster or
the state contradicts is never recorded; when the cluster could not be read, it is the plan made from the state, as
without verify (but a config the state refuses stays refused).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pulumi

from components.cluster.adoption import UnreadableNodeError, adopt_cluster_allocation
from components.config.errors import AnyConfigError, ConfigError, problem_lines
from components.config.shown import SECRET_VALUES
from components.network.blocks import lenient_block
from components.network.decision import NetworkDecision
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


def check_cluster_against_plan(
    cluster_ip: str | None, live_nodes: Mapping[str, Sequence[str]], network: Mapping[str, Any]
) -> dict[str, Any]:
    """Check the cluster against the plan's ``network`` output: the verification result, or VerificationError
    listing every disagreement between them."""
    planned = {node: pod_cidrs for node, (_, pod_cidrs) in read_nodes(network[NODE_TABLE]).items()}
    problem = service_ip_problem(cluster_ip, network["kubernetesServiceIp"], network["serviceCidrs"])
    problems = ([problem] if problem else []) + node_problems(live_nodes, planned)
    if problems:
        raise VerificationError("verify: " + "; ".join(problems))
    registered = sorted(name for name in planned if name in live_nodes)
    return {"kubernetesServiceIp": cluster_ip, "registeredNodeCount": len(registered),
            REGISTERED_TABLE: render_table(REGISTERED_HEADER, ([name] for name in registered))}


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


def unread_cluster(
    decision: NetworkDecision, reason: VerificationError | None, *, hide_values: bool = False
) -> Outcome:
    """The outcome when the cluster was not read (``reason``: why; None when the managed tunnel did not open, which
    says why itself): the plan made from the state is recorded; but a config the state refuses stays refused, and
    then the network output is left as the last deployment recorded it."""
    if not decision.state_refusals:
        return Outcome(decision.output, None, reason)
    why = str(reason).removeprefix("verify: ") if reason else "the managed tunnel did not open"
    return Outcome(decision.last_output, None, _refusal(
        f"verify: the cluster could not be read ({why}), so the allocation the stack's state records stands "
        "(the network output is left as the last deployment recorded it), and it refuses the config",
        decision.state_refusals, hide_values))


def verify_cluster(
    cluster_ip: str | None,
    live_nodes: Mapping[str, Sequence[str]],
    decision: NetworkDecision,
    *,
    hide_values: bool = False,
) -> Outcome:
    """Keep the registered nodes' podCIDRs in the plan, then check the cluster against it. ``hide_values``: the node
    list or network is secret config, so messages name keys and counts, never names or addresses."""
    try:
        adoption = adopt_cluster_allocation(decision.plan, decision.last, live_nodes)
    except UnreadableNodeError as error:
        return unread_cluster(decision, VerificationError(f"verify: {SECRET_VALUES if hide_values else error}"),
                              hide_values=hide_values)
    except AnyConfigError as error:
        return Outcome(decision.last_output, None, _refusal(CLUSTER_REFUSAL, error.errors, hide_values))
    output = decision.output if not adoption.changes else network_output(adoption.plan)
    try:
        result = check_cluster_against_plan(cluster_ip, live_nodes, output)
        return Outcome(output, result, None, adoption.notice(hide_values))
    except VerificationError as error:
        problem = error if not hide_values else VerificationError(
            f"verify: the cluster disagrees with the plan ({SECRET_VALUES}): compare `pulumi stack output network "
            "--show-secrets` with the kubernetes Service's clusterIP and `kubectl get nodes -o "
            "custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs`")
        return Outcome(output, None, problem, adoption.notice(hide_values))
