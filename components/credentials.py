"""Admin credentials signed by the cluster CA: an existing CA from config, or one the stack creates.

The admin certificate is what the tutorial's admin-csr.json produces: CN=<adminUser>, O=system:masters (the group
kube-apiserver always authorizes), for client authentication only. Inputs hold no timestamps or random values, so
an unchanged stack previews with no changes.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_tls as tls

from components.settings import PkiOptions

ADMIN_ORGANIZATION = "system:masters"
ADMIN_ALLOWED_USES = ("client_auth", "digital_signature", "key_encipherment")
CA_ALLOWED_USES = ("cert_signing", "crl_signing", "digital_signature", "key_encipherment")
CA_SUBJECT = {"common_name": "Kubernetes", "organization": "Kubernetes", "organizational_unit": "CA"}


def private_key_args(pki: PkiOptions) -> dict[str, Any]:
    """tls.PrivateKey arguments for the configured algorithm."""
    if pki.algorithm == "ECDSA":
        return {"algorithm": "ECDSA", "ecdsa_curve": pki.ecdsa_curve}
    return {"algorithm": "RSA", "rsa_bits": pki.rsa_bits}


def admin_subject(admin_user: str) -> dict[str, Any]:
    """The admin certificate's subject: the user name as CN, system:masters as organization."""
    return {"common_name": admin_user, "organization": ADMIN_ORGANIZATION}


class AdminCredentials(pulumi.ComponentResource):
    """``kthw:index:AdminCredentials``: CA certificate, admin certificate and (secret) admin private key."""

    ca_cert_pem: pulumi.Output[str]
    admin_cert_pem: pulumi.Output[str]
    admin_key_pem: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        admin_user: str,
        pki: PkiOptions,
        ca_cert_pem: str | None = None,
        ca_key_pem: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:AdminCredentials", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        validity = {"validity_period_hours": pki.validity_hours, "early_renewal_hours": pki.early_renewal_hours}
        ca_key: pulumi.Output[str]
        if ca_cert_pem is not None and ca_key_pem is not None:
            self.ca_cert_pem = pulumi.Output.from_input(ca_cert_pem)
            ca_key = pulumi.Output.secret(ca_key_pem)
        else:
            generated_key = tls.PrivateKey(f"{name}-ca-key", opts=child, **private_key_args(pki))
            ca_cert = tls.SelfSignedCert(
                f"{name}-ca",
                private_key_pem=generated_key.private_key_pem,
                is_ca_certificate=True,
                subject=tls.SelfSignedCertSubjectArgs(**CA_SUBJECT),
                allowed_uses=list(CA_ALLOWED_USES),
                opts=child,
                **validity,
            )
            self.ca_cert_pem = ca_cert.cert_pem
            ca_key = pulumi.Output.secret(generated_key.private_key_pem)
        admin_key = tls.PrivateKey(f"{name}-admin-key", opts=child, **private_key_args(pki))
        request = tls.CertRequest(
            f"{name}-admin-csr",
            private_key_pem=admin_key.private_key_pem,
            subject=tls.CertRequestSubjectArgs(**admin_subject(admin_user)),
            opts=child,
        )
        admin_cert = tls.LocallySignedCert(
            f"{name}-admin-cert",
            cert_request_pem=request.cert_request_pem,
            ca_cert_pem=self.ca_cert_pem,
            ca_private_key_pem=ca_key,
            allowed_uses=list(ADMIN_ALLOWED_USES),
            opts=child,
            **validity,
        )
        self.admin_cert_pem = admin_cert.cert_pem
        self.admin_key_pem = pulumi.Output.secret(admin_key.private_key_pem)
        self.register_outputs({
            "caCertPem": self.ca_cert_pem,
            "adminCertPem": self.admin_cert_pem,
            "adminKeyPem": self.admin_key_pem,
        })
