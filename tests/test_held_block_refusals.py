"""The whole messages of a config that would move a block a node holds (by the last deployment's record, or as the
cluster's Node objects carry it): what is wrong, what to do, and, for secret config, the same without values."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import pytest

from components.cluster.adoption import adopt_cluster_allocation
from components.cluster.verify import verify_cluster
from components.config.errors import AnyConfigError
from components.config.shown import SECRET_VALUES
from components.network.allocation import plan_network
from components.network.decision import NetworkDecision
from components.network.model import NodeSpec
from tests.helpers.network_specs import DUAL_CLUSTER, DUAL_SERVICE, deployed, node, spec, valid_plan, workers

HIDDEN = f"({SECRET_VALUES})"
KEEP_OR_RENUMBER = ("to renumber, remove those nodes from the node list and deploy, then change {key} and add them "
                    "back")
NEVER_CHANGES = "and Kubernetes never changes a node's podCIDR once set"
CANNOT_CHANGE = "and a node's pod CIDR cannot change once assigned"
REREGISTER = "a node gets another podCIDR only by being deleted from the cluster and registering again"


def refusals(refuse: Callable[[], object]) -> list[tuple[str, str]]:
    """(plain, secret) message of every problem ``refuse`` raises."""
    with pytest.raises(AnyConfigError) as caught:
        refuse()
    return [(error.text(False), error.text(True)) for error in caught.value.errors]


def against_state(before: Sequence[NodeSpec], after: Sequence[NodeSpec], cluster: str = "10.200.0.0/16",
                  ) -> Callable[[], object]:
    """Plan the nodes ``after`` in ``cluster`` against the state a deployment of ``before`` recorded."""
    first = valid_plan(spec(nodes=before))
    return lambda: plan_network(spec(cluster, nodes=after), deployed(first))


def against_cluster(cluster: str, nodes: Sequence[NodeSpec], carried: Mapping[str, list[str]],
                    ) -> Callable[[], object]:
    """Adopt what the cluster's nodes carry into a fresh plan of ``nodes`` in ``cluster``."""
    service = DUAL_SERVICE if "," in cluster else "10.32.0.0/24"
    fresh = valid_plan(spec(cluster, service, nodes))
    return lambda: adopt_cluster_allocation(fresh, None, carried)


PINNED_0 = (node(0, "172.31.100.1", pin="10.200.1.0/24"), node(1, "172.31.100.2"))
SWAPPED = {"worker-0": ["10.200.1.0/24"], "worker-1": ["10.200.0.0/24"]}


def test_a_pin_that_moves_a_deployed_node_and_takes_another_s_block() -> None:
    assert refusals(against_state(workers(2), PINNED_0)) == [
        ("invalid config kthw:nodes[0].podCidr: 10.200.1.0/24 differs from 10.200.0.0/24, which the last deployment "
         f"gave node 'worker-0', {CANNOT_CHANGE}; expected 10.200.0.0/24, or remove the node, deploy, and add it back",
         f"invalid config kthw:nodes[0].podCidr: would move the pod CIDR the last deployment gave the node {HIDDEN}"),
        ("invalid config kthw:nodes[0].podCidr: 10.200.1.0/24 is already assigned to node 'worker-1' by the last "
         f"deployment, {CANNOT_CHANGE}; expected a free block, or remove that node first",
         f"invalid config kthw:nodes[0].podCidr: pins a block the last deployment gave another node {HIDDEN}"),
    ]


def test_a_cluster_range_that_moves_deployed_nodes_names_five_and_counts_the_rest() -> None:
    key = "network.clusterCidr"
    assert refusals(against_state(workers(7), workers(7), cluster="10.100.0.0/16")) == [(
        f"invalid config kthw:{key}: changing it from 10.200.0.0/16 to 10.100.0.0/16 would move the pod CIDR of 7 "
        f"deployed nodes (worker-0, worker-1, worker-2, worker-3, worker-4 and 2 more), {NEVER_CHANGES}; expected a "
        "value whose ranges still hold every node's block (e.g. a range containing 10.200.0.0/16); "
        + KEEP_OR_RENUMBER.format(key=key),
        f"invalid config kthw:{key}: would move the pod CIDR of 7 deployed nodes {HIDDEN}",
    )]


@pytest.mark.parametrize(("cluster", "changes", "key", "before", "after"), [
    ("10.200.0.0/16", {"mask4": 25}, "network.nodeCidrMaskSize", 24, 25),
    (DUAL_CLUSTER, {"mask6": 65}, "network.nodeCidrMaskSizeIpv6", 64, 65),
])
def test_a_node_mask_that_moves_a_deployed_node(cluster: str, changes: dict[str, int], key: str, before: int,
                                                after: int) -> None:
    families = "46" if "," in cluster else "4"
    service = DUAL_SERVICE if "," in cluster else "10.32.0.0/24"
    first = valid_plan(spec(cluster, service, workers(1, families)))
    assert refusals(lambda: plan_network(spec(cluster, service, workers(1, families), **changes),
                                         deployed(first))) == [(
        f"invalid config kthw:{key}: changing it from {before} to {after} would move the pod CIDR of 1 deployed node "
        f"(worker-0), {NEVER_CHANGES}; expected {before}, the mask the nodes' blocks have; "
        + KEEP_OR_RENUMBER.format(key=key),
        f"invalid config kthw:{key}: would move the pod CIDR of 1 deployed node {HIDDEN}",
    )]


def test_a_pin_that_moves_a_registered_node_and_takes_another_s_podcidr() -> None:
    pinned = (node(0, "172.31.100.1", pin="10.200.0.0/24"), node(1, "172.31.100.2"))
    assert refusals(against_cluster("10.200.0.0/16", pinned, SWAPPED)) == [
        ("invalid config kthw:nodes[0].podCidr: 10.200.0.0/24 differs from 10.200.1.0/24, the podCIDR node 'worker-0' "
         f"carries in the cluster, {CANNOT_CHANGE}; expected 10.200.1.0/24, or no pin (the plan keeps the cluster's)",
         "invalid config kthw:nodes[0].podCidr: contradicts the cluster: it differs from the podCIDR the node carries "
         + HIDDEN),
        ("invalid config kthw:nodes[0].podCidr: 10.200.0.0/24 is the podCIDR node 'worker-1' carries in the cluster, "
         f"{CANNOT_CHANGE}; expected a block no node of the cluster carries",
         f"invalid config kthw:nodes[0].podCidr: contradicts the cluster: another node carries the block {HIDDEN}"),
    ]


def test_a_cluster_range_that_does_not_hold_what_registered_nodes_carry() -> None:
    assert refusals(against_cluster("10.100.0.0/16", workers(2), SWAPPED)) == [(
        "invalid config kthw:network.clusterCidr: 10.100.0.0/16 does not hold the podCIDRs that 2 nodes carry in the "
        f"cluster (worker-0 10.200.1.0/24, worker-1 10.200.0.0/24), {NEVER_CHANGES}; expected ranges that hold them: "
        f"kube-controller-manager's --cluster-cidr; {REREGISTER}",
        "invalid config kthw:network.clusterCidr: contradicts the cluster: it does not hold the podCIDRs the cluster's "
        f"nodes carry {HIDDEN}",
    )]


@pytest.mark.parametrize(("carried", "accepted"), [
    ({"worker-0": ["10.200.0.0/25"]}, "25, kube-controller-manager's node mask"),
    ({"worker-0": ["10.200.0.0/25"], "worker-1": ["10.200.2.0/23"]}, "the cluster's node mask"),
])
def test_a_node_mask_other_than_the_registered_nodes_podcidrs(carried: dict[str, list[str]], accepted: str) -> None:
    names = ", ".join(f"{name} {blocks[0]}" for name, blocks in carried.items())
    count = "1 node carries" if len(carried) == 1 else f"{len(carried)} nodes carry"
    assert refusals(against_cluster("10.200.0.0/16", workers(len(carried)), carried)) == [(
        f"invalid config kthw:network.nodeCidrMaskSize: 24 is not the size of the podCIDRs that {count} in the "
        f"cluster ({names}), {NEVER_CHANGES}; expected {accepted}; {REREGISTER}",
        "invalid config kthw:network.nodeCidrMaskSize: contradicts the cluster: it does not hold the podCIDRs the "
        f"cluster's nodes carry {HIDDEN}",
    )]


def test_podcidrs_in_another_family_order_than_the_cluster_ranges() -> None:
    carried = {"worker-0": ["fd00:10:244:1::/64", "10.200.1.0/24"]}
    assert refusals(against_cluster(DUAL_CLUSTER, workers(1, "46"), carried)) == [(
        "invalid config kthw:network.clusterCidr: lists its ranges as IPv4,IPv6, but the podCIDRs that 1 node carries "
        "in the cluster (worker-0 fd00:10:244:1::/64,10.200.1.0/24) come in another order, and "
        "kube-controller-manager matches a node's podCIDRs to --cluster-cidr by position; expected the ranges in the "
        "order of the nodes' podCIDRs (kube-controller-manager's --cluster-cidr)",
        "invalid config kthw:network.clusterCidr: contradicts the cluster: its families come in another order than "
        f"the nodes' podCIDRs {HIDDEN}",
    )]


KEPT = ("the plan keeps the pod CIDRs the cluster's nodes carry, which differ from the stack's state (Kubernetes "
        "never changes a node's podCIDR once set; the network output now records the cluster's): ")


def test_the_warning_of_a_dual_stack_adoption_names_each_node_and_who_carries_its_old_blocks() -> None:
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(3, "46")))
    planned = valid_plan(first.spec, deployed(first))
    registered = {"worker-0": ["10.200.5.0/24", "fd00:10:244:5::/64"], "worker-1": list(first.pod_cidrs["worker-1"])}
    two_holders = {**registered, "worker-9": ["10.200.2.0/24"], "worker-8": ["fd00:10:244:2::/64"]}
    assert adopt_cluster_allocation(planned, deployed(first), two_holders).notice() == KEPT + (
        "worker-0 10.200.5.0/24,fd00:10:244:5::/64 (planned from the state: 10.200.0.0/24,fd00:10:244::/64), "
        "worker-2 gets 10.200.0.0/24,fd00:10:244::/64 (planned from the state: 10.200.2.0/24,fd00:10:244:2::/64, "
        "which worker-8 and worker-9 carry in the cluster)")
    one_holder = {"worker-0": list(first.pod_cidrs["worker-0"]), "worker-1": list(first.pod_cidrs["worker-1"]),
                  "worker-9": ["10.200.2.0/24"]}
    assert adopt_cluster_allocation(planned, deployed(first), one_holder).notice() == KEPT + (
        "worker-2 gets 10.200.3.0/24,fd00:10:244:2::/64 (planned from the state: 10.200.2.0/24,fd00:10:244:2::/64, "
        "which worker-9 carries in the cluster)")


def test_the_secret_warning_counts_one_node_in_the_singular() -> None:
    outcome = verify_cluster("10.32.0.1", {"worker-0": ["10.200.1.0/24"]},
                             NetworkDecision(valid_plan(spec(nodes=workers(1)))), hide_values=True)
    assert outcome.notice == KEPT + "1 node (not named: nodes or network is secret config)"
