"""What the real Pulumi CLI prints of the network output: `pulumi up` shows each table as its first lines, not one
line per node (addresses ending in ``::`` included, which would read as YAML keys); `preview --diff` shows a
removed node as its own lines amid two lines of context; and a stack whose last deployment recorded the nodes as
objects, before the tables, keeps every block on its next update. The sizes at 500 and 5,000 nodes are measured
by bench/bench_engine_nodes.py."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from components.network.tables import NODE_TABLE, ROUTE_TABLE, nodes_of, routes_of
from tests.helpers.engine import EngineProject, diff_lines

pytestmark = pytest.mark.engine

# Every address ends in "::": without the tables' header line, "worker-0 2001:db8:1:: fd00:10:244::/64" would read
# as a YAML key and value, each table as a YAML mapping, and the CLI would print it decoded and whole.
NODES = [{"name": f"worker-{index}", "address": f"2001:db8:{index + 1:x}::"} for index in range(12)]
NETWORK = {"clusterCidr": "fd00:10:244::/56", "serviceCidr": "fd00:10:96::/112"}


def printed(project: EngineProject, *args: str) -> str:
    return project.cli(*args, "--color", "never", "--suppress-progress").stdout


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[EngineProject, str]]:
    """A dual-stack stack of 12 nodes, deployed with `pulumi up`; what that printed."""
    project = EngineProject(tmp_path_factory.mktemp("engine-printed"))
    project.update_config(nodes=NODES, network=NETWORK)
    up = printed(project, "up", "--yes")
    yield project, up
    project.destroy()


def test_up_prints_each_table_as_its_first_lines(deployed: tuple[EngineProject, str]) -> None:
    project, up = deployed
    # Once in the preview `up` runs first, once after the update.
    assert [line.split(": ", 1)[1] for line in up.splitlines() if line.strip().startswith("nodeTable")] == 2 * [
        '"NAME ADDRESSES POD_CIDRS\\nworker-0 2001:db8:1:: fd00:10:244::/64\\n'
        'worker-1 2001:db8:2:: fd00:10:244:1::/64\\n..."']
    assert [line.split(": ", 1)[1] for line in up.splitlines() if line.strip().startswith("routeTable")] == 2 * [
        '"NODE DESTINATION VIA\\nworker-0 fd00:10:244::/64 2001:db8:1::\\n'
        'worker-1 fd00:10:244:1::/64 2001:db8:2::\\n..."']
    assert "worker-10 2001" not in up and "(yaml)" not in up  # no row past the second, nothing decoded
    # The stack output holds every node all the same.
    network = project.outputs()["network"]
    assert set(nodes_of(network)) == {node["name"] for node in NODES}
    assert routes_of(network)["worker-0"] == [{"destination": "fd00:10:244::/64", "via": "2001:db8:1::"}]


def test_a_removed_node_shows_as_its_own_lines_amid_two_of_context(deployed: tuple[EngineProject, str]) -> None:
    project, _ = deployed
    project.update_config(nodes=[node for node in NODES if node["name"] != "worker-5"])
    try:
        diff = printed(project, "preview", "--diff")
    finally:
        project.update_config(nodes=NODES)
    # Compared without the blanks the CLI aligns the keys with (their width follows the longest key).
    assert [" ".join(line.split()) for line in diff_lines(diff)] == [
        "~ network : {", "~ nodeCount : 12 => 11", "~ nodeTable :",
        "- worker-5 2001:db8:6:: fd00:10:244:5::/64", "~ routeTable :",
        "- worker-5 fd00:10:244:5::/64 2001:db8:6::"]
    lines = diff.splitlines()
    at = lines.index(next(line for line in lines if line.strip().startswith("- worker-5 2001")))
    assert [line.split()[0] for line in lines[at - 3:at + 4]] == [
        "...", "worker-3", "worker-4", "-", "worker-6", "worker-7", "..."]


def test_a_deployment_that_recorded_nodes_as_objects_keeps_every_block(deployed: tuple[EngineProject, str]) -> None:
    project, _ = deployed
    recorded = project.outputs()["network"]
    # The network output as a deployment before the tables wrote it, with the blocks of worker-0 and worker-1
    # swapped: the next update must keep what that record says, not hand out blocks anew.
    nodes = nodes_of(recorded)
    nodes["worker-0"]["podCidrs"], nodes["worker-1"]["podCidrs"] = nodes["worker-1"]["podCidrs"], \
        nodes["worker-0"]["podCidrs"]
    before_tables = {**{key: value for key, value in recorded.items()
                        if key not in (NODE_TABLE, ROUTE_TABLE, "nodeCount")},
                     "nodes": nodes, "routes": routes_of(recorded)}

    def record_before_tables(resources: list[dict[str, Any]]) -> None:
        (stack,) = [item for item in resources if item["type"] == "pulumi:pulumi:Stack"]
        stack["outputs"]["network"] = before_tables

    project.edit_state(record_before_tables)
    project.up()
    network = project.outputs()["network"]
    assert nodes_of(network) == nodes
    assert printed(project, "preview", "--diff", "--expect-no-changes")
