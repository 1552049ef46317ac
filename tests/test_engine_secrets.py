"""Config set with --secret on the real Pulumi engine: no value reaches the backend's files (state, history,
backups) in plain text through preview, a failed up and destroy, a change shows in `pulumi preview --diff` without
its value, and a secret field's integer is read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.helpers.cluster import free_port
from tests.helpers.engine import EngineProject, diff_sections

pytestmark = pytest.mark.engine

ADDRESS = "127.0.0.93"
USER = "kthwsecretuser"


def plain_occurrences(backend: Path, needles: list[str]) -> list[str]:
    """Every file of the backend directory (state, .bak, history, backups) holding a needle as a word of its own:
    not inside base64 ciphertext."""
    pattern = re.compile("|".join(rf"(?<![A-Za-z0-9+/.]){re.escape(needle)}(?![A-Za-z0-9+/])" for needle in needles))
    return [f"{path.relative_to(backend)}: {match.group()}" for path in sorted(backend.rglob("*")) if path.is_file()
            for match in [pattern.search(path.read_text(errors="replace"))] if match]


def test_a_secret_load_balancer_never_reaches_the_backend_in_plain_text(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    port = free_port()  # nothing listens there: ssh fails, and says where it tried to connect
    project.update_config(tunnel={"manage": True})
    for field, value in (("address", ADDRESS), ("user", USER), ("sshPort", str(port))):
        project.cli("config", "set", "--secret", "--path", f"kthw:loadBalancer.{field}", value)
    needles = [ADDRESS, USER, str(port)]

    preview = project.cli("preview", "--diff")
    assert plain_occurrences(project.backend, needles) == []
    failed = project.cli("up", "--yes", check=False)
    assert failed.returncode != 0 and "[secret]" in failed.stdout
    assert not any(needle in failed.stdout + failed.stderr for needle in needles), failed.stdout
    assert not any(needle in preview.stdout + preview.stderr for needle in needles)
    assert project.outputs()["tunnelCommand"].endswith(f"-p {port} {USER}@{ADDRESS}")  # recorded, as a secret
    assert plain_occurrences(project.backend, needles) == []
    project.destroy()
    assert plain_occurrences(project.backend, needles) == []
    assert list((project.backend / ".pulumi" / "history").rglob("*.json")), "the history was searched"


def test_a_change_of_secret_config_shows_in_the_preview_without_its_value(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    project.cli("config", "set", "--secret", "--path", "kthw:loadBalancer.address", "172.31.108.99")
    project.cli("config", "set", "--secret", "--path", "kthw:nodes[0].name", "worker-0")
    project.up()
    assert "10 unchanged" in project.cli("preview", "--diff").stdout
    project.cli("config", "set", "--secret", "--path", "kthw:loadBalancer.address", "172.31.108.98")
    project.cli("config", "set", "--secret", "--path", "kthw:nodes[2].name", "worker-2")
    project.cli("config", "set", "--secret", "--path", "kthw:nodes[2].address", "172.31.104.203")
    preview = project.cli("preview", "--diff").stdout
    outputs = diff_sections(preview)[1]
    assert re.search(r"~ secretConfigFingerprints", outputs), preview
    assert re.search(r"~ loadBalancer\s*: \"hmac-sha256:[0-9a-f]{32}\" => \"hmac-sha256:[0-9a-f]{32}\"", outputs)
    assert re.search(r"~ nodes\s*: \"hmac-sha256:", outputs)
    assert "172.31.108.98" not in preview and "worker-2" not in preview and "172.31.104.203" not in preview
    project.destroy()
