"""The pull-request flow on a shared S3 backend (MinIO), with the workflow's own shell steps: clone A deploys main;
clone B, a fresh clone that holds only what CI holds (the backend URL, the passphrase, S3 credentials), adds a node
and runs the preview job's `run:` steps read from .github/workflows/preview.yml. The diff shows the new node and
nothing else, and no secret value."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from components.network_tables import nodes_of
from tests.backends import MinioServer, minio_server
from tests.engine import PASSPHRASE, ROOT, EngineProject, diff_lines, diff_sections
from tests.workflow_runner import JobRun, load_workflow, run_job, shell_steps

pytestmark = pytest.mark.engine

NEW_NODE = {"name": "worker-2", "address": "172.31.104.203"}
# Shell steps this machine has already done for the clone: the harness's .venv holds requirements-dev.txt, a
# superset of what "Install" puts there (the test below pins that step's text).
PROVIDED_STEPS = ("Install",)
INSTALL_STEP = "python -m venv .venv\n.venv/bin/pip install -r requirements.txt\n"


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
    runner = tmp_path_factory.mktemp("runner")
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


def test_the_provided_steps_only_install_the_requirements() -> None:
    steps = {step.get("name"): step for step in shell_steps(load_workflow(), "preview")}
    assert set(PROVIDED_STEPS) <= set(steps)
    assert steps["Install"]["run"] == INSTALL_STEP


def test_the_preview_job_succeeds_from_a_fresh_clone(preview_run: JobRun) -> None:
    assert preview_run.succeeded, preview_run.log()
    assert [step.name for step in preview_run.steps] == ["pulumi preview --diff"]


def test_the_diff_shows_the_new_node_and_nothing_else(preview_run: JobRun) -> None:
    comment = preview_run.outputs["preview"]["comment"]
    assert comment in preview_run.summary
    assert "WARN" not in comment, comment
    resources, outputs = (diff_lines(part) for part in diff_sections(comment))
    assert resources == [], comment
    assert re.search(r"Resources:\s+\d+ unchanged", comment) and "to create" not in comment
    assert outputs, comment
    assert not any(re.search(r"worker-[01]\b|172\.31\.10[14]\.(60|202)\b", line) for line in outputs), outputs
    assert any("+ worker-2" in line for line in outputs), outputs
    assert any('"10.200.2.0/24"' in line for line in outputs), outputs
    assert any(f'"{NEW_NODE["address"]}"' in line for line in outputs), outputs


def test_no_secret_value_reaches_the_preview(preview_run: JobRun, main_deployed: EngineProject,
                                              minio: MinioServer) -> None:
    text = preview_run.log() + preview_run.summary + preview_run.outputs["preview"]["comment"]
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
