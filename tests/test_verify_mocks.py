"""verify when the cluster cannot be read, under Pulumi mocks: the update fails with why, and a config the state
refuses stays refused (the cluster did not settle it), in words without values for secret config."""

from __future__ import annotations

import pytest

from components.cluster.api import ClusterAccessError
from components.cluster.verify import VerificationError
from tests.helpers.mock_program import DEV_CONFIG, run_program

REASON = "cannot reach kube-apiserver at https://localhost:6443: connection refused"
"""What the cluster reader says when nothing listens on the tunnel's local port."""
UNREACHABLE = f"verify: {REASON}"
COULD_NOT_READ = (
    f"verify: the cluster could not be read ({REASON}), so the allocation the stack's state records stands (the "
    "network output is left as the last deployment recorded it), and it refuses the config:\n  ")


def unreachable(kubeconfig: str) -> dict[str, list[str]]:
    raise ClusterAccessError(REASON)


def test_an_unreachable_cluster_fails_the_update_with_why() -> None:
    with pytest.raises(VerificationError) as caught:
        run_program({**DEV_CONFIG, "verify": True}, list_nodes=unreachable)
    assert str(caught.value) == UNREACHABLE


@pytest.mark.parametrize(("secret_keys", "refusal"), [
    ((), "invalid config kthw:network.clusterCidr: changing it from 10.100.0.0/16 to 10.200.0.0/16 would move the pod "
         "CIDR of 2 deployed nodes (worker-0, worker-1), and Kubernetes never changes a node's podCIDR once set; "
         "expected a value whose ranges still hold every node's block (e.g. a range containing 10.100.0.0/16); to "
         "renumber, remove those nodes from the node list and deploy, then change network.clusterCidr and add them "
         "back"),
    (("nodes",), "invalid config kthw:network.clusterCidr: would move the pod CIDR of 2 deployed nodes (the values "
                 "come from secret config and are not shown)"),
])
def test_a_state_refusal_stands_when_the_cluster_cannot_be_read(secret_keys: tuple[str, ...], refusal: str) -> None:
    wrong = run_program({**DEV_CONFIG, "network": {"clusterCidr": "10.100.0.0/16", "serviceCidr": "10.32.0.0/24"}})
    with pytest.raises(VerificationError) as caught:
        run_program({**DEV_CONFIG, "verify": True}, last_outputs=wrong.outputs, list_nodes=unreachable,
                    secret_keys=secret_keys)
    assert str(caught.value) == COULD_NOT_READ + refusal


@pytest.mark.parametrize(("secret_keys", "message"), [
    ((), "verify: node worker-0 has a podCIDR that is not a CIDR"),
    (("nodes",), "verify: the values come from secret config and are not shown"),
])
def test_a_node_whose_pod_cidr_cannot_be_read_fails_the_update(secret_keys: tuple[str, ...], message: str) -> None:
    with pytest.raises(VerificationError) as caught:
        run_program({**DEV_CONFIG, "verify": True}, secret_keys=secret_keys,
                    list_nodes=lambda kubeconfig: {"worker-0": ["10.200.0.0/33"]})
    assert str(caught.value) == message
