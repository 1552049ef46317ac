"""Run a GitHub Actions job's own shell steps (read from the workflow file) on this machine, the way a runner runs
them: ``bash --noprofile --norc -eo pipefail``, the workflow's, job's and step's ``env`` with ``secrets.*`` and
``vars.*`` filled in, and the files a step writes to (GITHUB_PATH, GITHUB_ENV, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY).

Steps that ``uses:`` an action are the harness's business (the checkout is the directory given; Python, Go and the
toolchain cache are this machine's), except that what an ``actions/upload-artifact`` step would upload is read from
its ``path`` and kept under its ``name``. Only the expressions a workflow needs in ``env`` are understood:
``secrets.NAME``, ``vars.NAME``, quoted strings and ``||``; and in a step's ``if``, only ``!cancelled()``; anything
else is an error, so a workflow cannot grow an expression this harness would silently misread.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

WORKFLOW = Path(__file__).resolve().parents[2] / ".github" / "workflows" / "preview.yml"
"""The pull-request preview workflow."""


def load_workflow() -> dict[Any, Any]:
    """The workflow file, parsed (PyYAML reads the key ``on`` as True, hence keys of any type)."""
    workflow: dict[Any, Any] = yaml.safe_load(WORKFLOW.read_text())
    return workflow


EXPRESSION = re.compile(r"^\$\{\{\s*(.*?)\s*\}\}$")
OPERAND = re.compile(r"^(secrets|vars)\.([A-Za-z_][A-Za-z0-9_]*)$|^'([^']*)'$")
HEREDOC_START = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)<<(.+)$")
AFTER_FAILURE = "${{ !cancelled() }}"
"""The one step condition understood: run the step after an earlier one failed too (not on cancellation)."""
UPLOAD_ARTIFACT = "actions/upload-artifact@"
RUNNER_DEFAULTS = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "example/kthw",
                   "GITHUB_RUN_ID": "1"}
"""Default variables of every GitHub Actions step that the workflow reads (a made-up repository and run)."""


class WorkflowError(RuntimeError):
    """The workflow uses something the harness does not run, or a step failed."""


def evaluate(value: Any, secrets: dict[str, str], variables: dict[str, str]) -> str:
    """An ``env`` value: a literal, or ``${{ a || b }}`` over secrets, vars and quoted strings (the first that is
    not empty, as GitHub's ``||`` does with strings)."""
    text = str(value)
    if "${{" not in text:
        return text
    match = EXPRESSION.match(text)
    if match is None:
        raise WorkflowError(f"only a whole-value expression is supported in env, got {text!r}")
    for operand in (part.strip() for part in match.group(1).split("||")):
        found = OPERAND.match(operand)
        if found is None:
            raise WorkflowError(f"unsupported expression operand {operand!r} in {text!r}")
        context, name, literal = found.groups()
        result = literal if literal is not None else (secrets if context == "secrets" else variables).get(name, "")
        if result:
            return result
    return ""


def parse_output_file(text: str) -> dict[str, str]:
    """GITHUB_OUTPUT / GITHUB_ENV: ``NAME=value`` lines and ``NAME<<DELIMITER`` blocks."""
    values: dict[str, str] = {}
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        heredoc = HEREDOC_START.match(line)
        if heredoc:
            name, delimiter = heredoc.groups()
            end = lines.index(delimiter, index + 1)
            values[name] = "\n".join(lines[index + 1:end])
            index = end + 1
            continue
        if "=" in line:
            name, value = line.split("=", 1)
            values[name] = value
        index += 1
    return values


@dataclass
class StepResult:
    name: str
    returncode: int
    output: str


@dataclass
class JobRun:
    """What running a job's shell steps left: each step's result, the job's step outputs, its summary."""

    steps: list[StepResult] = field(default_factory=list)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: str = ""
    artifacts: dict[str, str | None] = field(default_factory=dict)
    """Artifact name -> the text of the file its upload step names; None when there was no such file."""

    @property
    def succeeded(self) -> bool:
        return all(step.returncode == 0 for step in self.steps)

    def log(self) -> str:
        return "\n".join(f"--- step {step.name!r} exited {step.returncode}:\n{step.output}" for step in self.steps)


def shell_steps(workflow: dict[str, Any], job: str) -> list[dict[str, Any]]:
    """The job's ``run:`` steps, in order."""
    return [step for step in workflow["jobs"][job]["steps"] if "run" in step]


def run_job(
    workflow: dict[str, Any],
    job: str,
    checkout: Path,
    runner_temp: Path,
    *,
    secrets: dict[str, str],
    variables: dict[str, str],
    machine_env: dict[str, str],
    provided: tuple[str, ...] = (),
    timeout: float = 900,
) -> JobRun:
    """Run the ``run:`` steps of ``job`` in ``checkout``, in order; after one fails, only the steps marked
    ``if: ${{ !cancelled() }}``. Steps named in ``provided`` are not run: the caller has already done what they do
    on this machine. ``machine_env`` is the runner's own environment (PATH, HOME...)."""
    definition = workflow["jobs"][job]
    runner_temp.mkdir(parents=True, exist_ok=True)
    files = {name: runner_temp / name.lower() for name in
             ("GITHUB_PATH", "GITHUB_ENV", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")}
    for path in files.values():
        path.write_text("")
    shell = definition.get("defaults", workflow.get("defaults", {})).get("run", {}).get("shell")
    if shell != "bash":
        raise WorkflowError(f"job {job!r} must run its steps with `shell: bash` (got {shell!r})")
    run = JobRun()
    failed = False
    for index, step in enumerate(definition["steps"]):
        name = step.get("name", f"step {index}")
        condition = step.get("if")
        if condition not in (None, AFTER_FAILURE):
            raise WorkflowError(f"step {name!r}: only `if: {AFTER_FAILURE}` is supported, got {condition!r}")
        if failed and condition is None:
            continue
        if str(step.get("uses", "")).startswith(UPLOAD_ARTIFACT):
            path = checkout / step["with"]["path"]
            run.artifacts[step["with"]["name"]] = path.read_text() if path.is_file() else None
            continue
        if "run" not in step or name in provided:
            continue
        env = {**machine_env, "CI": "true", "GITHUB_ACTIONS": "true", "GITHUB_WORKSPACE": str(checkout),
               **RUNNER_DEFAULTS, "RUNNER_TEMP": str(runner_temp),
               **{key: str(path) for key, path in files.items()}}
        for scope in (workflow.get("env", {}), definition.get("env", {}), step.get("env", {})):
            env.update({key: evaluate(value, secrets, variables) for key, value in scope.items()})
        env.update(parse_output_file(files["GITHUB_ENV"].read_text()))
        added_path = [line for line in files["GITHUB_PATH"].read_text().splitlines() if line]
        env["PATH"] = ":".join([*reversed(added_path), env.get("PATH", "/usr/bin:/bin")])
        before = files["GITHUB_OUTPUT"].read_text()
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], cwd=checkout, env=env,
            stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout, check=False,
        )
        run.steps.append(StepResult(name, result.returncode, result.stdout + result.stderr))
        if "id" in step:
            run.outputs[step["id"]] = parse_output_file(files["GITHUB_OUTPUT"].read_text()[len(before):])
        failed = failed or result.returncode != 0
    run.summary = files["GITHUB_STEP_SUMMARY"].read_text()
    return run
