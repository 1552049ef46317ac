"""``verify: true``: check the live cluster through the stack's own kubeconfig.

The ``default/kubernetes`` Service is read with a pulumi-kubernetes Provider (``cluster_identifier`` keeps a changed
kubeconfig from replacing anything); its clusterIP must be the plan's kubernetesServiceIp. Every planned node that
has registered and has a podCIDR must carry the planned one. Reads are deferred to ``pulumi up``, so a preview
(a pull request's, say) never needs the cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components import live_cluster

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
    """Registered planned nodes whose podCIDRs differ from the plan (nodes not registered, or without a podCIDR
    yet, are skipped)."""
    problems = []
    for name, pod_cidrs in planned.items():
        actual = live.get(name)
        if actual and list(actual) != list(pod_cidrs):
            problems.append(
                f"node {name} has podCIDRs {','.join(actual)}, the plan gives {','.join(pod_cidrs)}: "
                "kube-controller-manager's --cluster-cidr or node mask differs from network, or the node was "
                "registered before this plan"
            )
    return problems


def cluster_ip_of(spec: Any) -> str | None:
    """The clusterIP of a read Service spec, whether the SDK hands it over as a typed object or a dict."""
    if isinstance(spec, Mapping):
        value = spec.get("cluster_ip", spec.get("clusterIP"))
    else:
        value = getattr(spec, "cluster_ip", None)
    return None if value is None else str(value)


def verified(
    cluster_ip: str | None, live_nodes: Mapping[str, Sequence[str]], network: Mapping[str, Any]
) -> dict[str, Any]:
    """The verification result, or VerificationError listing every disagreement between cluster and plan."""
    planned = {node: entry["podCidrs"] for node, entry in network["nodes"].items()}
    problem = service_ip_problem(cluster_ip, network["kubernetesServiceIp"], network["serviceCidrs"])
    problems = ([problem] if problem else []) + node_problems(live_nodes, planned)
    if problems:
        raise VerificationError("verify: " + "; ".join(problems))
    return {"kubernetesServiceIp": cluster_ip, "registeredNodes": sorted(n for n in planned if n in live_nodes)}


def _unknown() -> pulumi.Output[Any]:
    """An Output whose value is unknown: a read with an unknown id is skipped in preview."""
    value: asyncio.Future[Any] = asyncio.Future()
    value.set_result(None)
    known: asyncio.Future[bool] = asyncio.Future()
    known.set_result(False)
    return pulumi.Output(set(), value, known)


class ClusterVerification(pulumi.ComponentResource):
    """``kthw:index:ClusterVerification``: the live cluster's kubernetes Service IP and node podCIDRs."""

    result: pulumi.Output[dict[str, Any]]

    def __init__(
        self,
        name: str,
        *,
        kubeconfig: pulumi.Output[str],
        cluster_name: str,
        network: Mapping[str, Any],
        ready: pulumi.Input[Any] = None,
        list_nodes: Callable[[str], Mapping[str, Sequence[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:ClusterVerification", name, None, opts)
        self.provider = k8s.Provider(
            f"{name}-provider", kubeconfig=kubeconfig, cluster_identifier=cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )

        def list_registered_nodes(values: list[Any]) -> Mapping[str, Sequence[str]]:
            try:
                return (list_nodes or live_cluster.list_node_pod_cidrs)(values[1])
            except live_cluster.ClusterAccessError as error:
                raise VerificationError(f"verify: {error}") from None

        # Only once the kubeconfig (and the tunnel, when managed) exist, never in preview. The nodes are listed
        # first, with the kubeconfig's own credentials, so a kubeconfig that does not get through fails here with
        # the reason (the provider's read would only say "unreachable cluster"); the Service id is no secret.
        dry_run = pulumi.runtime.is_dry_run()
        live = _unknown() if dry_run else pulumi.Output.all(ready, kubeconfig).apply(list_registered_nodes)
        service_id = _unknown() if dry_run else pulumi.Output.unsecret(live.apply(lambda _: "default/kubernetes"))
        service = k8s.core.v1.Service.get(
            f"{name}-kubernetes-service", service_id,
            opts=pulumi.ResourceOptions(parent=self, provider=self.provider),
        )
        # The result holds only addresses and node names: not secret, though read with the secret kubeconfig.
        self.result = _unknown() if dry_run else pulumi.Output.unsecret(
            pulumi.Output.all(service.spec, live).apply(
                lambda values: verified(cluster_ip_of(values[0]), values[1], network)
            )
        )
        self.register_outputs({"result": self.result})
