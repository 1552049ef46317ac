"""Stacks deployed by earlier releases, upgraded on the real engine where nothing can be downloaded: the project's
migration, then a first preview that shows exactly what CHANGELOG.md's "Upgrading a stack" says, then an `up` that
keeps the CA, the admin access and the pod CIDRs, and a preview with no changes after it.

The states are exports of stacks those releases deployed (tests/fixtures/states/README.md says how each was made).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from components.network.tables import NODE_TABLE, nodes_of
from tests.helpers.cluster import CertPair, Cluster, Pki, tool_env, write_private
from tests.helpers.engine import ROOT, EngineProject, diff_sections

pytestmark = pytest.mark.engine

FIXTURES = ROOT / "tests" / "fixtures" / "states"
FIXTURE_PASSPHRASE = "kthw-fixture"
RELEASE_ROWS = {"release-0.1": "0.1", "release-0.1-verify": "0.1 with `verify: true`", "release-0.2": "0.2",
                "release-0.3-before-move": "0.3 before the move into packages (c52bd29)"}
"""Each fixture, and the row of CHANGELOG.md's "Upgrading a stack" table that says what its upgrade shows."""


def changelog_row(release: str) -> dict[str, str]:
    """The cells of the release's row in CHANGELOG.md's upgrade table (a cell "as 0.1" is that row's cell)."""
    section = (ROOT / "CHANGELOG.md").read_text().split("### Upgrading a stack", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").strip().split(" | ") for line in section.splitlines()
            if line.startswith("|") and not line.startswith("|---")]
    header, body = rows[0], rows[1:]
    table = {row[0]: dict(zip(header, row)) for row in body}
    row = table[RELEASE_ROWS[release]]
    return {key: table[value.removeprefix("as ")][key] if value.startswith("as ") else value
            for key, value in row.items()}


def expected_resource_ops(cell: str) -> dict[str, set[str]]:
    """`name`: op, ... as a preview's steps by resource name ("protected" is a change of the protect flag alone)."""
    ops: dict[str, set[str]] = {}
    for name, op in re.findall(r"`([^`]+)`: (\w+)", cell):
        ops.setdefault(name, set()).add("update" if op == "protected" else op)
    return ops


def expected_output_changes(cell: str) -> set[str]:
    """`+ name`, `~ name`, `- name` as the marks and names of the preview's outputs section."""
    return set(re.findall(r"`([-+~] \w+)`", cell))


def changed_outputs(preview: str) -> set[str]:
    """The top-level outputs a `pulumi preview --diff` marks as added, changed or removed."""
    outputs = diff_sections(preview)[1]
    return {f"{mark} {name}" for mark, name in re.findall(r"^  ([-+~]) (\w+)\s*:", outputs, re.MULTILINE)}


def from_fixture(tmp_path: Path, release: str) -> EngineProject:
    """A copy of the current project on a backend holding the stack the release deployed."""
    fixture = FIXTURES / release
    project = EngineProject(tmp_path, passphrase=FIXTURE_PASSPHRASE,
                            stack_config=(fixture / "Pulumi.dev.yaml").read_text())
    project.cli("stack", "import", "--file", str(fixture / "state.json"))
    return project


def migrate(project: EngineProject) -> str:
    """The project's own migration (what `make up` runs before `pulumi up`), as a user runs it."""
    result = subprocess.run(
        [str(ROOT / "scripts" / "migrate-state.sh"), project.stack_name],
        env={**os.environ, **project.env, "KTHW_PROJECT_DIR": str(project.dir), "KTHW_TOOLCHAIN_READY": "1"},
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


def pod_cidrs(outputs: dict[str, Any]) -> dict[str, list[str]]:
    """Each node's pod CIDRs, from the network output's nodeTable, or its nodes object before 0.3."""
    network = outputs["network"]
    nodes = nodes_of(network) if NODE_TABLE in network else network["nodes"]
    return {name: node["podCidrs"] for name, node in nodes.items()}


def admin_chain_verifies(outputs: dict[str, Any], directory: Path) -> bool:
    """openssl accepts the admin certificate as a TLS client certificate issued by the stack's CA."""
    ca, admin = directory / "ca.pem", directory / "admin.pem"
    ca.write_text(outputs["caCertPem"])
    admin.write_text(outputs["adminCertPem"])
    result = subprocess.run(["openssl", "verify", "-purpose", "sslclient", "-CAfile", str(ca), str(admin)],
                            capture_output=True, text=True, timeout=60)
    return result.returncode == 0


@pytest.mark.parametrize("release", sorted(RELEASE_ROWS))
def test_a_stack_of_an_earlier_release_upgrades_offline_as_the_changelog_says(tmp_path: Path, release: str) -> None:
    project = from_fixture(tmp_path, release)
    before = project.outputs()
    said = migrate(project)
    row = changelog_row(release)
    assert ("removing" in said) == (row["state migration"] != "none"), said

    preview = project.cli("preview", "--diff")
    assert project.preview_changes() == expected_resource_ops(row["resources in the first preview"]), preview.stdout
    assert changed_outputs(preview.stdout) == expected_output_changes(row["outputs in the first preview"])
    assert migrate(project) == "", "a second migration finds nothing"

    if before.get("verification") is not None:
        project.update_config(verify=False)  # the lab of that deployment is gone; the verify test below has its own
    project.up()
    after = project.outputs()
    assert after["caCertPem"] == before["caCertPem"]
    assert after["adminCertPem"] == before["adminCertPem"] and after["adminKeyPem"] == before["adminKeyPem"]
    assert admin_chain_verifies(after, tmp_path)
    assert pod_cidrs(after) == pod_cidrs(before)
    assert project.preview_changes() == {}


def test_a_stack_that_verified_through_pulumi_kubernetes_keeps_verifying_its_cluster(tmp_path: Path) -> None:
    """0.1's verify stack, migrated, against kube-apiserver trusting the CA it was deployed with: `up` verifies the
    cluster with the admin certificate 0.1 issued, and kubectl works with the kubeconfig."""
    project = from_fixture(tmp_path, "release-0.1-verify")
    before = project.outputs()
    migrate(project)
    ca = CertPair(tmp_path / "ca.pem", tmp_path / "ca-key.pem")
    write_private(ca.cert, project.cli("config", "get", "kthw:caCertPem").stdout)
    write_private(ca.key, project.cli("config", "get", "kthw:caKeyPem").stdout)
    with Cluster(tmp_path / "lab") as cluster:
        pki = Pki.with_ca(tmp_path / "lab" / "pki", ca, hosts=["localhost", "127.0.0.1"])
        apiserver = cluster.start_kube_apiserver(cluster.start_etcd(), pki)
        project.update_config(tunnel={"localPort": apiserver.port})  # where this lab listens
        project.up()
        after = project.outputs()
        assert after["verification"]["kubernetesServiceIp"] == "10.32.0.1"
        assert after["adminCertPem"] == before["adminCertPem"]
        kubeconfig = tmp_path / "kubeconfig"
        write_private(kubeconfig, after["kubeconfig"])
        listed = subprocess.run(["kubectl", f"--kubeconfig={kubeconfig}", "--request-timeout=10s", "get", "namespaces"],
                                env=tool_env(), capture_output=True, text=True, timeout=60)
        assert listed.returncode == 0 and "kube-system" in listed.stdout, listed.stderr
