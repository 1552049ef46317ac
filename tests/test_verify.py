"""verify's pure checks: the kubernetes Service IP and the podCIDRs of registered nodes against the plan."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_command
import pytest

from components.verify import ClusterVerification, VerificationError, node_problems, service_ip_problem, verified

NETWORK = {
    "kubernetesServiceIp": "10.32.0.1",
    "serviceCidrs": ["10.32.0.0/24"],
    "nodes": {"worker-0": {"podCidrs": ["10.200.0.0/24"]}, "worker-1": {"podCidrs": ["10.200.1.0/24"]}},
}


def test_matching_cluster_passes_and_lists_registered_nodes() -> None:
    live = {"worker-1": ["10.200.1.0/24"], "controller-0": []}
    assert verified("10.32.0.1", live, NETWORK) == {"kubernetesServiceIp": "10.32.0.1", "registeredNodes": ["worker-1"]}


def test_default_range_is_named_with_the_flag_to_add() -> None:
    problem = service_ip_problem("10.0.0.1", "10.32.0.1", ["10.32.0.0/24"])
    assert problem is not None
    assert "kube-apiserver's default when --service-cluster-ip-range is not set" in problem
    assert "start kube-apiserver with --service-cluster-ip-range=10.32.0.0/24" in problem


def test_another_range_is_reported_as_a_mismatch() -> None:
    problem = service_ip_problem("10.96.0.1", "10.32.0.1", ["10.32.0.0/24"])
    assert problem is not None and "differs from network.serviceCidr" in problem


def test_unregistered_nodes_and_nodes_without_pod_cidrs_are_skipped() -> None:
    assert node_problems({"worker-0": []}, {"worker-0": ["10.200.0.0/24"], "worker-1": ["10.200.1.0/24"]}) == []


def test_every_disagreement_is_reported_at_once() -> None:
    with pytest.raises(VerificationError) as error:
        verified("10.0.0.1", {"worker-0": ["10.200.9.0/24"]}, NETWORK)
    message = str(error.value)
    assert message.startswith("verify: the kubernetes Service has clusterIP 10.0.0.1")
    assert "node worker-0 has podCIDRs 10.200.9.0/24, the plan gives 10.200.0.0/24" in message


class TunnelFailsMocks(pulumi.runtime.Mocks):
    """The managed tunnel's Command fails as pulumi-command reports an ssh failure; everything else is created."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ == "command:local:Command":
            raise Exception('exit status 255: running "open":\nssh: connect to host lb port 22: Connection refused')
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


def test_a_tunnel_that_did_not_open_is_the_only_error_verify_adds_nothing() -> None:
    reads: list[str] = []

    def reader(kubeconfig: str) -> tuple[str | None, dict[str, list[str]]]:
        reads.append(kubeconfig)
        return "10.0.0.1", {}

    results: list[Any] = []

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        tunnel = pulumi_command.local.Command("api-tunnel-ssh", create="open")
        verification = ClusterVerification(
            "verify", kubeconfig=pulumi.Output.secret("kubeconfig"), network=NETWORK, tunnel=tunnel, reader=reader)
        return verification.result.apply(results.append)

    pulumi.runtime.set_mocks(TunnelFailsMocks(), preview=False)
    with pytest.raises(Exception, match="Connection refused") as error:
        program()
    assert "verify" not in str(error.value)
    assert reads == [] and results == [None]
