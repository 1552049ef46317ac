"""A config value set with --secret keeps everything derived from it secret: outputs and resource inputs (the whole
program under Pulumi mocks)."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography import x509

from components.pki.lifetimes import rfc3339
from tests.helpers.mock_program import DEV_CONFIG, SECRET_SIGNATURE, config_with, plain_places, run_program
from tests.helpers.pki import make_ca


def service_ip(config: dict[str, Any]) -> str:
    """The kubernetes service IP the mocked cluster answers with: the plan's."""
    return str(config["network"]["serviceCidr"]).replace(".0/24", ".1")


CA = make_ca("Secret Lab CA")

SCENARIOS = [
    pytest.param("clusterName", config_with(clusterName="secretlab", verify=True), "secretlab", id="clusterName"),
    pytest.param("adminUser", config_with(adminUser="secretadmin"), "secretadmin", id="adminUser"),
    pytest.param("loadBalancer", config_with(
        loadBalancer={"address": "lb.secret.example", "user": "cloud_user"}, tunnel={"manage": True},
    ), "lb.secret.example", id="loadBalancer"),
    pytest.param("tunnel", config_with(tunnel={"manage": True, "knownHostsFile": "/etc/secret-hosts"}),
                 "secret-hosts", id="tunnel"),
    pytest.param("tunnel", config_with(tunnel={"localPort": 16443}), "16443", id="tunnel.localPort"),
    pytest.param("network", config_with(
        network={"clusterCidr": "10.123.0.0/16", "serviceCidr": "10.99.0.0/24"}, verify=True,
    ), "10.99.0.", id="network"),
    pytest.param("nodes", config_with(nodes=[{"name": "secret-node", "address": "172.31.101.60"}]), "secret-node",
                 id="nodes"),
    pytest.param("pki", config_with(pki={"validityHours": 4321}), "4321", id="pki.validityHours"),
    pytest.param("caCertPem", config_with(caCertPem=CA.cert, caKeyPem=CA.key), CA.cert.splitlines()[1],
                 id="caCertPem"),
    pytest.param("caCertPem", config_with(caCertPem=CA.cert, caKeyPem=CA.key),
                 rfc3339(x509.load_pem_x509_certificate(CA.cert.encode()).not_valid_after_utc),
                 id="caCertPem.notAfter"),
]


@pytest.mark.parametrize(("key", "config", "needle"), SCENARIOS)
def test_what_comes_from_a_secret_key_is_never_plain(key: str, config: dict[str, Any], needle: str) -> None:
    secret_keys = tuple(dict.fromkeys((key, "caKeyPem") if "caKeyPem" in config else (key,)))
    run = run_program(config, secret_keys=secret_keys, service_cluster_ip=service_ip(config),
                      list_nodes=lambda kubeconfig: {})
    assert plain_places(run, needle) == []


@pytest.mark.parametrize(("key", "config", "needle"), SCENARIOS)
def test_the_same_value_set_in_plain_text_is_plain(key: str, config: dict[str, Any], needle: str) -> None:
    """The check above finds the value when it is not secret: it looks in the right places."""
    secret_keys = ("caKeyPem",) if "caKeyPem" in config else ()
    run = run_program(config, secret_keys=secret_keys, service_cluster_ip=service_ip(config),
                      list_nodes=lambda kubeconfig: {})
    assert plain_places(run, needle) != []


def test_secret_cluster_name_makes_its_outputs_secret_and_nothing_more() -> None:
    run = run_program(config_with(clusterName="lab"), secret_keys=("clusterName",))
    assert {name for name, secret in run.secret.items() if secret} == {
        "kubeconfig", "adminKeyPem", "clusterName", "contextName", "kubeconfigSummary",
    }
    assert run.outputs["clusterName"] == "lab"


def test_secret_admin_user_makes_the_certificate_subject_secret() -> None:
    run = run_program(config_with(adminUser="ops"), secret_keys=("adminUser",))
    (request,) = run.of_type("tls:index/certRequest:CertRequest")
    assert request.inputs["subject"][SECRET_SIGNATURE]
    assert run.secret["adminUser"] and run.secret["adminCertPem"]


def test_secret_tunnel_makes_the_server_url_and_the_command_secret() -> None:
    """The local port is in apiServerUrl, the summary's server and the ssh command."""
    run = run_program(config_with(tunnel={"localPort": 16443}), secret_keys=("tunnel",))
    assert run.secret["apiServerUrl"] and run.secret["kubeconfigSummary"] and run.secret["tunnelCommand"]
    assert run.outputs["apiServerUrl"] == "https://localhost:16443"


def test_secret_pki_makes_the_certificate_its_expiry_and_its_inputs_secret() -> None:
    """The validity is in the admin certificate (its notAfter), adminCertNotAfter and the certificate's inputs."""
    run = run_program(config_with(pki={"validityHours": 4321}), secret_keys=("pki",))
    assert run.secret["adminCertPem"] and run.secret["adminCertNotAfter"] and run.secret["kubeconfigSummary"]
    assert run.secret["caCertNotAfter"]  # a generated CA's expiry: pki.caValidityHours
    (certificate,) = run.of_type("tls:index/locallySignedCert:LocallySignedCert")
    assert certificate.inputs["validityPeriodHours"][SECRET_SIGNATURE]


def test_plain_config_keeps_only_the_kubeconfig_and_key_secret() -> None:
    run = run_program(DEV_CONFIG)
    assert {name for name, secret in run.secret.items() if secret} == {"kubeconfig", "adminKeyPem"}


def test_the_ca_key_is_never_plain() -> None:
    run = run_program(config_with(caCertPem=CA.cert, caKeyPem=CA.key), secret_keys=("caKeyPem",))
    for line in CA.key.splitlines()[1:-1]:
        assert plain_places(run, line) == []


def test_verify_counts_the_secret_nodes_it_keeps_from_the_cluster(caplog: pytest.LogCaptureFixture) -> None:
    # The warning that the cluster's podCIDRs were kept must not name nodes from a secret node list.
    config = config_with(nodes=[{"name": "secret-a", "address": "172.31.101.60"},
                                 {"name": "secret-b", "address": "172.31.104.202"}], verify=True)
    run = run_program(config, secret_keys=("nodes",), list_nodes=lambda kubeconfig: {
        "secret-a": ["10.200.1.0/24"], "secret-b": ["10.200.0.0/24"]})
    assert run.secret["network"]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any(message.endswith("2 nodes (not named: nodes or network is secret config)") for message in warnings)
    assert not any("secret-" in message or "10.200." in message for message in warnings)
