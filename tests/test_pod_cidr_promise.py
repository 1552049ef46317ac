"""A node's pod CIDR never moves: changes of the cluster range, node mask or family order on a deployed stack, a
range of a second family added, machines listed without pods, blocks handed on in one update, and reading the last
deployment's allocation back."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pytest

from components.config.errors import CollectedConfigError, ConfigError
from components.network.assigned_blocks import handed_on, handover_warnings
from components.network.decision import plan_from_state
from components.network.last_deployment import LastDeploymentError, SharedBlockError, read_last_deployment
from components.network.model import NetworkPlan, NodesFile, NodeSpec
from components.network.output import network_output
from components.network.tables import nodes_of, routes_of
from tests.helpers.mock_program import DEV_CONFIG, run_program
from tests.helpers.network_specs import (
    DUAL_CLUSTER,
    DUAL_SERVICE,
    cidrs,
    deployed,
    node,
    renumber,
    spec,
    valid_plan,
    workers,
)


def test_widening_the_cluster_range_keeps_every_block() -> None:
    # cidr_set.go getIndexForIP: a block keeps its place in any range that holds it with the same node mask.
    first = valid_plan(spec(nodes=workers(3)))
    for wider in ("10.200.0.0/15", "10.0.0.0/8"):
        widened = dataclasses.replace(first.spec, cluster_cidrs=cidrs(wider), service_cidrs=cidrs("192.168.0.0/24"))
        assert valid_plan(widened, deployed(first)).pod_cidrs == first.pod_cidrs


def test_narrowing_that_still_holds_every_block_is_fine() -> None:
    # ValidateNodeUpdate only forbids a change of podCIDR; a smaller range that holds every block changes none.
    first = valid_plan(spec(nodes=workers(3)))
    narrowed = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.200.0.0/20"))
    assert valid_plan(narrowed, deployed(first)).pod_cidrs == first.pod_cidrs


def test_moving_the_cluster_range_is_refused_naming_the_nodes() -> None:
    # kubernetes/kubernetes#70957: a new --cluster-cidr under deployed nodes gives overlapping allocations.
    first = valid_plan(spec(nodes=workers(2)))
    moved = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.201.0.0/16"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(moved, deployed(first))
    assert caught.value.key == "network.clusterCidr"
    assert caught.value.problem == (
        "changing it from 10.200.0.0/16 to 10.201.0.0/16 would move the pod CIDR of 2 deployed nodes (worker-0, "
        "worker-1), and Kubernetes never changes a node's podCIDR once set"
    )
    assert "a range containing 10.200.0.0/16" in caught.value.accepted
    assert "remove those nodes from the node list and deploy, then change network.clusterCidr" in caught.value.accepted


def test_a_new_node_mask_is_refused() -> None:
    # pkg/apis/core/validation ValidateNodeUpdate: a /24 podCIDR cannot become a /25.
    first = valid_plan(spec(nodes=workers(1)))
    with pytest.raises(ConfigError) as caught:
        valid_plan(dataclasses.replace(first.spec, node_cidr_mask_size=25), deployed(first))
    assert caught.value.key == "network.nodeCidrMaskSize"
    assert caught.value.problem.startswith("changing it from 24 to 25 would move the pod CIDR of 1 deployed node ")
    assert caught.value.accepted.startswith("24, the mask the nodes' blocks have")


def test_ipv6_mask_and_ipv4_range_changed_together_are_both_reported() -> None:
    # Every problem at once: each key that would move nodes is named.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    changed = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.100.0.0/16,fd00:10:244::/56"),
                                  node_cidr_mask_size_ipv6=72)
    with pytest.raises(CollectedConfigError) as caught:
        valid_plan(changed, deployed(first))
    assert [error.key for error in caught.value.errors] == ["network.clusterCidr", "network.nodeCidrMaskSizeIpv6"]


def test_dropping_a_family_is_refused() -> None:
    # ValidateNodeUpdate: the podCIDRs list cannot shrink either.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    single = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.200.0.0/16"), service_cidrs=cidrs("10.32.0.0/24"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(single, deployed(first))
    assert caught.value.key == "network.clusterCidr"
    assert "from 10.200.0.0/16,fd00:10:244::/56 to 10.200.0.0/16" in caught.value.problem


def test_removed_nodes_do_not_stop_a_change() -> None:
    # Only deployed nodes that stay in the list can move; the documented way to renumber is to remove them first.
    first = valid_plan(spec(nodes=workers(2)))
    a = first.spec.nodes[0]
    renumbered = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.201.0.0/16"),
                                     nodes=(a._replace(name="worker-9"),))
    assert valid_plan(renumbered, deployed(first)).pod_cidrs == {"worker-9": ("10.201.0.0/24",)}


def test_many_affected_nodes_are_counted_not_listed() -> None:
    # A message of 5,000 node names would bury the point.
    first = valid_plan(spec(nodes=workers(40)))
    with pytest.raises(ConfigError) as caught:
        valid_plan(dataclasses.replace(first.spec, node_cidr_mask_size=23), deployed(first))
    assert "40 deployed nodes (worker-0, worker-1, worker-2, worker-3, worker-4 and 35 more)" in caught.value.problem


# Reading the last deployment back

GOOD = {"clusterCidrs": ["10.200.0.0/16"], "nodeCidrMaskSizes": [24],
        "nodes": {"worker-0": {"address": "172.31.101.60", "podCidrs": ["10.200.0.0/24"]}}}


def test_no_output_means_no_previous_deployment() -> None:
    # The first deployment of a stack has no outputs.
    assert read_last_deployment(None) is None


def test_numbers_read_back_as_floats_are_accepted() -> None:
    # The engine hands numbers back through protobuf's Struct: 24 arrives as 24.0.
    previous = read_last_deployment({**GOOD, "nodeCidrMaskSizes": [24.0]})
    assert previous is not None and previous.node_masks == (24,)


def _with(**changes: Any) -> dict[str, Any]:
    return {**GOOD, **changes}


@pytest.mark.parametrize(("output", "detail"), [
    ("text", "it is not an object"),
    ([], "it is not an object"),
    ({}, "clusterCidrs is not a list"),
    (_with(clusterCidrs=["10.200.0.1/16"]), "clusterCidrs[0] has host bits set"),
    (_with(nodeCidrMaskSizes=[24, 64]), "nodeCidrMaskSizes does not hold one integer per cluster range"),
    (_with(nodeCidrMaskSizes=[24.5]), "nodeCidrMaskSizes does not hold one integer per cluster range"),
    (_with(nodes=None), "it has neither nodeTable nor a nodes object"),
    (_with(nodes={"worker-0": "10.200.0.0/24"}), "nodes.worker-0 is not an object"),
    (_with(nodes={"worker-0": {"podCidrs": "10.200.0.0/24"}}), "nodes.worker-0.podCidrs is not a list"),
    (_with(nodes={"worker-0": {"podCidrs": ["nonsense"]}}), "nodes.worker-0.podCidrs[0] is not a CIDR"),
    (_with(nodes={"worker-0": {"podCidrs": ["10.200.0.0/33"]}}), "nodes.worker-0.podCidrs[0] has an invalid prefix"),
    (_with(nodes={"w" * 300: {}}), "nodes.<a 300-character name>.podCidrs is not a list"),
])
def test_an_unreadable_output_stops_the_plan(output: object, detail: str) -> None:
    # An output that exists but cannot be read must never count as a first deployment: every node would move.
    with pytest.raises(LastDeploymentError) as caught:
        read_last_deployment(output)
    assert caught.value.detail.startswith(detail)
    assert "pulumi stack export" in str(caught.value)


def test_the_program_stops_on_an_unreadable_previous_output() -> None:
    # The whole program under mocks: a clear RunError, no resource registered.
    with pytest.raises(pulumi.RunError, match="previous network output cannot be read"):
        run_program(DEV_CONFIG, last_outputs={"network": {"nodes": "garbage"}})


def test_the_program_refuses_a_moving_cluster_range() -> None:
    # The whole program under mocks, deployed first, then with another cluster range.
    first = run_program(DEV_CONFIG)
    moved = {**DEV_CONFIG, "network": {"clusterCidr": "10.100.0.0/16", "serviceCidr": "10.32.0.0/24"}}
    with pytest.raises(pulumi.RunError, match=r"kthw:network\.clusterCidr: changing it from 10\.200\.0\.0/16"):
        run_program(moved, last_outputs=first.outputs)


def test_a_dual_stack_node_moved_in_both_families_is_counted_once() -> None:
    # One node, two blocks: "1 deployed node", not two.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(1, "46")))
    moved = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.100.0.0/16,fd00:10:245::/56"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(moved, deployed(first))
    assert "would move the pod CIDR of 1 deployed node (worker-0)" in caught.value.problem


# A range of a second family added to a deployed cluster


def _deployed_then_dual(extra: int = 1) -> tuple[NetworkPlan, NetworkPlan]:
    """Two dual-address workers deployed single-stack, then the IPv6 range added and ``extra`` new workers."""
    first = valid_plan(spec(nodes=workers(2, "46")))
    dual = dataclasses.replace(first.spec, cluster_cidrs=cidrs(DUAL_CLUSTER), service_cidrs=cidrs(DUAL_SERVICE),
                               nodes=workers(2 + extra, "46"))
    return first, valid_plan(dual, deployed(first))


def test_a_deployed_node_gets_no_block_of_an_added_family_and_a_new_node_one_of_each() -> None:
    # range_allocator.go AllocateOrOccupyCIDR: a node with podCIDRs is only occupied; ValidateNodeUpdate: their
    # number never changes. The allocator gives a node registering now one block of every range.
    _, second = _deployed_then_dual()
    assert second.pod_cidrs == {
        "worker-0": ("10.200.0.0/24",),
        "worker-1": ("10.200.1.0/24",),
        "worker-2": ("10.200.2.0/24", "fd00:10:244::/64"),
    }
    output = network_output(second)
    assert nodes_of(output)["worker-0"]["podCidrs"] == ["10.200.0.0/24"]
    assert routes_of(output)["worker-0"] == [{"destination": "10.200.0.0/24", "via": "172.31.100.1"}]
    assert routes_of(output)["worker-2"] == [{"destination": "10.200.2.0/24", "via": "172.31.100.3"},
                                            {"destination": "fd00:10:244::/64", "via": "2001:db8::3"}]


def test_a_deployed_node_keeps_its_one_block_on_every_later_deployment() -> None:
    _, second = _deployed_then_dual()
    assert valid_plan(second.spec, deployed(second)).pod_cidrs == second.pod_cidrs


def test_a_deployed_node_may_pin_the_one_block_it_holds() -> None:
    # The tutorial's machines.txt pins every node: after the range is added, POD_SUBNET stays the one block.
    first, second = _deployed_then_dual()
    pinned = node(0, "172.31.100.1,2001:db8::1", pin="10.200.0.0/24")
    spec_pinned = dataclasses.replace(second.spec, nodes=(pinned, *second.spec.nodes[1:]))
    assert valid_plan(spec_pinned, deployed(first)).pod_cidrs["worker-0"] == ("10.200.0.0/24",)


def test_a_deployed_node_pinning_a_block_of_the_added_family_is_refused() -> None:
    first, second = _deployed_then_dual()
    pinned = node(0, "172.31.100.1,2001:db8::1", pin="10.200.0.0/24,fd00:10:244:5::/64")
    with pytest.raises(ConfigError) as caught:
        valid_plan(dataclasses.replace(second.spec, nodes=(pinned, *second.spec.nodes[1:])), deployed(first))
    assert (caught.value.key, caught.value.problem) == (
        "nodes[0].podCidr",
        "has 2 CIDRs, but the last deployment gave node 'worker-0' 1 block (10.200.0.0/24), and Kubernetes never "
        "adds a podCIDR to a node nor takes one away")
    assert caught.value.accepted.startswith("10.200.0.0/24, what the node holds; to give it a block of every range, "
                                            "remove it from the node list and deploy, delete it from the cluster")


def test_a_new_node_pinning_fewer_blocks_than_the_ranges_is_refused() -> None:
    # kube-controller-manager allocates a block of every range to a node that has none.
    new = node(2, "172.31.100.3,2001:db8::3", pin="10.200.7.0/24")
    first, second = _deployed_then_dual()
    with pytest.raises(ConfigError) as caught:
        valid_plan(dataclasses.replace(second.spec, nodes=(*second.spec.nodes[:2], new)), deployed(first))
    assert caught.value.key == "nodes[2].podCidr"
    assert caught.value.problem.startswith("has 1 CIDR for 2 cluster ranges, and a node that holds no pod CIDR yet "
                                           "gets one of every range")


def test_a_short_pin_without_any_deployment_is_refused() -> None:
    with pytest.raises(ConfigError, match="has 1 CIDR for 2 cluster ranges"):
        valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.100.1", pin="10.200.0.0/24")]))


def test_an_added_family_listed_first_is_refused_as_a_reordering() -> None:
    # range_allocator.go occupyCIDRs: podCIDRs[0] goes to the first --cluster-cidr; an IPv4 block in an IPv6
    # cidrSet is "out of range", and the controller manager stops.
    first = valid_plan(spec(nodes=workers(2, "46")))
    flipped = dataclasses.replace(first.spec, cluster_cidrs=cidrs("fd00:10:244::/56,10.200.0.0/16"),
                                  service_cidrs=cidrs("fd00:10:96::/112,10.32.0.0/24"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(flipped, deployed(first))
    assert caught.value.key == "network.clusterCidr"
    assert caught.value.problem.startswith("lists its ranges as IPv6,IPv4, but the last deployment gave 2 deployed "
                                           "nodes (worker-0, worker-1) their pod CIDRs in the order IPv4")


# Reordering the families of clusterCidr


def test_reordering_the_families_is_refused_from_the_last_deployment() -> None:
    # kube-controller-manager matches a node's podCIDRs to --cluster-cidr by position (range_allocator.go
    # occupyCIDRs), and ValidateNodeUpdate forbids reordering the podCIDRs themselves.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    flipped = dataclasses.replace(first.spec, cluster_cidrs=cidrs("fd00:10:244::/56,10.200.0.0/16"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(flipped, deployed(first))
    assert (caught.value.key, caught.value.problem, caught.value.accepted) == (
        "network.clusterCidr",
        "lists its ranges as IPv6,IPv4, but the last deployment gave 2 deployed nodes (worker-0, worker-1) their pod "
        "CIDRs in the order IPv4,IPv6, and kube-controller-manager matches a node's podCIDRs to --cluster-cidr by "
        "position",
        "the ranges in the order IPv4,IPv6, a range of a new family after them",
    )
    assert caught.value.text(hide_values=True) == (
        "invalid config kthw:network.clusterCidr: lists its IP families in another order than the pod CIDRs of "
        "deployed nodes (the values come from secret config and are not shown)")


def test_reordering_after_every_deployed_node_is_gone_is_fine() -> None:
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    fresh = node(0, "172.31.100.9,2001:db8::9", name="worker-9")
    flipped = dataclasses.replace(first.spec, cluster_cidrs=cidrs("fd00:10:244::/56,10.200.0.0/16"), nodes=(fresh,))
    assert valid_plan(flipped, deployed(first)).pod_cidrs == {"worker-9": ("fd00:10:244::/64", "10.200.0.0/24")}


# A recorded state that gives one block to two nodes


def test_a_state_giving_one_block_to_two_nodes_is_refused() -> None:
    # cidr_set.go Occupy marks a block used once; kube-controller-manager never gives it to a second node.
    output = {**GOOD, "nodes": {"worker-0": {"podCidrs": ["10.200.0.0/24"]},
                                "worker-1": {"podCidrs": ["10.200.1.0/24"]},
                                "worker-2": {"podCidrs": ["10.200.0.0/24"]}}}
    with pytest.raises(SharedBlockError) as caught:
        read_last_deployment(output)
    assert caught.value.detail == ("nodes.worker-0.podCidrs[0] and nodes.worker-2.podCidrs[0] are both "
                                   "10.200.0.0/24")
    assert str(caught.value).startswith("the stack's previous network output gives one pod CIDR to two nodes")
    assert "kubectl get nodes -o custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs" in str(caught.value)


def test_a_shared_block_of_a_secret_node_list_is_told_by_position() -> None:
    output = {**GOOD, "nodes": {"secret-a": {"podCidrs": ["10.200.0.0/24"]},
                                "secret-b": {"podCidrs": ["10.200.0.0/24"]}}}
    with pytest.raises(SharedBlockError) as caught:
        read_last_deployment(output, hide_names=True)
    assert caught.value.detail == "nodes.<node 1>.podCidrs[0] and nodes.<node 2>.podCidrs[0]"
    assert "secret" not in str(caught.value) and "10.200" not in str(caught.value)


def test_an_unreadable_output_of_a_secret_node_list_names_no_node() -> None:
    with pytest.raises(LastDeploymentError) as caught:
        read_last_deployment({**GOOD, "nodes": {"a": {"podCidrs": []}, "secret-b": "x"}}, hide_names=True)
    assert caught.value.detail == "nodes.<node 2> is not an object"


# A machines.txt line without POD_SUBNET for a deployed node


def _machine(position: int, address: str, line: int, pin: str = "") -> NodeSpec:
    """A machines.txt line: a pod node with POD_SUBNET ``pin``, or without it a machine that runs no pods."""
    machine = node(position, address, pin=pin)
    return machine._replace(source=NodesFile("machines.txt", machines_txt=True), line=line, runs_pods=bool(pin))


def test_a_deployed_node_listed_without_pod_subnet_is_refused_naming_the_line_and_block() -> None:
    # ValidateNodeUpdate: the node keeps its podCIDR in the cluster; dropping it from the plan drops its route and
    # frees its block for another node.
    first = valid_plan(spec(nodes=workers(2)))
    machines = (_machine(0, "172.31.100.1", 1, "10.200.0.0/24"), _machine(1, "172.31.100.2", 2))
    with pytest.raises(ConfigError) as caught:
        valid_plan(dataclasses.replace(first.spec, nodes=machines), deployed(first))
    assert caught.value.key == "nodesFile (machines.txt:2, POD_SUBNET)"
    assert caught.value.problem.startswith("is missing, which makes 'worker-1' a machine that runs no pods, but the "
                                           "last deployment gave it 10.200.1.0/24")
    assert caught.value.accepted.startswith("POD_SUBNET 10.200.1.0/24 on that line")


def test_a_machine_the_last_deployment_gave_no_block_may_stay_without_pod_subnet() -> None:
    first = valid_plan(spec(nodes=(_machine(0, "172.31.100.1", 1), _machine(1, "172.31.100.2", 2, "10.200.0.0/24"))))
    assert valid_plan(first.spec, deployed(first)).pod_cidrs == {"worker-0": (), "worker-1": ("10.200.0.0/24",)}


# Blocks handed on from a node of the last deployment to another in the same update


def test_a_block_handed_on_in_one_update_is_warned_about() -> None:
    # cidr_set.go AllocateNext hands out the block after the last one it gave (nextCandidate), and never one a
    # node carries: the removed node's block is not what the cluster gives the new node.
    first = valid_plan(spec(nodes=workers(3)))
    stale = (*first.spec.nodes[:1], *first.spec.nodes[2:], node(3, "172.31.100.4"))
    second = valid_plan(dataclasses.replace(first.spec, nodes=renumber(stale)), deployed(first))
    assert second.pod_cidrs["worker-3"] == ("10.200.1.0/24",)
    assert handed_on(second, deployed(first)) == [("10.200.1.0/24", "worker-1", "worker-3")]
    (warning,) = handover_warnings(second, deployed(first))
    assert warning.startswith("the plan hands 1 pod CIDR the last deployment gave other nodes to new holders: "
                              "10.200.1.0/24 from worker-1 to worker-3. kube-controller-manager gives no node a "
                              "block another node carries")
    assert "add them back" in warning and "kubectl delete node" in warning


def test_a_handover_of_a_secret_node_list_is_counted() -> None:
    first = valid_plan(spec(nodes=workers(2)))
    second = valid_plan(dataclasses.replace(first.spec, nodes=(node(0, "172.31.100.9", name="secret-x"),)),
                        deployed(first))
    (warning,) = handover_warnings(second, deployed(first), hide_values=True)
    assert warning.startswith("the plan hands 1 pod CIDR the last deployment gave other nodes to new holders (not "
                              "named: nodes or network is secret config)")
    assert "secret-x" not in warning and "worker" not in warning and "10.200" not in warning


def test_no_warning_when_nothing_is_handed_on() -> None:
    first = valid_plan(spec(nodes=workers(3)))
    grown = valid_plan(dataclasses.replace(first.spec, nodes=workers(4)), deployed(first))
    assert handover_warnings(grown, deployed(first)) == ()
    assert handover_warnings(first, None) == ()


def test_the_planned_network_carries_the_handover_warning() -> None:
    first = valid_plan(spec(nodes=workers(2)))
    swapped = dataclasses.replace(first.spec, nodes=(node(0, "172.31.100.9", name="worker-9"),))
    planned = plan_from_state(swapped, deployed(first), network_output(first), verify=False)
    assert len(planned.warnings) == 1 and "10.200.0.0/24 from worker-0 to worker-9" in planned.warnings[0]
