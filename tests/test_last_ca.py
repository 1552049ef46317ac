"""Which CA the last deployment signed with, and a config that drops the cluster's own CA."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from components.config.errors import ConfigError
from components.config.settings import parse_settings
from components.pki.last_ca import LastCa, last_ca
from tests.helpers.mock_program import DEV_CONFIG, run_program
from tests.helpers.pki import make_ca

CLUSTER_CA = make_ca("Cluster CA")


def test_the_recorded_source_decides() -> None:
    assert last_ca({"caSource": "caCertPem"}) == LastCa("caCertPem")
    assert last_ca({"caSource": "generated", "caCertPem": CLUSTER_CA.cert}) == LastCa("generated")
    assert last_ca({}) is None


def test_a_stack_recorded_before_the_source_output_is_told_by_its_ca_s_subject() -> None:
    generated = run_program(DEV_CONFIG).outputs["caCertPem"]  # the mocks' fake PEM is no certificate
    assert last_ca({"caCertPem": generated}) == LastCa("caCertPem")
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kubernetes"),
                         x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CA"),
                         x509.NameAttribute(NameOID.COMMON_NAME, "Kubernetes")])
    assert last_ca({"caCertPem": make_ca(subject=subject).cert}) == LastCa("generated")
    tutorial = x509.Name([*subject, x509.NameAttribute(NameOID.COUNTRY_NAME, "US")])
    assert last_ca({"caCertPem": make_ca(subject=tutorial).cert}) == LastCa("caCertPem")
    assert last_ca({"caCertPem": CLUSTER_CA.cert}) == LastCa("caCertPem")


def test_each_deployment_records_its_ca_source() -> None:
    assert run_program(DEV_CONFIG).outputs["caSource"] == "generated"
    configured = {**DEV_CONFIG, "caCertPem": CLUSTER_CA.cert, "caKeyPem": CLUSTER_CA.key}
    assert run_program(configured, secret_keys=("caKeyPem",)).outputs["caSource"] == "caCertPem"


def test_dropping_the_cluster_s_ca_is_refused_before_any_resource() -> None:
    with pytest.raises(Exception) as caught:
        run_program(DEV_CONFIG, last_outputs={"caSource": "caCertPem", "caCertPem": CLUSTER_CA.cert})
    assert "invalid config kthw:caCertPem: is unset, but the last deployment signed with the cluster's own CA" in str(
        caught.value)
    assert "pki.allowNewCa true" in str(caught.value)


def test_a_new_ca_is_generated_when_asked_for() -> None:
    config = {**DEV_CONFIG, "pki": {"allowNewCa": True}}
    run = run_program(config, last_outputs={"caSource": "caCertPem", "caCertPem": CLUSTER_CA.cert})
    assert run.outputs["caSource"] == "generated"
    assert run.of_type("tls:index/selfSignedCert:SelfSignedCert")


def test_the_refusal_is_a_config_error_of_the_ca_key() -> None:
    raw = dict(DEV_CONFIG)
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, last=LastCa("caCertPem"))
    assert caught.value.key == "caCertPem"
    assert parse_settings(raw, last=LastCa("generated")).ca_cert_pem is None
