"""A client certificate signed by the cluster CA, for client authentication only: a tls PrivateKey, CertRequest and
LocallySignedCert named ``<prefix>-key``, ``-csr`` and ``-cert``. The admin, the provider's identity and the break-glass
credential are each one; a user's certificate (components/users/component.py) is signed by the same
sign_client_certificate.

Inputs hold no timestamps or random values, so an unchanged stack previews with no changes; inside
``early_renewal_hours`` of its expiry (or once expired, with 0) the tls provider issues the certificate again on the
next `up`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_tls as tls

from components.pki.options import PkiOptions

CLIENT_ALLOWED_USES = ("client_auth", "digital_signature", "key_encipherment")
SYSTEM_MASTERS = "system:masters"
"""The group kube-apiserver authorizes for everything, before RBAC: no binding grants it, none takes it back."""


@dataclass(frozen=True)
class ClientCertificate:
    """A client certificate, when it expires, and its private key (secret)."""

    cert_pem: pulumi.Output[str]
    not_after: pulumi.Output[str]
    """RFC 3339."""
    key_pem: pulumi.Output[str]


@dataclass(frozen=True)
class SigningCa:
    """The CA that signs: its certificate and its private key (secret)."""

    cert_pem: pulumi.Input[str]
    key_pem: pulumi.Input[str]


def private_key_args(pki: PkiOptions) -> dict[str, Any]:
    """tls.PrivateKey arguments for the configured algorithm."""
    if pki.algorithm == "ECDSA":
        return {"algorithm": "ECDSA", "ecdsa_curve": pki.ecdsa_curve}
    return {"algorithm": "RSA", "rsa_bits": pki.rsa_bits}


def issue_client_certificate(
    prefix: str,
    *,
    common_name: str,
    organization: str,
    ca: SigningCa,
    pki: PkiOptions,
    validity_hours: int,
    early_renewal_hours: int,
    parent: pulumi.Resource,
) -> ClientCertificate:
    """A key, and a certificate for CN=``common_name``, O=``organization``, signed by ``ca``."""
    child = pulumi.ResourceOptions(parent=parent)
    key = tls.PrivateKey(f"{prefix}-key", opts=child, **private_key_args(pki))
    request = tls.CertRequest(
        f"{prefix}-csr",
        private_key_pem=key.private_key_pem,
        subject=tls.CertRequestSubjectArgs(common_name=common_name, organization=organization),
        opts=child,
    )
    cert = sign_client_certificate(prefix, request.cert_request_pem, ca, validity_hours, early_renewal_hours, child)
    return ClientCertificate(cert.cert_pem, cert.validity_end_time, pulumi.Output.secret(key.private_key_pem))


def sign_client_certificate(prefix: str, request_pem: pulumi.Input[str], ca: SigningCa, validity_hours: int,
                            early_renewal_hours: int, opts: pulumi.ResourceOptions) -> tls.LocallySignedCert:
    """``<prefix>-cert``: the request signed by ``ca`` for client authentication only."""
    return tls.LocallySignedCert(
        f"{prefix}-cert",
        cert_request_pem=request_pem,
        ca_cert_pem=ca.cert_pem,
        ca_private_key_pem=ca.key_pem,
        allowed_uses=list(CLIENT_ALLOWED_USES),
        validity_period_hours=validity_hours,
        early_renewal_hours=early_renewal_hours,
        opts=opts,
    )
