"""The admin kubeconfig: what `kubectl config set-cluster/set-credentials/set-context/use-context` write with
--embed-certs, rendered as a dict and dumped with PyYAML, secret as a whole."""

from __future__ import annotations

import base64
from typing import Any

import pulumi
import yaml


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def kubeconfig_dict(
    *, cluster_name: str, user: str, server: str, ca_cert_pem: str, client_cert_pem: str, client_key_pem: str
) -> dict[str, Any]:
    """The kubeconfig as kubectl stores it: one cluster, one user, one context named after the cluster, current."""
    return {
        "apiVersion": "v1",
        "clusters": [
            {"cluster": {"certificate-authority-data": _b64(ca_cert_pem), "server": server}, "name": cluster_name}
        ],
        "contexts": [{"context": {"cluster": cluster_name, "user": user}, "name": cluster_name}],
        "current-context": cluster_name,
        "kind": "Config",
        "preferences": {},
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": _b64(client_cert_pem),
                    "client-key-data": _b64(client_key_pem),
                },
            }
        ],
    }


def render_kubeconfig(**fields: str) -> str:
    """The kubeconfig YAML: keys in kubectl's order, no line folding, identical bytes for identical inputs."""
    return yaml.safe_dump(kubeconfig_dict(**fields), sort_keys=False, default_flow_style=False, width=2**31)


class Kubeconfig(pulumi.ComponentResource):
    """``kthw:index:Kubeconfig``: the admin kubeconfig, a secret Output."""

    kubeconfig: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        *,
        cluster_name: str,
        user: str,
        server: str,
        ca_cert_pem: pulumi.Input[str],
        client_cert_pem: pulumi.Input[str],
        client_key_pem: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:Kubeconfig", name, None, opts)
        rendered = pulumi.Output.all(ca_cert_pem, client_cert_pem, client_key_pem).apply(
            lambda pems: render_kubeconfig(
                cluster_name=cluster_name,
                user=user,
                server=server,
                ca_cert_pem=pems[0],
                client_cert_pem=pems[1],
                client_key_pem=pems[2],
            )
        )
        self.kubeconfig = pulumi.Output.secret(rendered)
        self.register_outputs({"kubeconfig": self.kubeconfig})
