"""A team's shared state on each backend (file, PostgreSQL, S3 on MinIO), on the real Pulumi engine: up, pod CIDRs
that stay put while nodes come and go, two clones updating at the same moment, a stale lock left by a killed
`up`, and a consumer stack in another project reading the outputs."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from pulumi import automation as auto

from components.network.tables import nodes_of
from tests.helpers.backends import BACKEND_KINDS, StateBackend, state_backend
from tests.helpers.cluster import wait_until
from tests.helpers.engine import EngineProject, toolchain

pytestmark = pytest.mark.engine

LOCKED = "the stack is currently locked by 1 lock(s)"
LOCK_DIRECTORY = ".pulumi/locks/organization/kthw/dev/"


def refused_for_the_lock(said: str) -> bool:
    """Whether an update stopped at the lock: it saw the other's lock, or (Pulumi's own race on a DIY backend) a lock
    object of the stack vanished while it read the lock directory: the other's being written through a temporary file,
    or removed as the other stopped. Either way it wrote nothing and left no lock."""
    return LOCKED in said or (LOCK_DIRECTORY in said and "code=NotFound" in said)


def node(index: int) -> dict[str, str]:
    """A node to add, numbered apart from the dev stack's worker-0 and worker-1."""
    return {"name": f"worker-{index}", "address": f"172.31.105.{index}"}


def pod_cidrs(project: EngineProject) -> dict[str, str]:
    """node name -> its first pod CIDR, from the stack's network output."""
    return {name: entry["podCidrs"][0] for name, entry in nodes_of(project.outputs()["network"]).items()}


def config_nodes(project: EngineProject) -> list[dict[str, str]]:
    """The ``kthw:nodes`` list of the clone's stack file."""
    nodes: list[dict[str, str]] = yaml.safe_load(project.stack_file.read_text())["config"]["kthw:nodes"]
    return nodes


@pytest.fixture(scope="module", params=BACKEND_KINDS)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StateBackend]:
    with state_backend(request.param, tmp_path_factory.mktemp(f"backend-{request.param}")) as started:
        yield started


@pytest.fixture(scope="module")
def main_clone(backend: StateBackend, tmp_path_factory: pytest.TempPathFactory) -> EngineProject:
    """Clone A: the dev stack deployed on the backend (its Pulumi.dev.yaml, with the encryption salt, is what the
    team commits)."""
    project = EngineProject(tmp_path_factory.mktemp(f"clone-a-{backend.kind}"), backend_url=backend.url,
                            backend_env=backend.env)
    project.up()
    return project


def clone(main: EngineProject, backend: StateBackend, directory: Path) -> EngineProject:
    """Another engineer's clone: the committed stack file, the same backend and passphrase, its own Pulumi home."""
    return EngineProject(directory, backend_url=backend.url, backend_env=backend.env,
                         stack_config=main.stack_file.read_text())


def test_up_exports_the_plan_and_leaves_no_lock(main_clone: EngineProject, backend: StateBackend) -> None:
    assert pod_cidrs(main_clone) == {"worker-0": "10.200.0.0/24", "worker-1": "10.200.1.0/24"}
    assert main_clone.stack.outputs()["kubeconfig"].secret
    assert backend.lock_keys() == []


def test_pod_cidrs_stay_put_across_add_remove_middle_add(main_clone: EngineProject, tmp_path: Path,
                                                         backend: StateBackend) -> None:
    before = pod_cidrs(main_clone)
    nodes = config_nodes(main_clone)
    main_clone.update_config(nodes=[*nodes, node(20)])
    main_clone.up()
    added = pod_cidrs(main_clone)
    assert {name: added[name] for name in before} == before
    assert len(set(added.values()) - set(before.values())) == 1  # a block no node held

    middle = nodes[len(nodes) // 2]["name"]
    main_clone.update_config(nodes=[entry for entry in [*nodes, node(20)] if entry["name"] != middle])
    main_clone.up()
    removed = pod_cidrs(main_clone)
    assert middle not in removed
    assert removed == {name: cidr for name, cidr in added.items() if name != middle}

    # A second clone makes the next change: the allocation lives in the shared state, not in a clone.
    other = clone(main_clone, backend, tmp_path)
    other.update_config(nodes=[entry for entry in [*nodes, node(20), node(21)] if entry["name"] != middle])
    other.up()
    again = pod_cidrs(other)
    assert {name: again[name] for name in removed} == removed
    assert again["worker-21"] == added[middle]  # the lowest free block: the one the removed node gave back
    assert pod_cidrs(main_clone) == again
    main_clone.update_config(nodes=[entry for entry in [*nodes, node(20), node(21)] if entry["name"] != middle])


def _run_together(first: EngineProject, second: EngineProject) -> list[subprocess.CompletedProcess[str]]:
    """`pulumi up` in both clones, started at the same moment."""
    processes = [project.start_cli("up", "--yes", "--skip-preview", "--non-interactive") for project in
                 (first, second)]
    results = []
    for process in processes:
        output, _ = process.communicate(timeout=600)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, output, ""))
    return results


def test_two_clones_updating_at_once_one_wins_and_the_state_stays_whole(
    main_clone: EngineProject, backend: StateBackend, tmp_path: Path
) -> None:
    other = clone(main_clone, backend, tmp_path)
    before = main_clone.outputs()
    resources_before = sorted(resource["urn"] for resource in main_clone.deployment()["resources"])
    nodes = config_nodes(main_clone)
    main_clone.update_config(nodes=[*nodes, node(30)])
    other.update_config(nodes=[*nodes, node(31)])

    # Pulumi's DIY lock is check, write, check: two writes in the same instant make both refuse (the safe
    # outcome); then the pair is started again, as the engineers would.
    for _attempt in range(3):
        results = _run_together(main_clone, other)
        refused = [result for result in results if result.returncode != 0]
        assert refused, "both updates ran at once:\n" + "\n".join(result.stdout for result in results)
        for result in refused:
            assert refused_for_the_lock(result.stdout), result.stdout
        assert backend.lock_keys() == []
        if len(refused) == 1:
            break
    else:
        pytest.fail("three times in a row both updates refused each other")

    winner = 30 if results[0].returncode == 0 else 31
    loser = 61 - winner
    after = main_clone.outputs()
    assert f"worker-{winner}" in nodes_of(after["network"])
    assert f"worker-{loser}" not in nodes_of(after["network"])
    nodes_before, nodes_after = nodes_of(before["network"]), nodes_of(after["network"])
    assert {name: nodes_after[name] for name in nodes_before} == nodes_before
    assert {key: value for key, value in after.items() if key != "network"} == {
        key: value for key, value in before.items() if key != "network"}
    state = main_clone.deployment()
    assert not state.get("pending_operations")
    assert sorted(resource["urn"] for resource in state["resources"]) == resources_before
    main_clone.update_config(nodes=[*nodes, node(winner)])


def test_a_stale_lock_from_a_killed_up_is_removed_with_pulumi_cancel(
    main_clone: EngineProject, backend: StateBackend, tmp_path: Path
) -> None:
    nodes = config_nodes(main_clone)
    before = pod_cidrs(main_clone)
    main_clone.update_config(nodes=[*nodes, node(40)])
    process = main_clone.start_cli("up", "--yes", "--skip-preview", "--non-interactive")
    try:
        wait_until(lambda: bool(backend.lock_keys()) or process.poll() is not None, 120, "the update's lock")
    finally:
        killed_pid = process.pid
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # the CLI, its language host and plugins: nothing cleans up
        process.wait(30)
    assert process.returncode == -signal.SIGKILL, process.stdout.read() if process.stdout else ""
    (stale,) = backend.lock_keys()

    other = clone(main_clone, backend, tmp_path)
    other.update_config(nodes=[*nodes, node(40)])
    refused = other.cli("up", "--yes", "--skip-preview", check=False)
    assert refused.returncode != 0
    message = refused.stdout + refused.stderr
    assert LOCKED in message and "pulumi cancel" in message and f"(pid {killed_pid})" in message
    assert stale.rsplit("/", 1)[-1] in message
    if backend.kind == "postgres":
        assert "****:****@127.0.0.1" in message and backend.url.split("@")[0].split(":")[-1] not in message

    canceled = other.cli("cancel", "--yes")
    assert "has been canceled" in canceled.stdout
    assert backend.lock_keys() == []
    other.up()
    after = pod_cidrs(other)
    assert {name: after[name] for name in before} == before and "worker-40" in after
    assert not other.deployment().get("pending_operations")


def consumer_program() -> None:
    """Another project's program: what a team's next stack (CNI, routes, a deploy job) reads from kthw."""
    import pulumi

    kthw = pulumi.StackReference("organization/kthw/dev")
    network = kthw.get_output("network")
    pulumi.export("kubeconfig", kthw.require_output("kubeconfig"))
    pulumi.export("network", network)

    def pod_cidrs(plan: dict[str, str], node: str) -> list[str]:
        """A node's pod CIDRs, read from the nodeTable text as README's "Using the outputs" shows."""
        rows = (line.split(" ") for line in plan["nodeTable"].splitlines()[1:])
        return next(cidrs.split(",") for name, _, cidrs in rows if name == node)

    pulumi.export("worker0PodCidr", network.apply(lambda plan: pod_cidrs(plan, "worker-0")[0]))


def test_a_consumer_stack_in_another_project_reads_kubeconfig_and_network(
    main_clone: EngineProject, backend: StateBackend, tmp_path: Path
) -> None:
    root, path = toolchain()
    home = tmp_path / "pulumi-home"
    home.mkdir()
    env = {**main_clone.env, "PULUMI_HOME": str(home)}
    consumer = auto.create_or_select_stack(
        stack_name="dev", project_name="kthw-consumer", program=consumer_program,
        opts=auto.LocalWorkspaceOptions(work_dir=str(tmp_path), env_vars=env,
                                        pulumi_command=auto.PulumiCommand(root=root),
                                        project_settings=auto.ProjectSettings(name="kthw-consumer",
                                                                              runtime="python")),
    )
    consumer.up()
    outputs = consumer.outputs()
    produced = main_clone.outputs()
    assert outputs["kubeconfig"].secret and outputs["kubeconfig"].value == produced["kubeconfig"]
    assert not outputs["network"].secret and outputs["network"].value == produced["network"]
    assert outputs["worker0PodCidr"].value == "10.200.0.0/24"
    shown = subprocess.run(["pulumi", "stack", "output", "--json", "--stack", "dev"], cwd=tmp_path,
                           env={**env, "PATH": path}, capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(shown.stdout)["kubeconfig"] == "[secret]"
