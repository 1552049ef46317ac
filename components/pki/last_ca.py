"""Which CA the last deployment signed with: the one the stack generated, or the cluster's own (caCertPem).

It decides what a config without caCertPem means. After a generated CA it is that CA, kept. After the cluster's own
CA it would be a new CA that kube-apiserver and every kubelet distrust: the admin certificate it signs, and the
kubeconfig, would stop working. The ``caSource`` output records which; a stack deployed before that output existed
is told by its ``caCertPem`` output: the CA kthw generates has exactly the subject GENERATED_CA_SUBJECT.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

CaSource = Literal["generated", "caCertPem"]
CA_SOURCE_OUTPUT = "caSource"
GENERATED_CA_SUBJECT = {"common_name": "Kubernetes", "organization": "Kubernetes", "organizational_unit": "CA"}
"""The subject of the CA the stack generates (also the tutorial's, without its country and place)."""


@dataclass(frozen=True)
class LastCa:
    """The CA of the last deployment."""

    source: CaSource
    """"generated" (by the stack, protected in its state) or "caCertPem" (the cluster's own, given in config)."""


def ca_source(ca_cert_pem: str | None) -> CaSource:
    """The ``caSource`` output of this deployment: which CA signs (``caCertPem`` when the config gives one)."""
    return "caCertPem" if ca_cert_pem is not None else "generated"


def last_ca(last_outputs: Mapping[str, Any]) -> LastCa | None:
    """The last deployment's CA, from its outputs; None before the first deployment."""
    source = last_outputs.get(CA_SOURCE_OUTPUT)
    if source in ("generated", "caCertPem"):
        return LastCa(source)
    cert_pem = last_outputs.get("caCertPem")
    if not isinstance(cert_pem, str):
        return None
    return LastCa("generated" if _has_generated_subject(cert_pem) else "caCertPem")


def _has_generated_subject(cert_pem: str) -> bool:
    # Imported here: cryptography costs a tenth of a second at every start, and only such an old stack needs it.
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    try:
        subject = x509.load_pem_x509_certificate(cert_pem.encode()).subject
    except ValueError:
        return False
    expected = {
        (NameOID.COMMON_NAME, GENERATED_CA_SUBJECT["common_name"]),
        (NameOID.ORGANIZATION_NAME, GENERATED_CA_SUBJECT["organization"]),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, GENERATED_CA_SUBJECT["organizational_unit"]),
    }
    names = [(attribute.oid, attribute.value) for attribute in subject]
    return len(names) == len(expected) and set(names) == expected
