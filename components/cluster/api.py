"""A minimal read-only client for what verify reads from kube-apiserver: the kubernetes Service and the nodes.

Read with the kubeconfig's own server, CA and client certificate, so a kubeconfig that does not get through fails
with the reason (what kubectl would meet), and nothing read lands in the stack's state as a resource: ``pulumi
refresh`` has nothing to read from a cluster that the tunnel may not reach. Python's ssl module loads a client
key only from a file: it is written to a private temporary directory and removed at once.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import ssl
import tempfile
import urllib.parse
from typing import Any

import yaml


def current_entries(config: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The cluster and the user of the kubeconfig's current context."""
    context = next(c["context"] for c in config["contexts"] if c["name"] == config["current-context"])
    cluster = next(c["cluster"] for c in config["clusters"] if c["name"] == context["cluster"])
    user = next(u["user"] for u in config["users"] if u["name"] == context["user"])
    return cluster, user


def _context_from_kubeconfig(config: dict[str, Any]) -> tuple[str, ssl.SSLContext]:
    cluster, user = current_entries(config)
    ssl_context = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    with tempfile.TemporaryDirectory(prefix="kthw-verify.") as directory:
        cert_path = os.path.join(directory, "client.pem")
        key_path = os.path.join(directory, "client-key.pem")
        for path, field in ((cert_path, "client-certificate-data"), (key_path, "client-key-data")):
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(base64.b64decode(user[field]))
        ssl_context.load_cert_chain(cert_path, key_path)
    return cluster["server"], ssl_context


class ClusterAccessError(RuntimeError):
    """The kubeconfig does not get through to kube-apiserver; the message says why and what to change."""


def _untrusted_server(server: str, error: ssl.SSLCertVerificationError) -> str:
    reason = error.verify_message or str(error)
    if "mismatch" in reason:
        return (f"kube-apiserver at {server} presented a serving certificate without the name it is reached by "
                f"({reason}): the certificate must carry every name in apiServerCertSans")
    return (f"kube-apiserver at {server} presented a certificate the kubeconfig's CA does not trust (certificate "
            f"signed by unknown authority: {reason}): caCertPem and caKeyPem must be the cluster CA that signed "
            "kube-apiserver's certificates (ca.pem, ca-key.pem)")


def _refused_status(server: str, path: str, status: int, body: bytes) -> str:
    if status == 401:
        return (f"kube-apiserver at {server} refused the admin certificate (401 Unauthorized): it is not signed by "
                "the CA kube-apiserver trusts (--client-ca-file); caCertPem and caKeyPem must be the cluster CA "
                "(ca.pem, ca-key.pem)")
    if status == 403:
        return (f"kube-apiserver at {server} does not let the admin GET {path} (403 Forbidden): the admin "
                "certificate needs O=system:masters")
    return f"GET {server}{path} answered {status}: {body[:300].decode(errors='replace')}"


class ApiConnection:
    """One HTTPS connection to kube-apiserver with the kubeconfig's server, CA and client certificate, for every
    GET of one read (one TLS handshake, one temporary key file)."""

    def __init__(self, kubeconfig: str, timeout: float = 15.0) -> None:
        self.server, ssl_context = _context_from_kubeconfig(yaml.safe_load(kubeconfig))
        url = urllib.parse.urlsplit(self.server)
        self.connection = http.client.HTTPSConnection(url.hostname or "", url.port or 443, timeout=timeout,
                                                      context=ssl_context)

    def __enter__(self) -> ApiConnection:
        return self

    def __exit__(self, *_: object) -> None:
        self.connection.close()

    def get_json(self, path: str) -> dict[str, Any]:
        """GET an API path; ClusterAccessError says why that did not work."""
        found = self.find_json(path)
        if found is None:
            raise ClusterAccessError(f"GET {self.server}{path} answered 404: there is no such object")
        return found

    def find_json(self, path: str) -> dict[str, Any] | None:
        """GET an API path; None when there is no such object (404); ClusterAccessError says why else it did not
        work."""
        server = self.server
        try:
            self.connection.request("GET", path, headers={"Accept": "application/json"})
            response = self.connection.getresponse()
            body = response.read()
        except ssl.SSLCertVerificationError as error:
            raise ClusterAccessError(_untrusted_server(server, error)) from None
        except ConnectionRefusedError:
            raise ClusterAccessError(
                f"nothing answers at {server} (connection refused): the SSH tunnel to the API server is not open; "
                "run tunnelCommand, or, with tunnel.manage, run `pulumi up` again, which reopens it"
            ) from None
        except (OSError, http.client.HTTPException) as error:
            raise ClusterAccessError(f"cannot reach kube-apiserver at {server}: {error}") from None
        if response.status == 404:
            return None
        if response.status != 200:
            raise ClusterAccessError(_refused_status(server, path, response.status, body))
        result: dict[str, Any] = json.loads(body)
        return result


def kubernetes_service_ip(api: ApiConnection) -> str | None:
    """The clusterIP of the ``default/kubernetes`` Service."""
    service = api.get_json("/api/v1/namespaces/default/services/kubernetes")
    cluster_ip = service.get("spec", {}).get("clusterIP")
    return None if cluster_ip is None else str(cluster_ip)


def list_node_pod_cidrs(api: ApiConnection) -> dict[str, list[str]]:
    """Registered node name -> its podCIDRs (empty until kube-controller-manager assigns them)."""
    nodes = api.get_json("/api/v1/nodes")
    return {
        item["metadata"]["name"]: list(item.get("spec", {}).get("podCIDRs") or [])
        for item in nodes.get("items", [])
    }


def read_cluster(kubeconfig: str) -> tuple[str | None, dict[str, list[str]]]:
    """What verify reads, over one connection: the kubernetes Service's clusterIP and the registered nodes'
    podCIDRs. ClusterAccessError says why they could not be read."""
    with ApiConnection(kubeconfig) as api:
        return kubernetes_service_ip(api), list_node_pod_cidrs(api)
