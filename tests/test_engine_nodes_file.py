"""nodesFile on the real Pulumi engine: the tutorial's machines.txt deploys, a change to the file shows in
`pulumi preview --diff` exactly as a change to `nodes` does, keyed by node, and a file outside the project is never
read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from components.network.tables import nodes_of, routes_of
from tests.helpers.engine import EngineProject, diff_lines

pytestmark = pytest.mark.engine

MACHINES = [
    "172.31.100.10 server.kubernetes.local server",
    "172.31.101.60 worker-0.kubernetes.local worker-0 10.200.0.0/24",
    "172.31.104.202 worker-1.kubernetes.local worker-1 10.200.1.0/24",
    "172.31.104.203 worker-2.kubernetes.local worker-2 10.200.2.0/24",
]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProject]:
    """The dev stack with its nodes in machines.txt instead of `nodes`, deployed; destroyed at the end."""
    project = EngineProject(tmp_path_factory.mktemp("engine-nodes-file"))
    (project.dir / "machines.txt").write_text("\n".join(MACHINES) + "\n")
    project.update_config(nodes=None, nodesFile="machines.txt")
    project.up()
    yield project
    project.destroy()


def test_machines_txt_deploys_with_its_pod_subnets(deployed: EngineProject) -> None:
    network = deployed.outputs()["network"]
    assert nodes_of(network)["worker-2"] == {"address": "172.31.104.203", "podCidrs": ["10.200.2.0/24"]}
    assert nodes_of(network)["server"] == {"address": "172.31.100.10", "podCidrs": []}
    assert routes_of(network)["worker-0"] == [{"destination": "10.200.0.0/24", "via": "172.31.101.60"}]


def test_a_change_to_the_file_shows_in_the_diff_keyed_by_node(deployed: EngineProject) -> None:
    # Remove the first worker: the changed lines are worker-0's line of nodeTable and of routeTable, and name no
    # other node; with routes as a list, every later route would show as changed.
    (deployed.dir / "machines.txt").write_text("\n".join(m for m in MACHINES if " worker-0 " not in m) + "\n")
    try:
        changed = diff_lines(deployed.cli("preview", "--diff").stdout)
        assert [line.strip() for line in changed if "worker" in line] == [
            "- worker-0 172.31.101.60 10.200.0.0/24", "- worker-0 10.200.0.0/24 172.31.101.60"]
        assert not any("worker-1" in line or "worker-2" in line or "172.31.104" in line for line in changed)
    finally:
        (deployed.dir / "machines.txt").write_text("\n".join(MACHINES) + "\n")


def test_an_unchanged_file_previews_no_changes(deployed: EngineProject) -> None:
    diff = deployed.cli("preview", "--diff", "--expect-no-changes").stdout
    assert "worker-0" not in diff


def test_a_nodes_file_outside_the_project_fails_the_preview_showing_none_of_it(tmp_path: Path) -> None:
    # A pull request can add a symbolic link; its preview on a CI runner must show nothing of the runner's files.
    # Read, the second line would make a node named after the secret, and the others quoted messages.
    secret = "s3cr3t7f4a9c2e"
    lines = [f"root:x:0:0:{secret}:/root:/bin/bash", f"10.0.0.9 {secret}.local {secret} 10.200.0.0/24",
             f"TOKEN={secret} Bearer {secret}"]
    outside = tmp_path / "runner-file"
    outside.write_text("\n".join(lines) + "\n")
    project = EngineProject(tmp_path)
    (project.dir / "machines.txt").symlink_to(outside)
    project.update_config(nodes=None, nodesFile="machines.txt")
    result = project.cli("preview", check=False)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "kthw:nodesFile: 'machines.txt' leads outside the project directory" in " ".join(output.split())
    assert not [line for line in lines if line in output]
    assert secret not in output
