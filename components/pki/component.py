"""``kthw:index:AdminCredentials``: admin credentials signed by the cluster CA, an existing CA from config or one the
stack creates; and, before any resource, the check that the certificates the last deployment recorded are not
expired or about to.

The admin certificate is what the tutorial's admin-csr.json produces: CN=<adminUser>, O=system:masters (the group
kube-apiserver always authorizes), for client authentication only; with ``adminAccess: rbac`` its O is
kthw:cluster-admins instead, which a ClusterRoleBinding grants cluster-admin (components/users/bindings.py). Inside
``pki.earlyRenewalHours`` of its expiry the tls provider replaces it on the next `up` (components/pki/client.py).

A CA the stack generates is trusted by kube-apiserver and every kubelet, so no routine `up` may replace it: it takes
no part in early renewal, later changes of ``pki`` never reach it (they apply to the admin key), and it is
protected, so that a replacement or `destroy` stops with the engine's "protected" error instead of deleting it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pulumi
import pulumi_tls as tls

from components.pki.client import (
    SYSTEM_MASTERS,
    ClientCertificate,
    SigningCa,
    issue_client_certificate,
    private_key_args,
)
from components.pki.last_ca import GENERATED_CA_SUBJECT
from components.pki.lifetimes import expired_ca_problem, generated_ca_not_after, lifetime_warnings, rfc3339
from components.pki.options import PkiOptions
from components.users.options import ADMIN_RBAC_GROUP, BREAK_GLASS_VALIDITY_HOURS, AccessOptions

PROVIDER_USER = "kthw:provider"
"""Who kthw's kubernetes provider is with ``adminAccess: rbac``: it makes the admin's binding before that exists, and
goes on working when it is removed, so it is system:masters, as kubeadm's super-admin.conf is to
EnsureAdminClusterRoleBinding. It adds nothing to what the state already grants: the state holds the CA's key."""
BREAK_GLASS_USER = "kthw:break-glass"
CA_ALLOWED_USES = ("cert_signing", "crl_signing", "digital_signature", "key_encipherment")


def check_certificate_lifetimes(last_outputs: Mapping[str, Any], pki: PkiOptions,
                                configured_ca_not_after: datetime | None) -> None:
    """Before any resource: stop with the rotation steps when the CA this stack generated has expired (the engine
    would meet a protected CA the provider replaces), and warn of every certificate the last deployment recorded
    that expires soon (or of the configured CA)."""
    now = datetime.now(UTC)
    generated_ca_end = generated_ca_not_after(last_outputs, configured_ca_not_after)
    if generated_ca_end is not None and (expired := expired_ca_problem(generated_ca_end, now)):
        raise pulumi.RunError(expired)
    for warning in lifetime_warnings(
        last_outputs,
        early_renewal_hours=pki.early_renewal_hours,
        ca_warning_days=pki.ca_expiry_warning_days,
        existing_ca_not_after=configured_ca_not_after,
        now=now,
        validity_hours=pki.validity_hours,
        dry_run=pulumi.runtime.is_dry_run(),
    ):
        pulumi.log.warn(warning)


GENERATED_CA_KEY_INPUTS = ["algorithm", "rsaBits", "ecdsaCurve"]
GENERATED_CA_CERT_INPUTS = ["validityPeriodHours", "subject", "allowedUses"]
"""Inputs of the generated CA that later config changes must not reach: each would replace the CA. (Its key still
reaches the certificate: the key changes only in a deliberate rotation, and the certificate must follow it.) Its
earlyRenewalHours is not among them: the program always sets 0, and a CA recorded with another value (earlier
versions gave it pki.earlyRenewalHours) takes 0 as an update in place, where the recorded value would have the
provider replace the protected CA inside that window."""


class AdminCredentials(pulumi.ComponentResource):
    """``kthw:index:AdminCredentials``: CA certificate, admin certificate and (secret) admin private key."""

    ca_cert_pem: pulumi.Output[str]
    """The CA certificate (PEM): the configured one, or the one the stack generated."""
    ca_cert_not_after: pulumi.Output[str]
    """When the CA certificate expires (RFC 3339)."""
    admin_cert_pem: pulumi.Output[str]
    """The admin client certificate (PEM), signed by the CA."""
    admin_cert_not_after: pulumi.Output[str]
    """When the admin certificate expires (RFC 3339); it renews inside ``pki.earlyRenewalHours`` before that."""
    admin_key_pem: pulumi.Output[str]
    """The admin private key (PEM), secret."""
    ca_key_pem: pulumi.Output[str]
    """The CA private key (PEM), secret: the configured one, or the one the stack generated."""
    ca: SigningCa
    """The CA as what signs the other client certificates."""
    provider: ClientCertificate | None
    """With ``adminAccess: rbac``, the identity kthw's kubernetes provider uses (PROVIDER_USER, system:masters); else
    None: the provider uses the admin's, itself system:masters."""
    break_glass: ClientCertificate | None
    """With ``breakGlass``, the break-glass credential (BREAK_GLASS_USER, system:masters)."""

    def __init__(
        self,
        name: str,
        *,
        admin_user: str,
        pki: PkiOptions,
        access: AccessOptions | None = None,
        ca_cert_pem: str | None = None,
        ca_key_pem: str | None = None,
        ca_cert_not_after: datetime | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:AdminCredentials", name, None, opts)
        if ca_cert_pem is not None and ca_key_pem is not None and ca_cert_not_after is not None:
            self.ca_cert_pem = pulumi.Output.from_input(ca_cert_pem)
            self.ca_cert_not_after = pulumi.Output.from_input(rfc3339(ca_cert_not_after))
            ca_key = pulumi.Output.secret(ca_key_pem)
        else:
            ca_key = self._generate_ca(name, pki)
        self.ca_key_pem = ca_key
        self.ca = SigningCa(self.ca_cert_pem, ca_key)
        access = access or AccessOptions()
        rbac = access.admin_access == "rbac"
        admin = issue_client_certificate(
            f"{name}-admin", common_name=admin_user, organization=ADMIN_RBAC_GROUP if rbac else SYSTEM_MASTERS,
            ca=self.ca, pki=pki, validity_hours=pki.validity_hours, early_renewal_hours=pki.early_renewal_hours,
            parent=self)
        self.admin_cert_pem = admin.cert_pem
        self.admin_cert_not_after = admin.not_after
        self.admin_key_pem = admin.key_pem
        self.provider = self.break_glass = None
        if rbac:
            self.provider = issue_client_certificate(
                f"{name}-provider", common_name=PROVIDER_USER, organization=SYSTEM_MASTERS, ca=self.ca, pki=pki,
                validity_hours=pki.validity_hours, early_renewal_hours=pki.early_renewal_hours, parent=self)
        if access.break_glass:
            self.break_glass = issue_client_certificate(
                f"{name}-break-glass", common_name=BREAK_GLASS_USER, organization=SYSTEM_MASTERS, ca=self.ca,
                pki=pki, validity_hours=BREAK_GLASS_VALIDITY_HOURS, early_renewal_hours=0, parent=self)
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)

    def _generate_ca(self, name: str, pki: PkiOptions) -> pulumi.Output[str]:
        """Create the protected CA key and self-signed certificate; set the CA outputs and return the CA key."""
        key = tls.PrivateKey(
            f"{name}-ca-key",
            opts=pulumi.ResourceOptions(parent=self, protect=True, ignore_changes=GENERATED_CA_KEY_INPUTS),
            **private_key_args(pki),
        )
        cert = tls.SelfSignedCert(
            f"{name}-ca",
            private_key_pem=key.private_key_pem,
            is_ca_certificate=True,
            subject=tls.SelfSignedCertSubjectArgs(**GENERATED_CA_SUBJECT),
            allowed_uses=list(CA_ALLOWED_USES),
            validity_period_hours=pki.ca_validity_hours,
            early_renewal_hours=0,
            opts=pulumi.ResourceOptions(parent=self, protect=True, ignore_changes=GENERATED_CA_CERT_INPUTS),
        )
        self.ca_cert_pem = cert.cert_pem
        self.ca_cert_not_after = cert.validity_end_time
        return pulumi.Output.secret(key.private_key_pem)
