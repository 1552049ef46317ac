"""verify's pure checks: the kubernetes Service IP and the podCIDRs of registered nodes against the plan."""

from __future__ import annotations

from typing import Any

import pulumi
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


class CreateEverythingMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


def test_a_tunnel_that_did_not_open_is_not_verified_and_verify_adds_no_error() -> None:
    reads: list[str] = []

    def reader(kubeconfig: str) -> tuple[str | None, dict[str, list[str]]]:
        reads.append(kubeconfig)
        return "10.0.0.1", {}

    results: list[Any] = []

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        verification = ClusterVerification("verify", kubeconfig=pulumi.Output.secret("kubeconfig"), network=NETWORK,
                                           tunnel_opened=pulumi.Output.from_input(False), reader=reader)
        return pulumi.Output.all(verification.result, verification.check).apply(results.append)

    pulumi.runtime.set_mocks(CreateEverythingMocks(), preview=False)
    program()
    assert reads == [] and results == [[None, None]]


def test_disagreements_fail_through_the_check_while_the_result_stays_readable() -> None:
    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        verification = ClusterVerification("verify", kubeconfig=pulumi.Output.secret("kubeconfig"), network=NETWORK,
                                           reader=lambda kubeconfig: ("10.0.0.1", {}))
        return verification.result.apply(lambda result: result is None or pytest.fail("result must be None"))

    pulumi.runtime.set_mocks(CreateEverythingMocks(), preview=False)
    with pytest.raises(VerificationError, match="kube-apiserver's default when --service-cluster-ip-range"):
        program()
