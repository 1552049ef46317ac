"""The pull-request workflow: valid for GitHub (actionlint), safe (same-repository pull requests only, least
permissions, no expression inside a script), pinned to the toolchain's CLI, and gated by lint and unit tests.
Its preview steps themselves run in tests/test_pr_workflow.py."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

from tests.helpers.engine import script_constant
from tests.helpers.workflow_runner import WORKFLOW, load_workflow

ROOT = Path(__file__).resolve().parent.parent
SECRET_EXPRESSION = re.compile(r"\$\{\{[^}]*\bsecrets\.")


def actionlint() -> str:
    """actionlint from the project's toolchain script (on PATH, cached, or built from its Go module)."""
    result = subprocess.run([str(ROOT / "toolchain" / "actionlint.sh")], capture_output=True, text=True, check=True,
                            timeout=900)
    return result.stdout.strip().splitlines()[-1]


def test_actionlint_accepts_the_workflow() -> None:
    result = subprocess.run([actionlint(), "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_on_pull_requests_only_never_with_the_base_repositorys_rights() -> None:
    triggers = load_workflow()[True]  # PyYAML reads the key `on` as True
    assert list(triggers) == ["pull_request"]  # never pull_request_target: a branch's code with the base's rights


def test_the_preview_runs_only_for_branches_of_this_repository() -> None:
    preview = load_workflow()["jobs"]["preview"]
    assert preview["if"] == "github.event.pull_request.head.repo.full_name == github.repository"


def test_the_token_can_only_read_except_where_the_comment_is_written() -> None:
    workflow = load_workflow()
    assert workflow["permissions"] == {"contents": "read"}
    for name, job in workflow["jobs"].items():
        if name == "comment":
            assert job["permissions"] == {"pull-requests": "write"}
        else:
            assert "permissions" not in job, name


def test_the_job_that_may_write_holds_no_secret_and_runs_no_code_from_the_branch() -> None:
    comment = load_workflow()["jobs"]["comment"]
    assert not SECRET_EXPRESSION.search(yaml.safe_dump(comment))
    assert all("uses" not in step for step in comment["steps"])
    assert [step["run"].split()[:3] for step in comment["steps"]] == [["gh", "pr", "comment"]]


def test_no_expression_is_expanded_inside_a_script() -> None:
    for name, job in load_workflow()["jobs"].items():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), (name, step.get("name"))


def test_checkouts_keep_no_token() -> None:
    for job in load_workflow()["jobs"].values():
        for step in job["steps"]:
            if str(step.get("uses", "")).startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False


def test_the_cli_version_is_the_toolchains() -> None:
    pinned = load_workflow()["env"]["PULUMI_VERSION"]
    assert pinned == script_constant("CLI_VERSION")
    (preview,) = [step for step in load_workflow()["jobs"]["preview"]["steps"] if step.get("id") == "preview"]
    assert "\n. scripts/env.sh" in preview["run"] and '"v$PULUMI_VERSION"' in preview["run"]


def test_lint_and_unit_tests_gate_the_preview() -> None:
    jobs = load_workflow()["jobs"]
    commands = "\n".join(step.get("run", "") for step in jobs["test"]["steps"])
    assert "ruff check" in commands and "mypy" in commands and "pytest" in commands
    assert jobs["preview"]["needs"] == "test"


def test_the_preview_is_a_diff_of_the_dev_stack_in_the_summary_and_the_comment() -> None:
    jobs = load_workflow()["jobs"]
    (preview,) = [step for step in jobs["preview"]["steps"] if step.get("id") == "preview"]
    assert "pulumi preview --stack dev --diff --non-interactive" in preview["run"]
    assert '>> "$GITHUB_STEP_SUMMARY"' in preview["run"]
    assert jobs["preview"]["outputs"]["comment"] == "${{ steps.preview.outputs.comment }}"
    assert jobs["comment"]["needs"] == "preview"


def test_the_whole_diff_is_attached_whatever_the_preview_s_exit_status() -> None:
    steps = load_workflow()["jobs"]["preview"]["steps"]
    (preview,) = [step for step in steps if step.get("id") == "preview"]
    (upload,) = [step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    assert steps.index(upload) == steps.index(preview) + 1
    assert upload["if"] == "${{ !cancelled() }}"  # after a failed preview too: its output says why
    # Pinned as the workflow's other actions are: by major version.
    assert re.fullmatch(r"actions/upload-artifact@v\d+", upload["uses"])
    assert "> preview.txt 2>&1" in preview["run"] and upload["with"]["path"] == "preview.txt"
    assert f"--artifact {upload['with']['name']} > preview.md" in preview["run"]
