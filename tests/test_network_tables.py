"""The ``network`` output's nodes and routes as text tables (components/network/tables.py): what they hold, that a
node's change touches its own lines only, and that the last deployment reads back from them and from the objects
the output held before them."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from components.network.last_deployment import LastDeploymentError, SharedBlockError, read_last_deployment
from components.network.node_changes import NodeChanges, node_changes, summary_line
from components.network.output import network_output
from components.network.tables import NODE_TABLE, ROUTE_TABLE, TableError, nodes_of, read_nodes, routes_of
from tests.helpers.mock_program import DEV_CONFIG as DEV
from tests.helpers.mock_program import run_program
from tests.helpers.network_specs import (
    DUAL_CLUSTER,
    DUAL_SERVICE,
    deployed,
    node,
    renumber,
    spec,
    valid_plan,
    workers,
)

TUTORIAL_OUTPUT = {
    "clusterCidrs": ["10.200.0.0/16"], "nodeCidrMaskSizes": [24],
    NODE_TABLE: "NAME ADDRESSES POD_CIDRS\nserver 172.31.100.10 -\nworker-0 172.31.101.60 10.200.0.0/24\n",
    ROUTE_TABLE: "NODE DESTINATION VIA\nworker-0 10.200.0.0/24 172.31.101.60\n",
}


def test_tables_list_nodes_by_name_whatever_the_list_order() -> None:
    nodes = (node(0, "172.31.100.1,2001:db8::1", name="worker-b"), node(1, "2001:db8::2,172.31.100.2",
                                                                        name="worker-a"))
    output = network_output(valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, nodes)))
    assert output[NODE_TABLE] == (
        "NAME ADDRESSES POD_CIDRS\n"
        "worker-a 2001:db8::2,172.31.100.2 10.200.1.0/24,fd00:10:244:1::/64\n"
        "worker-b 172.31.100.1,2001:db8::1 10.200.0.0/24,fd00:10:244::/64\n")
    # One route per pod CIDR, in the order of the cluster ranges, via the address of its family.
    assert output[ROUTE_TABLE] == (
        "NODE DESTINATION VIA\n"
        "worker-a 10.200.1.0/24 172.31.100.2\n"
        "worker-a fd00:10:244:1::/64 2001:db8::2\n"
        "worker-b 10.200.0.0/24 172.31.100.1\n"
        "worker-b fd00:10:244::/64 2001:db8::1\n")
    assert output["nodeCount"] == 2
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, nodes))
    reordered = valid_plan(dataclasses.replace(first.spec, nodes=renumber(nodes[::-1])), deployed(first))
    assert network_output(reordered) == output


def test_removing_a_node_removes_its_lines_and_touches_no_other() -> None:
    # What the CLI prints for a changed string is a line diff: one node's change must be its own lines.
    first = valid_plan(spec(nodes=workers(30)))
    second = valid_plan(dataclasses.replace(first.spec, nodes=renumber(first.spec.nodes[1:])), deployed(first))
    for table in (NODE_TABLE, ROUTE_TABLE):
        before, after = network_output(first)[table].splitlines(), network_output(second)[table].splitlines()
        assert [line for line in before if line not in after] == [line for line in before
                                                                    if line.startswith("worker-0 ")]
        assert [line for line in after if line not in before] == []


def test_the_objects_the_output_held_before_are_given_back() -> None:
    assert nodes_of(TUTORIAL_OUTPUT) == {"server": {"address": "172.31.100.10", "podCidrs": []},
                                         "worker-0": {"address": "172.31.101.60", "podCidrs": ["10.200.0.0/24"]}}
    assert routes_of(TUTORIAL_OUTPUT) == {"server": [],
                                          "worker-0": [{"destination": "10.200.0.0/24", "via": "172.31.101.60"}]}


def test_an_address_ending_in_a_colon_pair_stays_in_its_line() -> None:
    # "fd00:: " reads as a YAML key; the table's plain first line keeps the whole text a string (see the module).
    output = network_output(valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.100.1,2001:db8::")])))
    assert output[NODE_TABLE].splitlines()[0] == "NAME ADDRESSES POD_CIDRS"
    assert nodes_of(output)["worker-0"]["address"] == "172.31.100.1,2001:db8::"
    assert routes_of(output)["worker-0"][1] == {"destination": "fd00:10:244::/64", "via": "2001:db8::"}


@pytest.mark.parametrize(("text", "detail"), [
    (None, "nodeTable is not a string"),
    ("", "nodeTable does not start with the line NAME ADDRESSES POD_CIDRS"),
    ("worker-0 172.31.101.60 10.200.0.0/24\n", "nodeTable does not start with the line NAME ADDRESSES POD_CIDRS"),
    ("NAME ADDRESSES POD_CIDRS\nworker-0 172.31.101.60\n", "nodeTable line 2 does not have 3 fields"),
    ("NAME ADDRESSES POD_CIDRS\nworker-0  172.31.101.60 10.200.0.0/24\n", "nodeTable line 2 does not have 3 fields"),
    ("NAME ADDRESSES POD_CIDRS\nw 1.2.3.4 -\n\nx 1.2.3.5 -\n", "nodeTable line 3 does not have 3 fields"),
    ("NAME ADDRESSES POD_CIDRS\nw 1.2.3.4 -\nw 1.2.3.5 -\n", "nodeTable line 3 names a node of an earlier line"),
])
def test_a_table_not_as_written_is_refused_naming_the_line(text: object, detail: str) -> None:
    with pytest.raises(TableError) as caught:
        read_nodes(text)
    assert str(caught.value).startswith(detail)


# The last deployment, read back


def test_the_last_deployment_reads_back_from_the_tables() -> None:
    previous = read_last_deployment(TUTORIAL_OUTPUT)
    assert previous is not None
    assert {name: [block.text for block in blocks] for name, blocks in previous.pod_cidrs.items()} == {
        "server": [], "worker-0": ["10.200.0.0/24"]}


def test_a_deployment_recorded_before_the_tables_keeps_every_block() -> None:
    # The first update after the output changed shape reads the nodes object the last deployment wrote.
    ranges = {"clusterCidrs": ["10.200.0.0/16"], "nodeCidrMaskSizes": [24]}
    nodes = {"worker-0": {"address": "172.31.100.1", "podCidrs": ["10.200.5.0/24"]},
             "worker-1": {"address": "172.31.100.2", "podCidrs": ["10.200.0.0/24"]}}
    plan = valid_plan(spec(nodes=workers(3)), read_last_deployment({**ranges, "nodes": nodes}))
    assert plan.pod_cidrs == {"worker-0": ("10.200.5.0/24",), "worker-1": ("10.200.0.0/24",),
                              "worker-2": ("10.200.1.0/24",)}
    assert read_last_deployment(network_output(plan)) == read_last_deployment(
        {**ranges, "nodes": {**nodes, "worker-2": {"podCidrs": ["10.200.1.0/24"]}}})


@pytest.mark.parametrize(("table", "detail"), [
    (7, "nodeTable is not a string"),
    ("NAME ADDRESSES POD_CIDRS\nworker-0 172.31.101.60\n", "nodeTable line 2 does not have 3 fields"),
    ("NAME ADDRESSES POD_CIDRS\nworker-0 172.31.101.60 10.200.0.1/24\n",
     "nodeTable worker-0 POD_CIDRS[0] has host bits set"),
])
def test_an_unreadable_table_stops_the_plan(table: object, detail: str) -> None:
    # As with the objects: a record that cannot be read must never count as a first deployment.
    with pytest.raises(LastDeploymentError) as caught:
        read_last_deployment({**TUTORIAL_OUTPUT, NODE_TABLE: table})
    assert caught.value.detail.startswith(detail)


def test_a_table_giving_one_block_to_two_nodes_is_refused_naming_secret_nodes_by_position() -> None:
    table = "NAME ADDRESSES POD_CIDRS\nworker-0 172.31.101.60 10.200.0.0/24\nworker-1 172.31.101.61 10.200.0.0/24\n"
    with pytest.raises(SharedBlockError) as caught:
        read_last_deployment({**TUTORIAL_OUTPUT, NODE_TABLE: table})
    assert caught.value.detail == ("nodeTable worker-0 POD_CIDRS[0] and nodeTable worker-1 POD_CIDRS[0] are both "
                                   "10.200.0.0/24")
    with pytest.raises(SharedBlockError) as hidden:
        read_last_deployment({**TUTORIAL_OUTPUT, NODE_TABLE: table}, hide_names=True)
    assert hidden.value.detail == "nodeTable <node 1> POD_CIDRS[0] and nodeTable <node 2> POD_CIDRS[0]"


# The preview's line about the nodes (components/network/node_changes.py)


def _changes(before: list[str], after: list[str]) -> NodeChanges:
    """Deploy nodes named ``before``, then plan ``after`` (each at the address of its name's first use)."""
    address = {name: f"172.31.100.{i + 1}" for i, name in enumerate(dict.fromkeys(before + after))}
    first = valid_plan(spec(nodes=[node(i, address[name], name=name) for i, name in enumerate(before)]))
    output = network_output(first)
    previous = read_last_deployment(output)
    second = valid_plan(spec(nodes=[node(i, address[name], name=name) for i, name in enumerate(after)]), previous)
    return node_changes(previous, second)


def test_the_line_names_added_and_removed_nodes() -> None:
    changes = _changes(["a", "b", "c"], ["a", "c", "d"])
    assert summary_line(changes, hide_names=False) == "kthw nodes: 3 planned, 3 deployed: 1 added (d), 1 removed (b)"


def test_a_node_with_other_pod_cidrs_is_moved_and_one_at_another_address_readdressed() -> None:
    # The plan refuses to move a deployed node unless verify lets the cluster decide; the line must still say so.
    first = valid_plan(spec(nodes=workers(2)))
    output = network_output(first)
    moved = valid_plan(spec(nodes=[node(0, "172.31.100.1", "10.200.7.0/24"),
                                   node(1, "172.31.100.9", "10.200.1.0/24")]))
    changes = node_changes(read_last_deployment(output), moved)
    assert summary_line(changes, hide_names=False) == (
        "kthw nodes: 2 planned, 2 deployed: 1 moved to new pod CIDRs (worker-0), 1 readdressed (worker-1)")


def test_the_first_deployment_adds_every_node_and_many_names_are_counted() -> None:
    changes = node_changes(None, valid_plan(spec(nodes=workers(12))))
    assert summary_line(changes, hide_names=False) == (
        "kthw nodes: 12 planned, none deployed yet: 12 added (worker-0, worker-1, worker-10, worker-11, worker-2, "
        "worker-3, worker-4, worker-5, worker-6, worker-7 and 2 more)")


def test_an_unchanged_list_says_so() -> None:
    assert summary_line(_changes(["a", "b"], ["a", "b"]), hide_names=False) == (
        "kthw nodes: 2 planned, 2 deployed: no change")


def test_secret_node_lists_are_counted_never_named() -> None:
    line = summary_line(_changes(["alpha", "beta"], ["beta", "gamma"]), hide_names=True)
    assert line == ("kthw nodes: 2 planned, 2 deployed: 1 added, 1 removed (names hidden: nodes or network is "
                    "secret config)")


def test_a_preview_logs_the_line_and_an_update_does_not(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    deployed = run_program(DEV)
    more = {**DEV, "nodes": [*DEV["nodes"], {"name": "worker-2", "address": "172.31.104.203"}]}
    run_program(more, last_outputs=deployed.outputs, preview=True)
    run_program(more, last_outputs=deployed.outputs)
    lines = [record.getMessage() for record in caplog.records if "kthw nodes:" in record.getMessage()]
    assert lines == ["kthw nodes: 3 planned, 2 deployed: 1 added (worker-2)"]


def test_a_preview_of_secret_nodes_logs_counts_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    deployed = run_program(DEV, secret_keys=("nodes",))
    more = {**DEV, "nodes": [*DEV["nodes"], {"name": "worker-2", "address": "172.31.104.203"}]}
    run_program(more, secret_keys=("nodes",), last_outputs=deployed.outputs, preview=True)
    (line,) = [record.getMessage() for record in caplog.records if "kthw nodes:" in record.getMessage()]
    assert line == "kthw nodes: 3 planned, 2 deployed: 1 added (names hidden: nodes or network is secret config)"
