"""A node's pod CIDR never moves: changes of the cluster range or node mask on a deployed stack, and reading the
last deployment's allocation back."""

from __future__ import annotations

import dataclasses
from typing import Any

import pulumi
import pytest

from components.errors import CollectedConfigError, ConfigError
from components.previous_deployment import PreviousOutputError, read_previous_deployment
from tests.mock_program import DEV_CONFIG, run_program
from tests.network_specs import DUAL_CLUSTER, DUAL_SERVICE, cidrs, recorded, spec, valid_plan, workers


def test_widening_the_cluster_range_keeps_every_block() -> None:
    # cidr_set.go getIndexForIP: a block keeps its place in any range that holds it with the same node mask.
    first = valid_plan(spec(nodes=workers(3)))
    for wider in ("10.200.0.0/15", "10.0.0.0/8"):
        widened = dataclasses.replace(first.spec, cluster_cidrs=cidrs(wider), service_cidrs=cidrs("192.168.0.0/24"))
        assert valid_plan(widened, recorded(first)).pod_cidrs == first.pod_cidrs


def test_narrowing_that_still_holds_every_block_is_fine() -> None:
    # ValidateNodeUpdate only forbids a change of podCIDR; a smaller range that holds every block changes none.
    first = valid_plan(spec(nodes=workers(3)))
    narrowed = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.200.0.0/20"))
    assert valid_plan(narrowed, recorded(first)).pod_cidrs == first.pod_cidrs


def test_moving_the_cluster_range_is_refused_naming_the_nodes() -> None:
    # kubernetes/kubernetes#70957: a new --cluster-cidr under deployed nodes gives overlapping allocations.
    first = valid_plan(spec(nodes=workers(2)))
    moved = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.201.0.0/16"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(moved, recorded(first))
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
        valid_plan(dataclasses.replace(first.spec, node_cidr_mask_size=25), recorded(first))
    assert caught.value.key == "network.nodeCidrMaskSize"
    assert caught.value.problem.startswith("changing it from 24 to 25 would move the pod CIDR of 1 deployed node ")
    assert caught.value.accepted.startswith("24, the mask the nodes' blocks have")


def test_ipv6_mask_and_ipv4_range_changed_together_are_both_reported() -> None:
    # Every problem at once: each key that would move nodes is named.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    changed = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.100.0.0/16,fd00:10:244::/56"),
                                  node_cidr_mask_size_ipv6=72)
    with pytest.raises(CollectedConfigError) as caught:
        valid_plan(changed, recorded(first))
    assert [error.key for error in caught.value.errors] == ["network.clusterCidr", "network.nodeCidrMaskSizeIpv6"]


def test_dropping_a_family_is_refused() -> None:
    # ValidateNodeUpdate: the podCIDRs list cannot shrink either.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(2, "46")))
    single = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.200.0.0/16"), service_cidrs=cidrs("10.32.0.0/24"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(single, recorded(first))
    assert caught.value.key == "network.clusterCidr"
    assert "from 10.200.0.0/16,fd00:10:244::/56 to 10.200.0.0/16" in caught.value.problem


def test_removed_nodes_do_not_stop_a_change() -> None:
    # Only deployed nodes that stay in the list can move; the documented way to renumber is to remove them first.
    first = valid_plan(spec(nodes=workers(2)))
    a = first.spec.nodes[0]
    renumbered = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.201.0.0/16"),
                                     nodes=(a._replace(name="worker-9"),))
    assert valid_plan(renumbered, recorded(first)).pod_cidrs == {"worker-9": ("10.201.0.0/24",)}


def test_many_affected_nodes_are_counted_not_listed() -> None:
    # A message of 5,000 node names would bury the point.
    first = valid_plan(spec(nodes=workers(40)))
    with pytest.raises(ConfigError) as caught:
        valid_plan(dataclasses.replace(first.spec, node_cidr_mask_size=23), recorded(first))
    assert "40 deployed nodes (worker-0, worker-1, worker-2, worker-3, worker-4 and 35 more)" in caught.value.problem


# Reading the last deployment back

GOOD = {"clusterCidrs": ["10.200.0.0/16"], "nodeCidrMaskSizes": [24],
        "nodes": {"worker-0": {"address": "172.31.101.60", "podCidrs": ["10.200.0.0/24"]}}}


def test_no_output_means_no_previous_deployment() -> None:
    # The first deployment of a stack has no outputs.
    assert read_previous_deployment(None) is None


def test_numbers_read_back_as_floats_are_accepted() -> None:
    # The engine hands numbers back through protobuf's Struct: 24 arrives as 24.0.
    previous = read_previous_deployment({**GOOD, "nodeCidrMaskSizes": [24.0]})
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
    with pytest.raises(PreviousOutputError) as caught:
        read_previous_deployment(output)
    assert caught.value.detail.startswith(detail)
    assert "pulumi stack export" in str(caught.value)


def test_the_program_stops_on_an_unreadable_previous_output() -> None:
    # The whole program under mocks: a clear RunError, no resource registered.
    with pytest.raises(pulumi.RunError, match="previous network output cannot be read"):
        run_program(DEV_CONFIG, previous_outputs={"network": {"nodes": "garbage"}})


def test_the_program_refuses_a_moving_cluster_range() -> None:
    # The whole program under mocks, deployed first, then with another cluster range.
    first = run_program(DEV_CONFIG)
    moved = {**DEV_CONFIG, "network": {"clusterCidr": "10.100.0.0/16", "serviceCidr": "10.32.0.0/24"}}
    with pytest.raises(pulumi.RunError, match=r"kthw:network\.clusterCidr: changing it from 10\.200\.0\.0/16"):
        run_program(moved, previous_outputs=first.outputs)


def test_a_dual_stack_node_moved_in_both_families_is_counted_once() -> None:
    # One node, two blocks: "1 deployed node", not two.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(1, "46")))
    moved = dataclasses.replace(first.spec, cluster_cidrs=cidrs("10.100.0.0/16,fd00:10:245::/56"))
    with pytest.raises(ConfigError) as caught:
        valid_plan(moved, recorded(first))
    assert "would move the pod CIDR of 1 deployed node (worker-0)" in caught.value.problem
