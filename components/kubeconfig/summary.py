"""What the kubeconfig holds, without its secrets: a plain output that changes whenever the kubeconfig does, so a
preview shows what changed (server, names, which certificates) and a person knows to export it again."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pulumi


def certificate_sha256(cert_pem: str) -> str:
    """The SHA-256 fingerprint of a PEM certificate's DER bytes, as ``openssl x509 -fingerprint -sha256`` prints
    it (upper-case hex pairs joined by colons)."""
    body = "".join(line for line in cert_pem.strip().splitlines() if not line.startswith("-----"))
    digest = hashlib.sha256(base64.b64decode(body)).hexdigest().upper()
    return ":".join(digest[i:i + 2] for i in range(0, len(digest), 2))


def summary(*, server: str, cluster_name: str, user: str, ca_cert_pem: str, client_cert_pem: str) -> dict[str, str]:
    """The kubeconfig's server, names and the SHA-256 fingerprints of its CA and client certificates."""
    return {
        "server": server,
        "cluster": cluster_name,
        "context": cluster_name,
        "user": user,
        "caCertificateSha256": certificate_sha256(ca_cert_pem),
        "clientCertificateSha256": certificate_sha256(client_cert_pem),
    }


def kubeconfig_summary(*, server: pulumi.Input[str], cluster_name: pulumi.Input[str], user: pulumi.Input[str],
                       ca_cert_pem: pulumi.Input[str], client_cert_pem: pulumi.Input[str]) -> pulumi.Output[Any]:
    """``summary`` of Outputs: secret only where one of its inputs is."""
    return pulumi.Output.all(server=server, cluster_name=cluster_name, user=user, ca_cert_pem=ca_cert_pem,
                             client_cert_pem=client_cert_pem).apply(lambda values: summary(**values))
