"""The rendered kubeconfig is what the tutorial's kubectl commands write, checked by kubectl itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.kubeconfig import render_kubeconfig
from tests.pki import make_ca, make_client

KUBECTL = shutil.which("kubectl")


def kubectl(kubeconfig: Path, *args: str, cwd: Path | None = None) -> str:
    assert KUBECTL, "kubectl must be on PATH (the machine image has it)"
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run(
        [KUBECTL, *args], env=env, cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


def view(kubeconfig: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(kubectl(kubeconfig, "config", "view", "--raw", "-o", "json"))
    return result


@pytest.fixture
def credentials(tmp_path: Path) -> dict[str, str]:
    ca = make_ca()
    admin = make_client(ca)
    (tmp_path / "ca.pem").write_text(ca.cert)
    (tmp_path / "admin.pem").write_text(admin.cert)
    (tmp_path / "admin-key.pem").write_text(admin.key)
    return {"ca_cert_pem": ca.cert, "client_cert_pem": admin.cert, "client_key_pem": admin.key}


def tutorial_kubeconfig(directory: Path, cluster: str, user: str, server: str) -> Path:
    """What the tutorial's commands (with --embed-certs on the credentials too) write."""
    path = directory / "tutorial-kubeconfig"
    kubectl(path, "config", "set-cluster", cluster, "--certificate-authority=ca.pem", "--embed-certs=true",
            f"--server={server}", cwd=directory)
    kubectl(path, "config", "set-credentials", user, "--client-certificate=admin.pem",
            "--client-key=admin-key.pem", "--embed-certs=true", cwd=directory)
    kubectl(path, "config", "set-context", cluster, f"--cluster={cluster}", f"--user={user}", cwd=directory)
    kubectl(path, "config", "use-context", cluster, cwd=directory)
    return path


@pytest.mark.parametrize(
    ("cluster", "user", "server"),
    [
        ("kubernetes-the-hard-way", "admin", "https://localhost:6443"),
        ("lab.example", "system:admin", "https://localhost:16443"),
    ],
)
def test_kubeconfig_equals_what_kubectl_writes(
    tmp_path: Path, credentials: dict[str, str], cluster: str, user: str, server: str
) -> None:
    ours = tmp_path / "kthw-kubeconfig"
    ours.write_text(render_kubeconfig(cluster_name=cluster, user=user, server=server, **credentials))
    theirs = tutorial_kubeconfig(tmp_path, cluster, user, server)
    assert view(ours) == view(theirs)
    assert ours.read_text() == theirs.read_text()
    assert kubectl(ours, "config", "current-context").strip() == cluster


def test_rendering_is_deterministic(credentials: dict[str, str]) -> None:
    first = render_kubeconfig(cluster_name="c", user="u", server="https://localhost:6443", **credentials)
    second = render_kubeconfig(cluster_name="c", user="u", server="https://localhost:6443", **credentials)
    assert first.encode() == second.encode()
    assert "\n    client-key-data: " in first and first.count("\n") == 19
