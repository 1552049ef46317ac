"""The pull-request workflow: valid for GitHub (actionlint), and it lints, tests and comments a preview diff."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "preview.yml"


def actionlint() -> str:
    """actionlint from the project's toolchain script (on PATH, cached, or built from its Go module)."""
    result = subprocess.run([str(ROOT / "toolchain" / "actionlint.sh")], capture_output=True, text=True, check=True,
                            timeout=900)
    return result.stdout.strip().splitlines()[-1]


def load() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return workflow


def test_actionlint_accepts_the_workflow() -> None:
    result = subprocess.run([actionlint(), "-no-color", str(WORKFLOW)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_runs_on_pull_requests_and_may_comment() -> None:
    workflow = load()
    assert "pull_request" in workflow[True]  # PyYAML reads the key `on` as True
    assert workflow["permissions"]["pull-requests"] == "write"


def test_lint_and_unit_tests_gate_the_preview() -> None:
    jobs = load()["jobs"]
    commands = "\n".join(step.get("run", "") for step in jobs["test"]["steps"])
    assert "ruff check" in commands and "mypy" in commands and "pytest" in commands
    assert jobs["preview"]["needs"] == "test"


def test_preview_is_a_diff_commented_on_the_pr() -> None:
    steps = load()["jobs"]["preview"]["steps"]
    (pulumi,) = [step for step in steps if str(step.get("uses", "")).startswith("pulumi/actions@")]
    options = pulumi["with"]
    assert options["command"] == "preview" and options["stack-name"] == "dev"
    assert options["diff"] is True and options["comment-on-pr"] is True
