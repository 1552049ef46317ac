"""The program on the real Pulumi engine: preview, up, outputs, secrets in state, certificates checked by
openssl, the tutorial's cfssl CA, no-change preview and refresh, stable pod CIDRs, bad config, destroy."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto
from pulumi.runtime.rpc import UNKNOWN

from components.network.tables import nodes_of
from tests.helpers.cluster import Pki
from tests.helpers.engine import EngineProject, diff_lines, diff_sections

pytestmark = pytest.mark.engine

DEV_NODES = [
    {"name": "worker-0", "address": "172.31.101.60"},
    {"name": "worker-1", "address": "172.31.104.202"},
]


def openssl(*args: str, stdin: str | None = None) -> str:
    result = subprocess.run(["openssl", *args], input=stdin, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProject]:
    """The dev stack after a preview and an up; destroyed at the end of the module."""
    project = EngineProject(tmp_path_factory.mktemp("engine"))
    preview = project.stack.preview()
    assert preview.change_summary.get(auto.OpType.CREATE, 0) >= 8
    project.up()
    yield project
    project.destroy()


def test_up_exports_the_contract(deployed: EngineProject) -> None:
    outputs = deployed.outputs()
    assert outputs["tunnelCommand"] == "ssh -N -L 6443:localhost:6443 cloud_user@172.31.108.99"
    assert outputs["apiServerUrl"] == "https://localhost:6443"
    assert nodes_of(outputs["network"])["worker-1"]["podCidrs"] == ["10.200.1.0/24"]
    assert outputs["kubeconfig"].startswith("apiVersion: v1\n")


def test_stack_output_hides_the_kubeconfig_and_private_key(deployed: EngineProject) -> None:
    shown = json.loads(deployed.cli("stack", "output", "--json").stdout)
    assert shown["kubeconfig"] == "[secret]" and shown["adminKeyPem"] == "[secret]"
    assert shown["adminCertPem"].startswith("-----BEGIN CERTIFICATE-----")
    table = deployed.cli("stack", "output").stdout
    assert re.search(r"^\s*kubeconfig\s+\[secret\]\s*$", table, re.MULTILINE)
    assert re.search(r"^\s*adminKeyPem\s+\[secret\]\s*$", table, re.MULTILINE)
    assert deployed.stack.outputs()["kubeconfig"].secret and deployed.stack.outputs()["adminKeyPem"].secret


def test_state_records_the_plugin_versions_the_sdks_ask_for(deployed: EngineProject) -> None:
    recorded = {item["type"].removeprefix("pulumi:providers:"): item["inputs"].get("version")
                for item in deployed.resources()
                if item["type"].startswith("pulumi:providers:") and item["type"] != "pulumi:providers:pulumi"}
    asked = json.loads(resources.files("pulumi_tls").joinpath("pulumi-plugin.json").read_text())["version"]
    assert recorded == {"tls": asked}


def test_state_holds_no_plaintext_private_key(deployed: EngineProject) -> None:
    state = deployed.state_file().read_text()
    assert "PRIVATE KEY" not in state
    assert deployed.outputs()["adminKeyPem"].split("\n", 1)[0] not in state
    assert '"ciphertext"' in state


def test_openssl_verifies_the_admin_certificate(deployed: EngineProject, tmp_path: Path) -> None:
    outputs = deployed.outputs()
    (tmp_path / "ca.pem").write_text(outputs["caCertPem"])
    (tmp_path / "admin.pem").write_text(outputs["adminCertPem"])
    assert openssl("verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "admin.pem")).strip().endswith(
        "admin.pem: OK"
    )
    text = openssl("x509", "-noout", "-text", "-in", str(tmp_path / "admin.pem"))
    assert re.search(r"Subject: O\s*=\s*system:masters, CN\s*=\s*admin\n", text)  # in Go's order, as cfssl writes it
    assert re.search(r"X509v3 Key Usage: critical\s+Digital Signature, Key Encipherment\s", text)
    assert re.search(r"X509v3 Extended Key Usage:\s+TLS Web Client Authentication\s", text)
    assert "CA:FALSE" in text
    modulus = openssl("x509", "-noout", "-modulus", "-in", str(tmp_path / "admin.pem"))
    assert modulus == openssl("rsa", "-noout", "-modulus", stdin=outputs["adminKeyPem"])


def test_unchanged_stack_previews_and_refreshes_with_no_changes(deployed: EngineProject) -> None:
    deployed.stack.preview(expect_no_changes=True)
    deployed.stack.refresh(expect_no_changes=True)
    deployed.stack.preview(expect_no_changes=True)


def test_node_changes_keep_every_other_nodes_pod_cidr(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    project.up()
    third = {"name": "worker-2", "address": "172.31.104.203"}
    project.update_config(nodes=[*DEV_NODES, third])

    preview = project.cli("preview", "--diff").stdout
    changed = diff_lines(diff_sections(preview)[1])
    assert changed, preview
    assert not any("worker-0" in line or "worker-1" in line for line in changed), changed
    assert [line.split()[:2] for line in changed if "worker-2" in line] == [["+", "worker-2"], ["+", "worker-2"]]
    assert any(line.split()[1:] == ["worker-2", "10.200.2.0/24", "172.31.104.203"] for line in changed)
    assert re.search(r"Resources:\s+\d+ unchanged", preview)

    project.up()
    assert nodes_of(project.outputs()["network"])["worker-2"]["podCidrs"] == ["10.200.2.0/24"]

    project.update_config(nodes=[DEV_NODES[0], third])  # remove the middle node
    project.up()
    nodes = nodes_of(project.outputs()["network"])
    assert nodes["worker-0"]["podCidrs"] == ["10.200.0.0/24"]
    assert nodes["worker-2"]["podCidrs"] == ["10.200.2.0/24"]

    project.update_config(nodes=[third, DEV_NODES[0], {"name": "worker-3", "address": "172.31.104.204"}])
    project.up()
    nodes = nodes_of(project.outputs()["network"])
    assert nodes["worker-3"]["podCidrs"] == ["10.200.1.0/24"]  # the lowest free block
    assert nodes["worker-2"]["podCidrs"] == ["10.200.2.0/24"] and nodes["worker-0"]["podCidrs"] == ["10.200.0.0/24"]

    project.destroy()
    assert project.resources() == []


def test_existing_cfssl_ca_signs_the_admin_certificate(tmp_path: Path) -> None:
    ca = Pki.make_ca(tmp_path)  # the tutorial's `cfssl gencert -initca ca-csr.json | cfssljson -bare ca`
    ca_cert, ca_key = ca.cert_pem, ca.key_pem
    project = EngineProject(tmp_path / "engine")
    project.update_config(caCertPem=ca_cert)
    project.set_secret("caKeyPem", ca_key)
    assert "PRIVATE KEY" not in project.stack_file.read_text()
    project.up()
    outputs = project.outputs()
    assert outputs["caCertPem"] == ca_cert
    (tmp_path / "admin.pem").write_text(outputs["adminCertPem"])
    assert openssl("verify", "-CAfile", str(tmp_path / "ca.pem"), str(tmp_path / "admin.pem")).strip().endswith(": OK")
    kinds = {resource["type"] for resource in project.resources()}
    assert "tls:index/selfSignedCert:SelfSignedCert" not in kinds
    assert "PRIVATE KEY" not in project.state_file().read_text()
    project.destroy()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"network": {"clusterCidr": "10.200.0.0/16", "serviceCidr": "10.32.0.5/24"}},
         "invalid config kthw:network.serviceCidr: '10.32.0.5/24' has host bits set; did you mean 10.32.0.0/24?"),
        ({"nodes": [*DEV_NODES, {"name": "worker-0", "address": "172.31.104.9"}]},
         "invalid config kthw:nodes[2].name: 'worker-0' is already used by nodes[0]"),
    ],
)
def test_invalid_config_fails_preview_and_up_with_the_programs_message(
    tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    project = EngineProject(tmp_path)
    project.update_config(**changes)
    with pytest.raises(auto.CommandError) as preview_error:
        project.stack.preview()
    assert message in str(preview_error.value)
    assert "Traceback" not in str(preview_error.value)
    with pytest.raises(auto.CommandError) as up_error:
        project.stack.up()
    assert message in str(up_error.value)
    kinds = [resource["type"] for resource in project.resources()]
    assert [kind for kind in kinds if not kind.startswith(("pulumi:pulumi:Stack", "pulumi:providers"))] == []


def test_destroy_keeps_the_protected_ca_and_the_outputs_of_the_last_update(tmp_path: Path) -> None:
    """What the README's Destroy section says: `pulumi destroy` stops at the protected CA before deleting anything;
    `--exclude-protected` deletes all but the CA and its ancestors, the Stack among them, whose outputs the engine
    leaves as the last update wrote them (the deleted admin key's included), and a program run on that state puts
    Pulumi's unknown-value placeholder in their place; the next `up` replaces them with new credentials from the same
    CA and the same pod CIDRs; only a destroy after `pulumi state unprotect --all` clears them."""
    project = EngineProject(tmp_path)
    project.up()
    before = project.shown_outputs()
    resources = project.resources()

    refused = project.cli("destroy", "--yes", check=False)
    assert refused.returncode != 0 and "because it is protected" in refused.stdout, refused.stdout
    assert project.resources() == resources

    project.cli("destroy", "--exclude-protected", "--yes")
    kept = {resource["urn"].rsplit("::", 1)[1] for resource in project.resources()}
    assert kept == {"kthw-dev", "admin", "default_5_6_2", "admin-ca-key", "admin-ca"}, kept
    assert project.shown_outputs() == before
    # A run of the program on that state has no admin key to give: Pulumi writes its unknown-value placeholder.
    project.cli("refresh", "--run-program", "--yes")
    refreshed = project.shown_outputs()
    assert refreshed["adminKeyPem"] == refreshed["kubeconfig"] == UNKNOWN
    assert refreshed["caCertPem"] == before["caCertPem"]

    project.up()
    renewed = project.shown_outputs()
    assert renewed["caCertPem"] == before["caCertPem"]
    assert renewed["adminKeyPem"] != before["adminKeyPem"] and renewed["kubeconfig"] != before["kubeconfig"]
    assert renewed["network"] == before["network"], "the kept network output keeps the pod CIDR allocation"

    project.destroy()
    assert project.resources() == [] and project.outputs() == {}
