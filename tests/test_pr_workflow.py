"""The pull-request flow on a shared S3 backend (MinIO), with the workflow's own shell steps: clone A deploys main;
clone B, a fresh clone that holds only what CI holds (the backend URL, the passphrase, S3 credentials), changes the
node list and runs the preview job's steps read from .github/workflows/preview.yml. With the dev stack's two nodes,
adding one shows that node and nothing else, and no secret value. With 5,000 nodes from nodesFile, removing one
shows the removal in the summary and near the top of the diff; a change too large for a comment is cut with a
plain marker, and the artifact holds the whole diff."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bench.bench_plan import machines_txt, network_config
from components.network.tables import nodes_of
from scripts.preview_comment import LIMIT
from tests.helpers.backends import MinioServer, minio_server
from tests.helpers.engine import PASSPHRASE, ROOT, EngineProject, diff_lines, diff_sections
from tests.helpers.workflow_runner import JobRun, load_workflow, run_job, shell_steps

pytestmark = pytest.mark.engine

NEW_NODE = {"name": "worker-2", "address": "172.31.104.203"}
# Shell steps this machine has already done for the clone: the harness's .venv holds requirements-dev.txt, a
# superset of what "Install" puts there (the test below pins that step's text).
PROVIDED_STEPS = ("Install",)
INSTALL_STEP = "python -m venv .venv\n.venv/bin/pip install -r requirements.txt\n"
ARTIFACT = "pulumi-preview-diff"
MANY = 5000
REMOVED = "worker-2500"
READDRESSED = 2000
"""Nodes the large change moves to new addresses (each changes a line of nodeTable and of routeTable)."""
COMMENT_TOP = 60
"""Lines of a comment a reviewer reads without scrolling far."""


def fresh_clone(directory: Path, committed_stack_file: str) -> Path:
    """The repository's files as `git clone` gives them (tracked and new, never ignored ones), with the stack file
    the team committed."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, text=True, check=True, timeout=60).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, directory / name)
    (directory / "Pulumi.dev.yaml").write_text(committed_stack_file)
    (directory / ".venv").symlink_to(ROOT / ".venv")
    return directory


def run_preview_job(checkout: Path, runner: Path, minio: MinioServer) -> JobRun:
    """The preview job's steps in ``checkout``, with CI's secrets and variables only (the backend: ``minio``'s
    bucket)."""
    # The runner's own environment: the toolchain settings and cache (what actions/cache restores), a fresh
    # Pulumi home (no login, no plugins), and none of the suite's backend, passphrase or ready-toolchain flags.
    machine_env = {
        **{name: value for name, value in os.environ.items()
           if name.startswith("KTHW_") and name != "KTHW_TOOLCHAIN_READY"},
        "PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8",
        "PULUMI_HOME": str(runner / "pulumi-home"),
    }
    return run_job(
        load_workflow(), "preview", checkout, runner / "temp",
        secrets={"PULUMI_CONFIG_PASSPHRASE": PASSPHRASE, "AWS_ACCESS_KEY_ID": minio.access_key,
                 "AWS_SECRET_ACCESS_KEY": minio.secret_key},
        variables={"PULUMI_BACKEND_URL": minio.url},
        machine_env=machine_env, provided=PROVIDED_STEPS,
    )


def comment_parts(comment: str) -> tuple[str, str]:
    """(what the comment says before the diff, the diff it shows), split at its code fence."""
    before, fence, rest = comment.partition("```text\n")
    assert fence, comment[:2000]
    return before, rest.rsplit("```", 1)[0]


@pytest.fixture(scope="module")
def minio() -> Iterator[MinioServer]:
    with minio_server() as server:
        yield server


@pytest.fixture(scope="module")
def main_deployed(minio: MinioServer, tmp_path_factory: pytest.TempPathFactory) -> EngineProject:
    """Clone A: main, deployed to the shared S3 backend."""
    project = EngineProject(tmp_path_factory.mktemp("clone-a"), backend_url=minio.url, backend_env=minio.env)
    project.up()
    return project


@pytest.fixture(scope="module")
def preview_run(main_deployed: EngineProject, minio: MinioServer,
                tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """Clone B adds a node and runs the preview job's shell steps with CI's secrets and variables only."""
    checkout = fresh_clone(tmp_path_factory.mktemp("clone-b"), main_deployed.stack_file.read_text())
    document = yaml.safe_load((checkout / "Pulumi.dev.yaml").read_text())
    document["config"]["kthw:nodes"].append(NEW_NODE)
    (checkout / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return run_preview_job(checkout, tmp_path_factory.mktemp("runner"), minio)


@pytest.fixture(scope="module")
def cluster_objects_run(main_deployed: EngineProject, minio: MinioServer,
                        tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """Clone B turns on a pod network and the cluster DNS and adds a user, and runs the preview job, which reaches no
    cluster (CI has no tunnel)."""
    checkout = fresh_clone(tmp_path_factory.mktemp("clone-objects"), main_deployed.stack_file.read_text())
    document = yaml.safe_load((checkout / "Pulumi.dev.yaml").read_text())
    document["config"].update({"kthw:podNetwork": "weave", "kthw:dns": "coredns",
                               "kthw:users": [{"name": "alice", "clusterRole": "view"}]})
    (checkout / "Pulumi.dev.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return run_preview_job(checkout, tmp_path_factory.mktemp("runner-objects"), minio)


@pytest.fixture(scope="module")
def many_minio(minio: MinioServer) -> MinioServer:
    """The same server, another bucket: a second team's state, whose stack is also called dev."""
    minio.client.create_bucket("kthw-many")
    return dataclasses.replace(minio, bucket="kthw-many")


@pytest.fixture(scope="module")
def many_deployed(many_minio: MinioServer, tmp_path_factory: pytest.TempPathFactory) -> EngineProject:
    """Clone A of a cluster of 5,000 nodes, from a machines.txt as the tutorial writes it, deployed."""
    project = EngineProject(tmp_path_factory.mktemp("many-a"), backend_url=many_minio.url,
                            backend_env=many_minio.env)
    (project.dir / "machines.txt").write_text(machines_txt(MANY))
    project.update_config(nodes=None, nodesFile="machines.txt", network=network_config(MANY, False))
    project.up()
    return project


def many_clone(deployed: EngineProject, directory: Path, readdressed: int) -> Path:
    """Clone B of the 5,000-node stack, without worker-2500, and with the first ``readdressed`` nodes moved to
    addresses in 172.20.0.0/16."""
    checkout = fresh_clone(directory, deployed.stack_file.read_text())
    lines = []
    for line in (deployed.dir / "machines.txt").read_text().splitlines():
        address, fqdn, name, subnet = line.split()
        index = int(name.removeprefix("worker-"))
        if name == REMOVED:
            continue
        if index < readdressed:
            address = f"172.20.{index // 250}.{index % 250 + 1}"
        lines.append(f"{address} {fqdn} {name} {subnet}\n")
    (checkout / "machines.txt").write_text("".join(lines))
    return checkout


@pytest.fixture(scope="module")
def removal_run(many_deployed: EngineProject, many_minio: MinioServer,
                tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """The preview job for a branch that removes worker-2500 of 5,000 nodes."""
    checkout = many_clone(many_deployed, tmp_path_factory.mktemp("many-b"), readdressed=0)
    return run_preview_job(checkout, tmp_path_factory.mktemp("many-runner"), many_minio)


@pytest.fixture(scope="module")
def large_change_run(many_deployed: EngineProject, many_minio: MinioServer,
                     tmp_path_factory: pytest.TempPathFactory) -> JobRun:
    """The preview job for a branch that removes worker-2500 and gives 2,000 nodes new addresses."""
    checkout = many_clone(many_deployed, tmp_path_factory.mktemp("many-c"), readdressed=READDRESSED)
    return run_preview_job(checkout, tmp_path_factory.mktemp("many-runner-c"), many_minio)


def test_the_provided_steps_only_install_the_requirements() -> None:
    steps = {step.get("name"): step for step in shell_steps(load_workflow(), "preview")}
    assert set(PROVIDED_STEPS) <= set(steps)
    assert steps["Install"]["run"] == INSTALL_STEP


def test_the_preview_job_succeeds_from_a_fresh_clone(preview_run: JobRun) -> None:
    assert preview_run.succeeded, preview_run.log()
    assert [step.name for step in preview_run.steps] == ["pulumi preview --diff"]
    assert preview_run.artifacts[ARTIFACT] is not None


def test_the_diff_shows_the_new_node_and_nothing_else(preview_run: JobRun) -> None:
    comment = preview_run.outputs["preview"]["comment"]
    assert comment in preview_run.summary
    summary, diff = comment_parts(comment)
    assert "- **Nodes:** 3 planned, 2 deployed: 1 added (worker-2)\n" in summary
    assert "- **Outputs:** `network` changed\n" in summary and "- **Resources:** 10 unchanged\n" in summary
    assert "The whole diff" in summary and "cut" not in comment
    assert "WARN" not in comment, comment
    resources, outputs = (diff_lines(part) for part in diff_sections(diff))
    assert resources == [], comment
    assert re.search(r"Resources:\s+\d+ unchanged", diff) and "to create" not in diff
    assert not any(re.search(r"worker-[01]\b|172\.31\.10[14]\.(60|202)\b", line) for line in outputs), outputs
    assert [line.split()[:2] for line in outputs] == [
        ["~", "network"], ["~", "nodeCount"], ["~", "nodeTable"], ["+", "worker-2"], ["~", "routeTable"],
        ["+", "worker-2"]]
    assert any(line.split()[1:] == ["worker-2", NEW_NODE["address"], "10.200.2.0/24"] for line in outputs), outputs


def test_no_secret_value_reaches_the_preview(preview_run: JobRun, main_deployed: EngineProject,
                                              minio: MinioServer) -> None:
    text = (preview_run.log() + preview_run.summary + preview_run.outputs["preview"]["comment"]
            + str(preview_run.artifacts[ARTIFACT]))
    produced = main_deployed.outputs()
    assert "PRIVATE KEY" not in text
    for secret in (PASSPHRASE, minio.secret_key, produced["kubeconfig"], produced["adminKeyPem"]):
        assert secret not in text
    key_body = produced["adminKeyPem"].splitlines()[1]
    assert key_body not in text
    assert "client-key-data" not in text


def test_the_preview_leaves_the_shared_state_as_it_was(preview_run: JobRun, main_deployed: EngineProject,
                                                         minio: MinioServer) -> None:
    assert preview_run.succeeded
    assert minio.lock_keys() == []
    assert "worker-2" not in nodes_of(main_deployed.outputs()["network"])
    main_deployed.stack.preview(expect_no_changes=True)


def test_a_preview_of_cluster_objects_needs_no_cluster_and_says_it_did_not_contact_it(
    cluster_objects_run: JobRun,
) -> None:
    assert cluster_objects_run.succeeded, cluster_objects_run.log()[-5000:]
    log = cluster_objects_run.log()
    assert sum("kthw: the cluster was not contacted" in line for line in log.splitlines()) == 1, log[-5000:]
    diff = str(cluster_objects_run.artifacts[ARTIFACT])
    resources = diff_sections(diff)[0]
    for kind in ("kubernetes:apps/v1:DaemonSet", "kubernetes:apps/v1:Deployment", "kubernetes:core/v1:Service",
                 "pulumi:providers:kubernetes"):
        assert f"+ {kind}: (create)" in resources, resources[:3000]
    assert "IPALLOC_RANGE" in resources and "10.32.0.10" in resources
    assert "+ kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding: (create)" in resources
    assert "kthw:user:alice:ClusterRole:view" in resources and "+ kthw:index:UserCredentials: (create)" in resources
    assert re.search(r"kubeconfig\s*: \[secret\]", resources), "the provider's kubeconfig shows as a secret"
    assert "client-key-data" not in diff and "PRIVATE KEY" not in diff


def test_removing_one_of_5000_nodes_shows_at_the_top_of_the_comment(removal_run: JobRun) -> None:
    assert removal_run.succeeded, removal_run.log()[-5000:]
    comment = removal_run.outputs["preview"]["comment"]
    top = comment.splitlines()[:COMMENT_TOP]
    assert f"- **Nodes:** 4999 planned, 5000 deployed: 1 removed ({REMOVED})" in top
    assert "- **Outputs:** `network` changed" in top
    removal_lines = [line for line in top if line.split()[:2] == ["-", REMOVED]]
    assert len(removal_lines) == 2, "\n".join(top)  # its nodeTable line and its route
    assert "cut" not in comment and len(comment.encode()) < 5000
    _, diff = comment_parts(comment)
    assert removal_run.artifacts[ARTIFACT] == diff


def test_a_diff_too_large_for_a_comment_is_cut_plainly_and_attached_whole(large_change_run: JobRun) -> None:
    assert large_change_run.succeeded, large_change_run.log()[-5000:]
    comment = large_change_run.outputs["preview"]["comment"]
    whole = large_change_run.artifacts[ARTIFACT]
    assert whole is not None and len(whole.encode()) > 4 * LIMIT
    assert len(comment.encode()) <= LIMIT
    summary, diff = comment_parts(comment)
    assert (f"- **Nodes:** 4999 planned, 5000 deployed: 1 removed ({REMOVED}), {READDRESSED} readdressed "
            f"(worker-0, worker-1, worker-10, worker-100, worker-1000, worker-1001, worker-1002, worker-1003, "
            f"worker-1004, worker-1005 and {READDRESSED - 10} more)\n") in summary
    shown, marker = diff.rsplit("[... cut here", 1)
    assert whole.startswith(shown) and shown.endswith("\n")
    total_lines, total_bytes = len(whole.splitlines()), len(whole.encode())
    shown_lines, shown_bytes = len(shown.splitlines()), len(shown.encode())
    assert (f"**The diff below is cut** after line {shown_lines:,} of {total_lines:,} ({shown_bytes:,} of "
            f"{total_bytes:,} bytes): the whole diff is the artifact `{ARTIFACT}` of [this workflow run]"
            "(https://github.com/example/kthw/actions/runs/1).") in summary
    assert marker == (f": {total_lines - shown_lines:,} more lines ({total_bytes - shown_bytes:,} bytes) are only "
                      f"in the artifact {ARTIFACT}]\n")
    # The artifact is the whole diff: every changed node, and the resource counts that close it.
    assert sum(line.split()[:1] == ["+"] and line.split()[1].startswith("worker-") for line in whole.splitlines()) \
        == 2 * READDRESSED
    assert any(line.split()[:2] == ["-", REMOVED] for line in whole.splitlines())
    assert re.search(r"\nResources:\n\s+10 unchanged\n", whole)
