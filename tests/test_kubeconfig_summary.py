"""kubeconfigSummary's fingerprints are what `openssl x509 -noout -fingerprint -sha256` prints for the kubeconfig's
certificates (the README's promise: a person compares them with the files they exported)."""

from __future__ import annotations

import subprocess

from components.kubeconfig.summary import summary
from tests.helpers.mock_program import DEV_CONFIG, run_program
from tests.helpers.pki import make_ca, make_client

CA = make_ca("Summary CA")
CLIENT = make_client(CA)


def openssl_sha256(cert_pem: str) -> str:
    """The fingerprint openssl prints (``sha256 Fingerprint=AB:CD:...``), without its label."""
    printed = subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=cert_pem,
                             capture_output=True, text=True, check=True, timeout=60).stdout
    label, _, fingerprint = printed.strip().partition("=")
    assert label.lower() == "sha256 fingerprint", printed
    return fingerprint


def test_summary_fingerprints_are_openssls() -> None:
    result = summary(server="https://localhost:6443", cluster_name="lab", user="ops", ca_cert_pem=CA.cert,
                     client_cert_pem=CLIENT.cert)
    assert result["caCertificateSha256"] == openssl_sha256(CA.cert)
    assert result["clientCertificateSha256"] == openssl_sha256(CLIENT.cert)
    assert result["caCertificateSha256"] != result["clientCertificateSha256"]


def test_a_pem_with_windows_line_endings_has_the_same_fingerprint() -> None:
    """A ca.pem edited on Windows is the same certificate: the fingerprint is over its DER bytes, not its text."""
    crlf = CA.cert.replace("\n", "\r\n")
    result = summary(server="https://localhost:6443", cluster_name="lab", user="ops", ca_cert_pem=crlf,
                     client_cert_pem=CLIENT.cert)
    assert result["caCertificateSha256"] == openssl_sha256(CA.cert)


def test_the_programs_summary_fingerprints_the_configured_ca_as_openssl_does() -> None:
    run = run_program({**DEV_CONFIG, "caCertPem": CA.cert, "caKeyPem": CA.key}, secret_keys=("caKeyPem",))
    assert run.outputs["kubeconfigSummary"]["caCertificateSha256"] == openssl_sha256(CA.cert)
