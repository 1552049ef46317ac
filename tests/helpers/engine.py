"""The real Pulumi engine for tests: the project's toolchain, a copy of the project and its state backend (a file
backend in a temporary directory unless another backend URL is given), and helpers to drive it through
pulumi.automation and the CLI."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from pulumi import automation as auto

ROOT = Path(__file__).resolve().parents[2]
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.dev.yaml", "__main__.py", "components")
PASSPHRASE = "kthw-engine-tests"
ADMIN_CERT_TYPE = "tls:index/locallySignedCert:LocallySignedCert"
EXPIRY_OUTPUT_OF_TYPE = {
    ADMIN_CERT_TYPE: "adminCertNotAfter",
    "tls:index/selfSignedCert:SelfSignedCert": "caCertNotAfter",
}
CERT_NAME_OF_TYPE = {ADMIN_CERT_TYPE: "admin-admin-cert", "tls:index/selfSignedCert:SelfSignedCert": "admin-ca"}
"""The resource name of the admin's certificate and of the generated CA."""
REPLACED = ({"replace"}, {"create-replacement", "delete-replaced"})
"""How a replacement shows in a preview's steps."""
# pulumi-command repeats a failed command's whole script ("running '...'") in each error line.
_ECHOED_SCRIPT = re.compile(r"running '(?:[^'\\]|\\.)*'")


def failure_summary(error: auto.CommandError) -> str:
    """What a failed update says, without echoed scripts and outputs: its diagnostics, then its stderr."""
    text = _ECHOED_SCRIPT.sub("running <script>", str(error))
    start = text.find("Diagnostics:")
    if start < 0:
        return text
    stderr_at = text.rfind("stderr:")  # CommandError ends with the command's stderr
    stdout, stderr = (text[start:stderr_at], text[stderr_at:]) if stderr_at > start else (text[start:], "")
    diagnostics = stdout.split("\nOutputs:")[0].rstrip()
    return f"{diagnostics}\n{stderr}" if stderr else diagnostics


def drop_encryption_salt(stack_file: Path) -> None:
    """Remove the passphrase salt a stack file may carry from another backend (``make up`` writes one): it belongs
    to that backend's passphrase, and the tests' stack makes its own."""
    lines = stack_file.read_text().splitlines(keepends=True)
    stack_file.write_text("".join(line for line in lines if not line.startswith("encryptionsalt:")))


CHANGED_LINE = re.compile(r"^\s*[-+~]\s")
"""A line of `pulumi preview --diff` marked as added, removed or changed (the others are context)."""


def diff_lines(text: str) -> list[str]:
    """The lines of (a part of) `pulumi preview --diff` text marked as added, removed or changed."""
    return [line for line in text.splitlines() if CHANGED_LINE.match(line)]


def diff_sections(preview: str) -> tuple[str, str]:
    """(the resources part, the outputs part) of `pulumi preview --diff` text."""
    resources, _, rest = preview.partition("--outputs:--")
    return resources, rest.split("Resources:", 1)[0]


def script_constant(name: str, script: str = "pulumi.sh") -> str:
    """A ``NAME=value`` assignment of a toolchain script (toolchain/pulumi.sh by default)."""
    match = re.search(rf"^{name}=(\S+)", (ROOT / "toolchain" / script).read_text(), re.MULTILINE)
    assert match, f"{name} is not set in toolchain/{script}"
    return match.group(1)


def toolchain_script(name: str, *args: str) -> str:
    """Run ``toolchain/<name> ARGS`` (cached: seconds; on a fresh machine it builds) and return the last line it
    prints: a directory or a PATH fragment."""
    command = [str(ROOT / "toolchain" / name), *args]
    result = subprocess.run(command, capture_output=True, text=True, timeout=5400)
    if result.returncode != 0:
        raise RuntimeError(f"toolchain/{name} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    lines = result.stdout.strip().splitlines()
    return lines[-1] if lines else ""


@functools.cache
def toolchain() -> tuple[str, str]:
    """(the directory whose bin/ holds pulumi, PATH with the CLI, language host and plugins first), from the
    project's toolchain script: a cached build, or a build from Go modules and source snapshots on a fresh machine."""
    pulumi_bin = toolchain_script("pulumi.sh")
    return str(Path(pulumi_bin).parent), f"{pulumi_bin}:{os.environ['PATH']}"


@functools.cache
def plugin_directories() -> tuple[Path, ...]:
    """Every plugin the toolchain built, laid out as Pulumi's plugin cache (resource-NAME-vVERSION/): the tls and
    command plugins of toolchain/pulumi.sh and the kubernetes plugin of toolchain/kubernetes.sh."""
    caches = [Path(toolchain()[0]) / "plugins", Path(toolchain_script("kubernetes.sh"))]
    return tuple(plugin for cache in caches for plugin in sorted(cache.iterdir()) if plugin.is_dir())


def install_plugins(home: Path) -> None:
    """The toolchain's plugins in ``home``'s plugin cache: a directory per plugin (the engine does not list a linked
    directory) holding links to the binaries."""
    for plugin in plugin_directories():
        installed = home / "plugins" / plugin.name
        installed.mkdir(parents=True)
        for binary in plugin.iterdir():
            (installed / binary.name).symlink_to(binary.resolve())


class EngineProject:
    """A copy of the project in ``directory`` with its own file backend, or a clone of it on a shared backend.

    ``backend_url`` and ``backend_env`` (credentials) name a backend other projects may share (``postgres://``,
    ``s3://``); ``stack_config`` replaces the text of ``Pulumi.<stack>.yaml``, as a clone of a repository where
    another clone committed it (with its ``encryptionsalt``, which belongs to ``passphrase``)."""

    def __init__(
        self,
        directory: Path,
        stack_name: str = "dev",
        *,
        backend_url: str | None = None,
        backend_env: dict[str, str] | None = None,
        stack_config: str | None = None,
        passphrase: str = PASSPHRASE,
    ) -> None:
        self.dir = directory / "project"
        self.backend = directory / "state"
        self.home = directory / "pulumi-home"
        self.stack_name = stack_name
        self.home.mkdir(parents=True)
        if not backend_url:
            self.backend.mkdir(parents=True)
        root, path = toolchain()
        install_plugins(self.home)
        self.dir.mkdir(parents=True)
        for name in PROJECT_FILES:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, self.dir / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, self.dir / name)
        drop_encryption_salt(self.dir / "Pulumi.dev.yaml")
        if stack_config is not None:
            self.stack_file.write_text(stack_config)
        (self.dir / ".venv").symlink_to(ROOT / ".venv")
        self.env: dict[str, str] = {
            "PATH": path,
            "PULUMI_BACKEND_URL": backend_url or f"file://{self.backend}",
            "PULUMI_CONFIG_PASSPHRASE": passphrase,
            "PULUMI_HOME": str(self.home),
            "PULUMI_SKIP_UPDATE_CHECK": "1",
            "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "1",
            **(backend_env or {}),
        }
        self.stack = auto.create_or_select_stack(
            stack_name=stack_name,
            work_dir=str(self.dir),
            opts=auto.LocalWorkspaceOptions(env_vars=self.env, pulumi_command=auto.PulumiCommand(root=root)),
        )

    @property
    def stack_file(self) -> Path:
        return self.dir / f"Pulumi.{self.stack_name}.yaml"

    def update_config(self, **values: Any) -> None:
        """Set plain ``kthw:`` config values (structured ones as YAML), keeping secrets and the encryption salt;
        a value of None removes the key."""
        document = yaml.safe_load(self.stack_file.read_text()) or {}
        config = document.setdefault("config", {})
        for key, value in values.items():
            if value is None:
                config.pop(f"kthw:{key}", None)
            else:
                config[f"kthw:{key}"] = value
        self.stack_file.write_text(yaml.safe_dump(document, sort_keys=False))

    def set_secret(self, key: str, value: str) -> None:
        self.stack.set_config(f"kthw:{key}", auto.ConfigValue(value=value, secret=True))

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run the pulumi CLI in the project with the test environment."""
        result = subprocess.run(
            ["pulumi", *args, "--stack", self.stack_name], cwd=self.dir, env={**os.environ, **self.env},
            capture_output=True, text=True, timeout=600,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"pulumi {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result

    def start_cli(self, *args: str) -> subprocess.Popen[str]:
        """Start the pulumi CLI in the project (its own session, so the test can kill it and its plugins); stdout
        and stderr together, line-buffered."""
        return subprocess.Popen(
            ["pulumi", *args, "--stack", self.stack_name], cwd=self.dir, env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
            start_new_session=True,
        )

    def up(self) -> None:
        """``pulumi up`` that must succeed; on failure, the test fails with the update's diagnostics first."""
        self._must_succeed("up", self.stack.up)

    def destroy(self) -> None:
        """The whole teardown, CA included: unprotect everything (the generated CA is protected), then ``pulumi
        destroy``, which must succeed; on failure, the test fails with the diagnostics first."""
        self.cli("state", "unprotect", "--all", "--yes")
        self._must_succeed("destroy", self.stack.destroy)

    @staticmethod
    def _must_succeed(verb: str, operation: Callable[[], object]) -> None:
        try:
            operation()
        except auto.CommandError as error:
            raise AssertionError(f"pulumi {verb} failed:\n{failure_summary(error)}") from None

    def state_file(self) -> Path:
        return self.backend / ".pulumi" / "stacks" / "kthw" / f"{self.stack_name}.json"

    def deployment(self) -> dict[str, Any]:
        """The stack's checkpoint as the CLI exports it (``pulumi stack export``): its ``deployment`` part."""
        exported: dict[str, Any] = json.loads(self.cli("stack", "export").stdout)["deployment"]
        return exported

    def resources(self) -> list[dict[str, Any]]:
        """The resources of the stack's state (from the checkpoint the CLI exports)."""
        resources: list[dict[str, Any]] = self.deployment().get("resources") or []
        return resources

    def edit_state(self, edit: Callable[[list[dict[str, Any]]], None]) -> None:
        """Change the stack's state as another run or machine would have left it: export it, let ``edit`` change
        its resources in place, import it back."""
        exported = json.loads(self.cli("stack", "export").stdout)
        edit(exported["deployment"]["resources"])
        path = self.dir.parent / "edited-state.json"
        path.write_text(json.dumps(exported))
        self.cli("stack", "import", "--file", str(path))

    def age_certificate(self, resource_type: str, hours_left: float, name: str | None = None) -> None:
        """As if time had passed: the recorded validity end of the stack's ``resource_type`` certificate (the admin's
        or the CA; another one by its resource ``name``), and the stack output that reports the admin's or the CA's,
        become ``hours_left`` from now (an exported state, edited, imported)."""
        end = (datetime.now(UTC) + timedelta(hours=hours_left)).strftime("%Y-%m-%dT%H:%M:%SZ")
        resource_name = name or CERT_NAME_OF_TYPE[resource_type]

        def age(resources: list[dict[str, Any]]) -> None:
            (certificate,) = [item for item in resources
                              if item["type"] == resource_type and item["urn"].endswith(f"::{resource_name}")]
            (stack,) = [item for item in resources if item["type"] == "pulumi:pulumi:Stack"]
            certificate["outputs"]["validityEndTime"] = end
            if name is None:
                stack["outputs"][EXPIRY_OUTPUT_OF_TYPE[resource_type]] = end

        self.edit_state(age)

    def preview_changes(self) -> dict[str, set[str]]:
        """What `pulumi preview --json` would do, by resource name, without the unchanged ("same") resources."""
        steps = json.loads(self.cli("preview", "--json").stdout).get("steps", [])
        ops: dict[str, set[str]] = {}
        for step in steps:
            if step["op"] != "same":
                ops.setdefault(step["urn"].rsplit("::", 1)[-1], set()).add(step["op"])
        return ops

    def outputs(self) -> dict[str, Any]:
        return {name: value.value for name, value in self.stack.outputs().items()}

    def shown_outputs(self) -> dict[str, Any]:
        """Every output as `pulumi stack output --json --show-secrets` prints it."""
        shown: dict[str, Any] = json.loads(self.cli("stack", "output", "--json", "--show-secrets").stdout)
        return shown
