"""The cluster, not the state, is the truth: the podCIDRs registered nodes carry are kept, whatever the state says,
and a config that contradicts them is refused naming the key."""

from __future__ import annotations

import dataclasses
import re

import pytest

from components.cluster.adoption import UnreadableNodeError, adopt_cluster_allocation
from components.cluster.verify import VerificationError, unread_cluster, verify_cluster
from components.config.errors import CollectedConfigError, ConfigError
from components.network.blocks import lenient_block
from components.network.decision import NetworkDecision, plan_from_state, state_refusal_warning
from components.network.output import network_output
from components.network.tables import nodes_of, routes_of
from tests.helpers.network_specs import (
    DUAL_CLUSTER,
    DUAL_SERVICE,
    cidrs,
    deployed,
    node,
    spec,
    valid_plan,
    workers,
)

SWAPPED = {"worker-0": ["10.200.1.0/24"], "worker-1": ["10.200.0.0/24"]}
"""What kube-controller-manager gave two nodes that registered in the other order."""


def test_a_lost_state_takes_the_cluster_s_blocks_and_says_which_nodes_differ() -> None:
    # The state was destroyed: the fresh plan hands out blocks in list order, the cluster says otherwise.
    fresh = valid_plan(spec(nodes=workers(2)))
    adoption = adopt_cluster_allocation(fresh, None, SWAPPED)
    assert adoption.plan.pod_cidrs == {"worker-0": ("10.200.1.0/24",), "worker-1": ("10.200.0.0/24",)}
    assert adoption.notice() == (
        "the plan keeps the pod CIDRs the cluster's nodes carry, which differ from the stack's state (Kubernetes "
        "never changes a node's podCIDR once set; the network output now records the cluster's): worker-0 "
        "10.200.1.0/24 (planned from the state: 10.200.0.0/24), worker-1 10.200.0.0/24 (planned from the state: "
        "10.200.1.0/24)"
    )


def test_the_cluster_wins_over_a_state_that_disagrees() -> None:
    # The state recorded list order (a deployment without verify after the state was lost); the cluster wins.
    first = valid_plan(spec(nodes=workers(3)))
    planned = valid_plan(first.spec, deployed(first))
    adoption = adopt_cluster_allocation(planned, deployed(first), SWAPPED)
    assert adoption.plan.pod_cidrs == {
        "worker-0": ("10.200.1.0/24",), "worker-1": ("10.200.0.0/24",), "worker-2": ("10.200.2.0/24",)}


def test_an_agreeing_cluster_changes_nothing_and_says_nothing() -> None:
    first = valid_plan(spec(nodes=workers(3)))
    live = {"worker-0": ["10.200.0.0/24"], "worker-1": [], "controller-0": []}
    adoption = adopt_cluster_allocation(valid_plan(first.spec, deployed(first)), deployed(first), live)
    assert adoption.plan.pod_cidrs == first.pod_cidrs
    assert adoption.notice() is None


def test_a_block_a_node_outside_the_list_carries_is_left_free() -> None:
    # range_allocator.go occupies every node's podCIDRs, listed here or not: the new node must not get worker-9's.
    fresh = valid_plan(spec(nodes=workers(2)))
    adoption = adopt_cluster_allocation(fresh, None, {"worker-0": ["10.200.0.0/24"], "worker-9": ["10.200.1.0/24"]})
    assert adoption.plan.pod_cidrs == {"worker-0": ("10.200.0.0/24",), "worker-1": ("10.200.2.0/24",)}
    assert adoption.notice() is not None and str(adoption.notice()).endswith(
        "worker-1 gets 10.200.2.0/24 (planned from the state: 10.200.1.0/24, which worker-9 carries in the cluster)")


def test_an_unregistered_node_of_the_state_moves_off_a_block_the_cluster_gave_another() -> None:
    # worker-2 never registered: the block the state gave it is worker-1's in the cluster, so worker-2 moves.
    first = valid_plan(spec(nodes=workers(3)))
    live = {"worker-0": ["10.200.0.0/24"], "worker-1": ["10.200.2.0/24"]}
    adoption = adopt_cluster_allocation(valid_plan(first.spec, deployed(first)), deployed(first), live)
    assert adoption.plan.pod_cidrs == {
        "worker-0": ("10.200.0.0/24",), "worker-1": ("10.200.2.0/24",), "worker-2": ("10.200.1.0/24",)}
    assert "worker-2 gets 10.200.1.0/24 (planned from the state: 10.200.2.0/24, which worker-1 carries" in str(
        adoption.notice())


def test_a_machine_listed_without_pods_keeps_its_cluster_block_out_of_the_plan() -> None:
    machines = (workers(1)[0]._replace(name="controller-0", runs_pods=False), node(1, "172.31.100.2"))
    fresh = valid_plan(spec(nodes=machines))
    adoption = adopt_cluster_allocation(fresh, None, {"controller-0": ["10.200.0.0/24"]})
    assert adoption.plan.pod_cidrs == {"controller-0": (), "worker-1": ("10.200.1.0/24",)}


def test_a_pin_the_cluster_agrees_with_is_kept_though_the_state_disagrees() -> None:
    # The cluster comes first: the state's older record does not refuse what the cluster confirms.
    first = valid_plan(spec(nodes=workers(2)))
    pinned = dataclasses.replace(first.spec, nodes=(node(0, "172.31.100.1", pin="10.200.1.0/24"),
                                                    node(1, "172.31.100.2")))
    # The plan made from the state would refuse the pin; the program stops there before verify runs, so this
    # case arises when the state was written by a deployment without verify, and the pin follows the cluster.
    adoption = adopt_cluster_allocation(dataclasses.replace(first, spec=pinned), deployed(first), SWAPPED)
    assert adoption.plan.pod_cidrs == {"worker-0": ("10.200.1.0/24",), "worker-1": ("10.200.0.0/24",)}


def test_a_pin_that_differs_from_the_node_s_cluster_block_is_refused() -> None:
    pinned = valid_plan(spec(nodes=(node(0, "172.31.100.1", pin="10.200.0.0/24"), node(1, "172.31.100.2"))))
    with pytest.raises(CollectedConfigError) as caught:
        adopt_cluster_allocation(pinned, None, SWAPPED)
    first, second = caught.value.errors
    assert (first.key, first.problem, first.accepted) == (
        "nodes[0].podCidr",
        "10.200.0.0/24 differs from 10.200.1.0/24, the podCIDR node 'worker-0' carries in the cluster, and a "
        "node's pod CIDR cannot change once assigned",
        "10.200.1.0/24, or no pin (the plan keeps the cluster's)",
    )
    assert (second.key, second.problem) == (
        "nodes[0].podCidr", "10.200.0.0/24 is the podCIDR node 'worker-1' carries in the cluster, and a node's pod "
        "CIDR cannot change once assigned")


def test_a_pin_on_the_block_of_a_node_outside_the_list_is_refused() -> None:
    pinned = valid_plan(spec(nodes=(node(0, "172.31.100.1", pin="10.200.5.0/24"),)))
    with pytest.raises(ConfigError) as caught:
        adopt_cluster_allocation(pinned, None, {"worker-9": ["10.200.5.0/24"]})
    assert caught.value.key == "nodes[0].podCidr"
    assert caught.value.problem.startswith("10.200.5.0/24 is the podCIDR node 'worker-9' carries in the cluster")


def test_a_cluster_range_that_does_not_hold_the_cluster_s_blocks_is_refused() -> None:
    # A fresh stack with another clusterCidr than kube-controller-manager's --cluster-cidr.
    other = valid_plan(spec("10.100.0.0/16", nodes=workers(2)))
    with pytest.raises(ConfigError) as caught:
        adopt_cluster_allocation(other, None, SWAPPED)
    assert caught.value.key == "network.clusterCidr"
    assert caught.value.problem == (
        "10.100.0.0/16 does not hold the podCIDRs that 2 nodes carry in the cluster (worker-0 10.200.1.0/24, "
        "worker-1 10.200.0.0/24), and Kubernetes never changes a node's podCIDR once set")
    assert caught.value.accepted.startswith("ranges that hold them: kube-controller-manager's --cluster-cidr; ")


def test_a_node_mask_other_than_the_cluster_s_is_refused_naming_it() -> None:
    other = valid_plan(spec(nodes=workers(1), mask4=24))
    with pytest.raises(ConfigError) as caught:
        adopt_cluster_allocation(other, None, {"worker-0": ["10.200.0.0/25"]})
    assert caught.value.key == "network.nodeCidrMaskSize"
    assert caught.value.problem.startswith("24 is not the size of the podCIDRs that 1 node carries in the cluster "
                                           "(worker-0 10.200.0.0/25)")
    assert caught.value.accepted.startswith("25, kube-controller-manager's node mask")


def test_a_block_of_another_size_outside_the_list_takes_every_block_it_overlaps() -> None:
    # cidr_set.go getBeginningAndEndIndices: a /25 inside the range occupies the /24 it lies in.
    fresh = valid_plan(spec(nodes=workers(1)))
    adoption = adopt_cluster_allocation(fresh, None, {"worker-9": ["10.200.0.128/25"]})
    assert adoption.plan.pod_cidrs == {"worker-0": ("10.200.1.0/24",)}


def test_a_block_that_holds_the_whole_range_leaves_no_block_and_says_so() -> None:
    # A node outside the list carries a block larger than the configured range: nothing is free.
    fresh = valid_plan(spec("10.200.1.0/24", nodes=workers(1), mask4=26))
    with pytest.raises(ConfigError) as caught:
        adopt_cluster_allocation(fresh, None, {"worker-9": ["10.200.0.0/23"]})
    assert caught.value.key == "network.clusterCidr"
    assert caught.value.problem.startswith("10.200.1.0/24 has no node block left for node 'worker-0'")


def test_podcidrs_in_another_family_order_than_the_ranges_are_refused() -> None:
    # range_allocator.go occupyCIDRs: podCIDRs[i] belongs to the i-th --cluster-cidr.
    fresh = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(1, "46")))
    with pytest.raises(ConfigError) as caught:
        adopt_cluster_allocation(fresh, None, {"worker-0": ["fd00:10:244:1::/64", "10.200.1.0/24"]})
    assert caught.value.key == "network.clusterCidr"
    assert caught.value.problem.startswith(
        "lists its ranges as IPv4,IPv6, but the podCIDRs that 1 node carries in the cluster (worker-0 "
        "fd00:10:244:1::/64,10.200.1.0/24) come in another order")


def test_a_pod_cidr_written_as_kube_apiserver_accepts_it_is_read_as_its_block() -> None:
    # netutils.ParseCIDRSloppy: host bits and any IPv6 spelling pass the API's validation.
    fresh = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(1, "46")))
    outcome = verify_cluster("10.32.0.1", {"worker-0": ["10.200.1.5/24", "fd00:10:244:1:0::/64"]},
                             NetworkDecision(fresh))
    assert outcome.problem is None
    assert nodes_of(outcome.network)["worker-0"]["podCidrs"] == ["10.200.1.0/24", "fd00:10:244:1::/64"]


def test_blocks_outside_every_range_of_nodes_outside_the_list_are_ignored() -> None:
    fresh = valid_plan(spec(nodes=workers(1)))
    assert adopt_cluster_allocation(fresh, None, {"other": ["10.99.0.0/24"]}).plan.pod_cidrs == fresh.pod_cidrs


def test_dual_stack_blocks_are_kept_per_family() -> None:
    fresh = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    live = {"worker-0": ["10.200.1.0/24", "fd00:10:244:1::/64"]}
    adoption = adopt_cluster_allocation(fresh, None, live)
    assert adoption.plan.pod_cidrs == {
        "worker-0": ("10.200.1.0/24", "fd00:10:244:1::/64"), "worker-1": ("10.200.0.0/24", "fd00:10:244::/64")}


def test_a_node_s_unreadable_pod_cidr_is_named() -> None:
    with pytest.raises(UnreadableNodeError, match="node worker-0 has a podCIDR that is not a CIDR"):
        adopt_cluster_allocation(valid_plan(spec(nodes=workers(1))), None, {"worker-0": ["garbage"]})


def test_two_nodes_carrying_one_pod_cidr_make_the_cluster_unreadable() -> None:
    # cidr_set.go Occupy: kube-controller-manager never gives a block twice; Node objects written by hand can.
    with pytest.raises(UnreadableNodeError, match=re.escape("nodes worker-0 and worker-1 both carry the podCIDR "
                                                            "10.200.1.0/24")):
        adopt_cluster_allocation(valid_plan(spec(nodes=workers(2))), None,
                                 {"worker-0": ["10.200.1.0/24"], "worker-1": ["10.200.1.7/24"]})


def test_an_unregistered_node_the_state_gave_one_family_gets_both_once_a_range_is_added() -> None:
    # The cluster is the truth: a node that never registered holds nothing, and will get a block of every range.
    first = valid_plan(spec(nodes=workers(2, "46")))
    dual = dataclasses.replace(first.spec, cluster_cidrs=cidrs(DUAL_CLUSTER), service_cidrs=cidrs(DUAL_SERVICE))
    planned = valid_plan(dual, deployed(first))
    adoption = adopt_cluster_allocation(planned, deployed(first), {"worker-0": ["10.200.0.0/24"]})
    assert adoption.plan.pod_cidrs == {"worker-0": ("10.200.0.0/24",),
                                       "worker-1": ("10.200.1.0/24", "fd00:10:244::/64")}


def test_a_short_pin_is_judged_by_what_the_node_carries_in_the_cluster() -> None:
    pinned = (node(0, "172.31.100.1,2001:db8::1", pin="10.200.4.0/24"), node(1, "172.31.100.2,2001:db8::2"))
    network = spec(DUAL_CLUSTER, DUAL_SERVICE, pinned)
    planned = plan_from_state(network, None, None, verify=True)  # the preview's plan: no record, no judgement
    carried = adopt_cluster_allocation(planned.plan, None, {"worker-0": ["10.200.4.0/24"]})
    assert carried.plan.pod_cidrs["worker-0"] == ("10.200.4.0/24",)
    with pytest.raises(ConfigError) as caught:
        adopt_cluster_allocation(planned.plan, None, {"worker-0": ["10.200.4.0/24", "fd00:10:244:4::/64"]})
    assert caught.value.problem.startswith("has 1 CIDR, but node 'worker-0' carries 2 podCIDRs in the cluster")
    with pytest.raises(ConfigError, match="has 1 CIDR for 2 cluster ranges"):
        adopt_cluster_allocation(planned.plan, None, {})


def test_a_machine_listed_without_pods_that_the_cluster_gave_a_block_settles_the_state_s_refusal() -> None:
    # The state refuses dropping worker-1's POD_SUBNET; the cluster says the node carries its block: it stays
    # reserved (no node gets it), and the machine runs no pods in the plan.
    first = valid_plan(spec(nodes=workers(3)))
    machines = (workers(3)[0], workers(3)[1]._replace(runs_pods=False), workers(3)[2])
    planned = plan_from_state(dataclasses.replace(first.spec, nodes=machines), deployed(first), network_output(first),
                              verify=True)
    assert [refusal.key for refusal in planned.state_refusals] == ["nodes[1].podCidr"]
    live = {"worker-0": ["10.200.0.0/24"], "worker-1": ["10.200.1.0/24"], "worker-2": ["10.200.2.0/24"]}
    outcome = verify_cluster("10.32.0.1", live, planned)
    assert outcome.problem is None
    assert nodes_of(outcome.network)["worker-1"]["podCidrs"] == []
    refused = verify_cluster("10.32.0.1", {"worker-0": ["10.200.0.0/24"]}, planned)
    assert "invalid config kthw:nodes[1].podCidr: is missing" in str(refused.problem)


# verify_cluster: what an update records and reports


def test_verify_records_the_adopted_plan_and_passes() -> None:
    fresh = valid_plan(spec(nodes=workers(2)))
    outcome = verify_cluster("10.32.0.1", SWAPPED, NetworkDecision(fresh))
    assert outcome.problem is None
    assert nodes_of(outcome.network)["worker-0"]["podCidrs"] == ["10.200.1.0/24"]
    assert routes_of(outcome.network)["worker-0"] == [{"destination": "10.200.1.0/24", "via": "172.31.100.1"}]
    assert outcome.result == {"kubernetesServiceIp": "10.32.0.1", "registeredNodeCount": 2,
                              "registeredNodeTable": "NAME\nworker-0\nworker-1\n"}
    assert outcome.notice is not None


def test_a_refused_config_keeps_the_recorded_network_and_lists_every_problem() -> None:
    # Recording a plan the cluster contradicts would make the next run refuse the fix.
    first = valid_plan(spec(nodes=workers(2)))
    other = valid_plan(spec("10.100.0.0/16", nodes=(node(0, "172.31.100.1", pin="10.100.0.0/24"),
                                                     node(1, "172.31.100.2"))))
    live = SWAPPED | {"worker-9": ["10.100.0.0/24"]}
    outcome = verify_cluster("10.32.0.1", live, NetworkDecision(other, deployed(first), network_output(first)))
    assert outcome.network == network_output(first) and outcome.result is None
    message = str(outcome.problem)
    assert message.startswith("verify: the config contradicts the podCIDRs the cluster's nodes carry")
    assert "\n  invalid config kthw:network.clusterCidr: 10.100.0.0/16 does not hold" in message
    assert "\n  invalid config kthw:nodes[0].podCidr: 10.100.0.0/24 is the podCIDR node 'worker-9' carries" in message


def test_a_machine_listed_without_pods_that_carries_a_pod_cidr_passes_verify() -> None:
    machines = (workers(1)[0]._replace(name="controller-0", runs_pods=False), node(1, "172.31.100.2"))
    outcome = verify_cluster("10.32.0.1", {"controller-0": ["10.200.0.0/24"]},
                             NetworkDecision(valid_plan(spec(nodes=machines))))
    assert outcome.problem is None


def test_a_single_stack_node_under_a_dual_stack_plan_keeps_exactly_its_one_block() -> None:
    # range_allocator.go AllocateOrOccupyCIDR: a node with podCIDRs is only occupied, never given more; and
    # ValidateNodeUpdate forbids changing their number. A new node still gets one block of each range.
    fresh = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    outcome = verify_cluster("10.32.0.1", {"worker-0": ["10.200.3.0/24"]}, NetworkDecision(fresh))
    assert outcome.problem is None
    assert nodes_of(outcome.network)["worker-0"]["podCidrs"] == ["10.200.3.0/24"]
    assert routes_of(outcome.network)["worker-0"] == [{"destination": "10.200.3.0/24", "via": "172.31.100.1"}]
    assert nodes_of(outcome.network)["worker-1"]["podCidrs"] == ["10.200.0.0/24", "fd00:10:244::/64"]
    assert outcome.notice is not None and "worker-0 10.200.3.0/24 (planned from the state: " in outcome.notice


def test_widening_the_range_around_the_cluster_s_blocks_is_fine() -> None:
    wider = valid_plan(spec(nodes=workers(2), cluster="10.200.0.0/15"))
    assert verify_cluster("10.32.0.1", SWAPPED, NetworkDecision(wider)).problem is None


def test_secret_nodes_are_counted_not_named_in_the_warning_and_the_refusal() -> None:
    # `pulumi config set --secret nodes ...`: names and blocks must not reach the update's log.
    fresh = valid_plan(spec(nodes=workers(2)))
    adopted = verify_cluster("10.32.0.1", SWAPPED, NetworkDecision(fresh), hide_values=True)
    assert adopted.notice is not None and adopted.notice.endswith(
        ": 2 nodes (not named: nodes or network is secret config)")
    assert "worker" not in adopted.notice and "10.200" not in adopted.notice
    other = valid_plan(spec("10.100.0.0/16", nodes=workers(2)))
    refused = verify_cluster("10.32.0.1", SWAPPED, NetworkDecision(other), hide_values=True)
    message = str(refused.problem)
    assert "invalid config kthw:network.clusterCidr: contradicts the cluster" in message
    assert "(the values come from secret config and are not shown)" in message
    assert "worker" not in message and "10.100" not in message and "10.200" not in message


def test_a_secret_disagreement_is_described_without_its_values() -> None:
    fresh = valid_plan(spec(nodes=workers(2)))
    outcome = verify_cluster("10.0.0.1", {}, NetworkDecision(fresh), hide_values=True)
    message = str(outcome.problem)
    assert message.startswith("verify: the cluster disagrees with the plan (the values come from secret config")
    assert "10.0.0.1" not in message and "10.32" not in message


# A state that disagrees with the config: with verify, the cluster decides


def _state_at(cluster: str) -> tuple[NetworkDecision, NetworkDecision]:
    """A state recorded in node-list order under ``cluster`` (a deployment without verify), and the plan made from
    it with verify for the dev range 10.200.0.0/16."""
    first = valid_plan(spec(cluster, nodes=workers(2)))
    return NetworkDecision(first), plan_from_state(spec(nodes=workers(2)), deployed(first), network_output(first),
                                                  verify=True)


def test_without_verify_the_state_refuses_the_config() -> None:
    first = valid_plan(spec("10.100.0.0/16", nodes=workers(2)))
    with pytest.raises(ConfigError, match=re.escape("changing it from 10.100.0.0/16 to 10.200.0.0/16")):
        plan_from_state(spec(nodes=workers(2)), deployed(first), network_output(first), verify=False)


def test_with_verify_the_state_s_refusal_waits_for_the_cluster() -> None:
    _, planned = _state_at("10.100.0.0/16")
    assert [refusal.key for refusal in planned.state_refusals] == ["network.clusterCidr"]
    assert planned.plan.pod_cidrs == {"worker-0": ("10.200.0.0/24",), "worker-1": ("10.200.1.0/24",)}
    assert state_refusal_warning(planned.state_refusals).startswith(
        "the config contradicts the pod CIDRs the stack's state records (network.clusterCidr); with verify, ")


def test_a_cluster_that_settles_the_state_s_refusal_wins() -> None:
    # The state was recorded with a wrong clusterCidr; the config now has the cluster's, and the nodes carry it.
    _, planned = _state_at("10.100.0.0/16")
    outcome = verify_cluster("10.32.0.1", SWAPPED, planned)
    assert outcome.problem is None
    assert nodes_of(outcome.network)["worker-0"]["podCidrs"] == ["10.200.1.0/24"]


def test_a_state_s_refusal_the_cluster_does_not_settle_stands() -> None:
    # worker-1 never registered: the state's refusal for it stands, and nothing new is recorded.
    state, planned = _state_at("10.100.0.0/16")
    outcome = verify_cluster("10.32.0.1", {"worker-0": ["10.200.1.0/24"]}, planned)
    assert outcome.network == state.output
    assert "invalid config kthw:network.clusterCidr: changing it from 10.100.0.0/16 to 10.200.0.0/16 would move the " \
           "pod CIDR of 1 deployed node (worker-1)" in str(outcome.problem)


def test_an_unread_cluster_leaves_the_state_s_refusal_standing() -> None:
    state, planned = _state_at("10.100.0.0/16")
    outcome = unread_cluster(planned, VerificationError("verify: nothing answers at https://localhost:6443"))
    assert outcome.network == state.output
    message = str(outcome.problem)
    assert message.startswith("verify: the cluster could not be read (nothing answers at https://localhost:6443), "
                              "so the allocation the stack's state records stands")
    assert "\n  invalid config kthw:network.clusterCidr: changing it from 10.100.0.0/16" in message
    assert unread_cluster(planned, None).problem is not None  # the tunnel did not open: refused all the same
    assert unread_cluster(NetworkDecision(state.plan), None) == (state.output, None, None, None)


@pytest.mark.parametrize(("text", "block"), [
    ("10.200.1.0/24", "10.200.1.0/24"),
    ("10.200.1.5/24", "10.200.1.0/24"),
    ("fd00:10:244:1:0::/64", "fd00:10:244:1::/64"),
    ("FD00:10:244:1::7/64", "fd00:10:244:1::/64"),
    ("10.200.1.0/33", None),
    ("10.200.1.0", None),
    ("10.200.1.0/", None),
    ("garbage/24", None),
    ("/24", None),
])
def test_pod_cidrs_read_as_kube_apiserver_accepts_them(text: str, block: str | None) -> None:
    parsed = lenient_block(text)
    assert (parsed.text if parsed else None) == block
