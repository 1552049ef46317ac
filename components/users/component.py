"""``kthw:index:UserCredentials``: one user's key (unless they bring a request), certificate and kubeconfig;
``kthw:index:ClusterAccess``: the RBAC objects that grant access (each user's bindings, the RBAC admin's,
kube-apiserver's to the kubelets).

A user's certificate request is made in the program (csr.py says why), from the key the tls provider generated; the
request carries no secret, so it is recorded in plain. The certificate renews inside the user's ``earlyRenewalHours``,
which replaces that user's certificate and kubeconfig only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_tls as tls

from components.kubeconfig.component import Kubeconfig
from components.kubernetes.component import ObjectGroup
from components.kubernetes.objects import ClusterObject
from components.pki.client import SigningCa, private_key_args, sign_client_certificate
from components.pki.options import PkiOptions
from components.users.bindings import admin_binding, kubelet_api_objects, user_bindings
from components.users.csr import certificate_request
from components.users.options import AccessOptions, UserOptions


def access_objects(users: Sequence[UserOptions], access: AccessOptions) -> list[ClusterObject]:
    """Every RBAC object that grants access: the admin's binding (rbac), the kubelets' (kubeletApiUser), the users'."""
    objects = [admin_binding()] if access.admin_access == "rbac" else []
    if access.kubelet_api_user is not None:
        objects += kubelet_api_objects(access.kubelet_api_user)
    for user in users:
        objects += user_bindings(user)
    return objects


class UserCredentials(pulumi.ComponentResource):
    """``kthw:index:UserCredentials``: a user's certificate (CN the name, O each group) and kubeconfig, named after
    the user."""

    user_name: str
    cert_pem: pulumi.Output[str]
    cert_not_after: pulumi.Output[str]
    """RFC 3339."""
    kubeconfig: pulumi.Output[str]
    """Secret; without a key when the user brought their own request."""

    def __init__(
        self,
        user: UserOptions,
        *,
        ca: SigningCa,
        pki: PkiOptions,
        cluster_name: str,
        server: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:UserCredentials", user.name, None, opts)
        self.user_name = user.name
        child = pulumi.ResourceOptions(parent=self)
        key_pem: pulumi.Output[str] | None = None
        if user.csr is not None:
            request: pulumi.Input[str] = user.csr
        else:
            key = tls.PrivateKey(f"{user.name}-key", opts=child, **private_key_args(pki))
            key_pem = pulumi.Output.secret(key.private_key_pem)
            request = pulumi.Output.unsecret(key_pem.apply(
                lambda pem: certificate_request(pem, user.name, user.groups)))
        cert = sign_client_certificate(user.name, request, ca, user.validity_hours, user.early_renewal_hours, child)
        self.cert_pem = cert.cert_pem
        self.cert_not_after = cert.validity_end_time
        self.kubeconfig = Kubeconfig(
            f"{user.name}-kubeconfig", cluster_name=cluster_name, user=user.name, server=server,
            ca_cert_pem=ca.cert_pem, client_cert_pem=cert.cert_pem, client_key_pem=key_pem,
            context_name=f"{user.name}@{cluster_name}", opts=child,
        ).kubeconfig
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)


class ClusterAccess(ObjectGroup):
    """``kthw:index:ClusterAccess``: one typed resource per RBAC object that grants access."""

    TYPE = "kthw:index:ClusterAccess"
