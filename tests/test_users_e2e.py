"""Access that can be taken back, end to end: the real CLI and plugins, the managed tunnel through an sshd, and a
kube-apiserver with ``--authorization-mode=Node,RBAC`` started from the stack's own flags.

A user bound to ``view`` reads and may not write; `kubectl auth whoami` shows their name and groups; removing them
makes the same kubeconfig get 403 on the next `up`, and putting them back (warned of) makes it work again. The RBAC
admin loses everything with its binding while the break-glass kubeconfig and kthw's own provider go on working, and
the next `up` puts the binding back. A user with their own key, the tutorial's kubelet RBAC, a namespace or role
the cluster lacks, an empty no-change preview, a renewal that touches one user's certificate alone, and a change of
role whose new binding is made before the old one is deleted.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers.cluster import ClusterError, KubeApiserver, wait_until, write_private
from tests.helpers.cluster_stack import Shared, Stack, admin_kubectl, get_json, shared_lab
from tests.helpers.engine import ADMIN_CERT_TYPE
from tests.helpers.lab import kubectl
from tests.helpers.pki import csr_pem, ec_key, key_pem

pytestmark = pytest.mark.e2e

ALICE = {"name": "alice", "groups": ["dev"], "clusterRole": "view"}
BOB = {"name": "bob", "roles": {"team-b": {"role": "reader"}}}
FORBIDDEN = "Forbidden"


@pytest.fixture(scope="module")
def shared() -> Iterator[Shared]:
    with shared_lab() as lab:
        yield lab


class Kubeconfigs:
    """The stack's kubeconfigs written to files, and kubectl through the tunnel with one of them alone."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.directory = stack.access.directory

    def save(self, name: str, text: str) -> Path:
        path = self.directory / f"{name}.kubeconfig"
        write_private(path, text)
        return path

    def of(self, output: str, key: str | None = None, file: str | None = None) -> Path:
        """The kubeconfig of ``output`` (of its ``key``, for a map of them) in the file ``file`` (else its name)."""
        value: Any = self.stack.project.outputs()[output]
        return self.save(file or key or output, value if key is None else value[key])

    def kubectl(self, path: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return kubectl([f"--kubeconfig={path}", f"--cache-dir={self.directory / 'kube-cache'}"], *args)

    def allowed(self, path: Path, *args: str, expected: bool = True) -> bool:
        """Whether kubectl with ``path`` may do ``args``: polled until that is ``expected`` (kube-apiserver follows
        the bindings through an informer, a second or so behind) or 30 s have passed; anything but success or 403
        fails the test."""
        last: list[subprocess.CompletedProcess[str]] = []

        def settled() -> bool:
            last[:] = [self.kubectl(path, *args)]
            assert last[0].returncode == 0 or FORBIDDEN in last[0].stderr, last[0].stderr
            return (last[0].returncode == 0) == expected

        with contextlib.suppress(ClusterError):
            wait_until(settled, 30, f"kubectl {' '.join(args)}")
        return last[0].returncode == 0

    def refused(self, path: Path, *args: str) -> bool:
        """Whether kubectl with ``path`` gets 403 for ``args`` (polled as ``allowed`` is)."""
        return not self.allowed(path, *args, expected=False)


def pulumi_up(stack: Stack) -> str:
    """`pulumi up` that must succeed; what it printed."""
    result = stack.access.pulumi("up", "--yes", "--skip-preview")
    said = result.stdout + result.stderr
    assert result.returncode == 0, said
    return said


def own_key_and_request(name: str, directory: Path) -> tuple[Path, str]:
    key = ec_key()
    path = directory / f"{name}.key"
    write_private(path, key_pem(key))
    return path, csr_pem(key, name)


def key_of(kubeconfig: str) -> str:
    """The PEM private key of a kubeconfig's user."""
    return base64.b64decode(yaml.safe_load(kubeconfig)["users"][0]["user"]["client-key-data"]).decode()


def plain_key_lines(backend: Path, keys: list[str]) -> list[str]:
    """The backend's files (state, backups, history) that hold a line of one of the PEM ``keys`` in plain text."""
    lines = [line for key in keys for line in key.splitlines()[1:-1] if len(line) >= 40]
    return [str(path) for path in sorted(backend.rglob("*")) if path.is_file()
            for text in [path.read_text(errors="replace")] if any(line in text for line in lines)]


def resource_version(apiserver: KubeApiserver, *args: str) -> str:
    version: str = get_json(apiserver, *args)["metadata"]["resourceVersion"]
    return version


def test_users_are_granted_revoked_and_restored_and_the_rbac_admin_has_a_way_back(shared: Shared,
                                                                                 tmp_path: Path) -> None:
    stack = Stack(shared, tmp_path, "u", users=[ALICE], adminAccess="rbac", breakGlass=True,
                  kubeletApiUser="kubernetes")
    network = stack.first_up_without_a_cluster()
    apiserver = stack.start_control_plane(network["flags"], "users")
    pulumi_up(stack)
    files = Kubeconfigs(stack)

    alice = files.of("userKubeconfigs", "alice")
    assert files.allowed(alice, "get", "pods", "-A")
    assert files.refused(alice, "create", "namespace", "alice-was-here")
    whoami = json.loads(files.kubectl(alice, "auth", "whoami", "-o", "json").stdout)
    assert whoami["status"]["userInfo"]["username"] == "alice"
    assert set(whoami["status"]["userInfo"]["groups"]) == {"dev", "system:authenticated"}

    admin = files.of("kubeconfig")
    assert files.allowed(admin, "create", "namespace", "team-b"), "the RBAC admin is cluster-admin by its group"
    can = admin_kubectl(apiserver, "auth", "can-i", "get", "nodes", "--subresource=proxy",
                        "--as=kubernetes")
    assert can.stdout.strip() == "yes", "the tutorial's kubelet RBAC is bound to kube-apiserver's user"
    outputs = stack.project.outputs()
    assert outputs["users"]["alice"]["bindings"] == ["ClusterRoleBinding/kthw:user:alice:ClusterRole:view"]
    keys = [key_of(outputs["userKubeconfigs"]["alice"]), key_of(outputs["breakGlassKubeconfig"]),
            key_of(outputs["kubeconfig"])]
    assert plain_key_lines(stack.project.backend, keys) == [], "a private key in plain text in the backend"
    assert stack.project.preview_changes() == {}, "a no-change preview is empty"

    stack.project.update_config(users=[])
    pulumi_up(stack)
    assert files.refused(alice, "get", "pods", "-A"), "a removed user's certificate gets 403"
    assert files.kubectl(alice, "auth", "whoami").returncode == 0, "the default bindings still answer whoami"
    removed = stack.project.outputs()
    assert "userKubeconfigs" not in removed and set(removed["revokedUsers"]) == {"alice"}
    assert not [item for item in stack.project.resources() if item["urn"].endswith("::alice-key")], (
        "the removed user's key leaves the latest state")

    stack.project.update_config(users=[ALICE])
    said = pulumi_up(stack)
    assert "users[0].name: alice was removed at" in said, said
    again = files.of("userKubeconfigs", "alice", file="alice-again")
    assert again.read_text() != alice.read_text(), "a new certificate is issued"
    assert files.allowed(alice, "get", "pods", "-A"), "the old certificate works again: the name is the identity"

    delete = admin_kubectl(apiserver, "delete", "clusterrolebinding", "kthw:cluster-admins")
    assert delete.returncode == 0, delete.stderr
    assert files.refused(admin, "get", "pods", "-A"), "the RBAC admin's access goes with its binding"
    glass = files.of("breakGlassKubeconfig")
    assert files.allowed(glass, "get", "pods", "-A"), "break-glass does not depend on RBAC"
    stack.project.cli("refresh", "--yes")
    pulumi_up(stack)  # kthw's provider is not the admin: it puts the binding back
    assert files.allowed(admin, "get", "pods", "-A")

    before = resource_version(apiserver, "clusterrolebinding", "kthw:user:alice:ClusterRole:view")
    stack.project.age_certificate(ADMIN_CERT_TYPE, 12, name="alice-cert")  # inside alice's renewal window
    changes = stack.project.preview_changes()
    assert set(changes) == {"alice-cert"}, changes
    pulumi_up(stack)
    assert files.of("userKubeconfigs", "alice", file="alice-renewed").read_text() != again.read_text()
    assert resource_version(apiserver, "clusterrolebinding", "kthw:user:alice:ClusterRole:view") == before

    stack.project.update_config(users=[{**ALICE, "clusterRole": "edit"}])
    said = pulumi_up(stack)
    made = said.index("kthw:user:alice:ClusterRole:edit created")
    assert made < said.index("kthw:user:alice:ClusterRole:view deleted"), "the new grant exists before the old goes"
    stack.project.destroy()


def test_a_user_s_own_key_stays_with_them_and_missing_namespaces_and_roles_are_named(shared: Shared,
                                                                                      tmp_path: Path) -> None:
    stack = Stack(shared, tmp_path, "o")
    key, request = own_key_and_request("robot", stack.access.directory)
    stack.project.update_config(users=[{"name": "robot", "clusterRole": "view", "csr": request}, BOB])
    network = stack.first_up_without_a_cluster()
    apiserver = stack.start_control_plane(network["flags"], "own")
    missing = stack.access.pulumi("up", "--yes", "--skip-preview")
    said = missing.stdout + missing.stderr
    assert missing.returncode != 0 and "users[1] (bob): the cluster has no Namespace team-b" in said, said
    assert admin_kubectl(apiserver, "create", "namespace", "team-b").returncode == 0
    said = pulumi_up(stack)
    assert "users[1] (bob): the cluster has no Role reader in namespace team-b" in said, said

    files = Kubeconfigs(stack)
    robot = files.of("userKubeconfigs", "robot")
    config = yaml.safe_load(robot.read_text())
    assert "client-key-data" not in config["users"][0]["user"], "kthw never had the key"
    set_key = subprocess.run(["kubectl", f"--kubeconfig={robot}", "config", "set-credentials", "robot",
                              f"--client-key={key}"], capture_output=True, text=True, check=False)
    assert set_key.returncode == 0, set_key.stderr
    assert files.allowed(robot, "get", "pods", "-A")
    assert not [item for item in stack.project.resources() if item["urn"].endswith("::robot-key")]
    stack.project.destroy()
