"""verify's pure checks: the kubernetes Service IP and the podCIDRs of registered nodes against the plan."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from components.cluster.component import ClusterReader, ClusterVerification
from components.cluster.verify import VerificationError, check_cluster_against_plan, node_problems, service_ip_problem
from components.network.decision import NetworkDecision
from components.network.tables import nodes_of, registered_of
from tests.helpers.network_specs import spec, valid_plan, workers

NETWORK = {
    "kubernetesServiceIp": "10.32.0.1",
    "serviceCidrs": ["10.32.0.0/24"],
    "nodeTable": "NAME ADDRESSES POD_CIDRS\nworker-0 172.31.100.1 10.200.0.0/24\nworker-1 172.31.100.2 10.200.1.0/24\n",
}


def test_matching_cluster_passes_and_lists_registered_nodes() -> None:
    live = {"worker-1": ["10.200.1.0/24"], "controller-0": []}
    assert check_cluster_against_plan("10.32.0.1", live, NETWORK) == {
        "kubernetesServiceIp": "10.32.0.1", "registeredNodeCount": 1, "registeredNodeTable": "NAME\nworker-1\n"}


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
        check_cluster_against_plan("10.0.0.1", {"worker-0": ["10.200.9.0/24"]}, NETWORK)
    message = str(error.value)
    assert message.startswith("verify: the kubernetes Service has clusterIP 10.0.0.1")
    assert "node worker-0 has podCIDRs 10.200.9.0/24, the plan gives 10.200.0.0/24" in message


class CreateEverythingMocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


DECISION = NetworkDecision(valid_plan(spec(nodes=workers(2))))


def run_verification(
    reader: ClusterReader, *, preview: bool = False, opened: bool = True
) -> tuple[Any, Any, Exception | None]:
    """A ClusterVerification of DECISION under mocks: the network it records, its result (None in preview, where it
    is unknown), and the check's error."""
    seen: dict[str, Any] = {"result": None}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        verification = ClusterVerification("verify", kubeconfig=pulumi.Output.secret("kubeconfig"), decision=DECISION,
                                           tunnel_opened=pulumi.Output.from_input(opened), reader=reader)
        verification.result.apply(lambda result: seen.update(result=result))
        return verification.network.apply(lambda network: seen.update(network=network))

    pulumi.runtime.set_mocks(CreateEverythingMocks(), preview=preview)
    try:
        program()
    except VerificationError as error:
        return seen["network"], seen["result"], error
    return seen["network"], seen["result"], None


def test_a_tunnel_that_did_not_open_is_not_verified_and_verify_adds_no_error() -> None:
    reads: list[str] = []

    def reader(kubeconfig: str) -> tuple[str | None, dict[str, list[str]]]:
        reads.append(kubeconfig)
        return "10.0.0.1", {}

    network, result, error = run_verification(reader, opened=False)
    assert reads == [] and (network, result, error) == (DECISION.output, None, None)


def test_disagreements_fail_through_the_check_while_the_result_stays_readable() -> None:
    network, result, error = run_verification(lambda kubeconfig: ("10.0.0.1", {}))
    assert network == DECISION.output and result is None
    assert error is not None and "kube-apiserver's default when --service-cluster-ip-range" in str(error)


def test_an_update_records_the_cluster_s_pod_cidrs_and_warns(caplog: pytest.LogCaptureFixture) -> None:
    live = {"worker-0": ["10.200.1.0/24"], "worker-1": ["10.200.0.0/24"]}
    network, result, error = run_verification(lambda kubeconfig: ("10.32.0.1", live))
    assert error is None and result is not None and registered_of(result) == ["worker-0", "worker-1"]
    assert {name: entry["podCidrs"] for name, entry in nodes_of(network).items()} == live
    (warning,) = [record for record in caplog.records if record.levelname == "WARNING"]
    assert warning.getMessage().startswith("the plan keeps the pod CIDRs the cluster's nodes carry")


def test_a_preview_records_the_state_s_plan_and_reads_nothing() -> None:
    def unreachable(kubeconfig: str) -> tuple[str | None, dict[str, list[str]]]:
        raise AssertionError("a preview must not contact the cluster")

    network, _, error = run_verification(unreachable, preview=True)
    assert network == DECISION.output and error is None


def test_a_config_the_cluster_contradicts_fails_and_records_nothing_before_a_first_deployment() -> None:
    network, result, error = run_verification(lambda kubeconfig: ("10.32.0.1", {"worker-0": ["10.9.0.0/24"]}))
    assert DECISION.last_output is None and network is None and result is None
    assert error is not None and "invalid config kthw:network.clusterCidr: 10.200.0.0/16 does not hold" in str(error)
