"""Config on the real Pulumi engine: a value set with --secret stays secret in outputs and state, and a key the
program does not know (a typo, a path set without --path) stops the preview instead of being ignored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from pulumi import automation as auto

from tests.helpers.engine import EngineProject

pytestmark = pytest.mark.engine

SECRET_CLUSTER = "labsecretcluster"
SECRET_USER = "opssecretuser"


@pytest.fixture(scope="module")
def secret_names(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProject]:
    """The dev stack with clusterName and adminUser set with --secret, deployed; destroyed at the end."""
    project = EngineProject(tmp_path_factory.mktemp("engine-secret-config"))
    project.set_secret("clusterName", SECRET_CLUSTER)
    project.set_secret("adminUser", SECRET_USER)
    project.up()
    yield project
    project.destroy()


def test_outputs_from_secret_config_show_as_secret(secret_names: EngineProject) -> None:
    for name in ("clusterName", "contextName", "adminUser", "adminCertPem"):
        assert secret_names.cli("stack", "output", name).stdout.strip() == "[secret]", name
    shown = json.loads(secret_names.cli("stack", "output", "--json").stdout)
    assert shown["clusterName"] == "[secret]" and shown["tunnelCommand"].startswith("ssh ")
    assert secret_names.outputs()["clusterName"] == SECRET_CLUSTER


def test_state_holds_no_secret_config_value_in_plain_text(secret_names: EngineProject) -> None:
    state = secret_names.state_file().read_text()
    assert SECRET_CLUSTER not in state
    assert SECRET_USER not in state


def test_the_certificate_request_subject_is_encrypted_in_state(secret_names: EngineProject) -> None:
    (request,) = [item for item in secret_names.resources() if item["type"] == "tls:index/certRequest:CertRequest"]
    subject = request["inputs"]["subject"]
    assert isinstance(subject, dict) and "ciphertext" in subject
    assert "ciphertext" in request["outputs"]["certRequestPem"]  # the request carries the subject too


@pytest.mark.parametrize(("key", "message"), [
    ("clustername", "kthw:clustername: is not a known key; did you mean clusterName?"),
    ("tunnel.localPort", "pulumi config set --path tunnel.localPort VALUE"),
])
def test_an_unknown_key_stops_the_preview(tmp_path_factory: pytest.TempPathFactory, key: str, message: str) -> None:
    project = EngineProject(tmp_path_factory.mktemp("engine-unknown-key"))
    project.update_config(**{key: "7000"})
    with pytest.raises(auto.CommandError) as caught:
        project.stack.preview()
    assert message in str(caught.value)
