"""The admin kubeconfig as text: what `kubectl config set-cluster/set-credentials/set-context/use-context` write with
--embed-certs, rendered as a dict and dumped with PyYAML, quoting as kubectl's go-yaml does (go_yaml.py)."""

from __future__ import annotations

import base64
from typing import Any

import yaml

from components.kubeconfig.go_yaml import reads_as_string


class _KubectlDumper(yaml.SafeDumper):
    """PyYAML with go-yaml's idea of which strings need quotes: none of PyYAML's own implicit types, and double
    quotes exactly where go-yaml reads the plain text as something other than the string."""

    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012 (PyYAML's class-level registry)


def _represent_string(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=None if reads_as_string(text) else '"')


_KubectlDumper.add_representer(str, _represent_string)


def _b64(pem: str) -> str:
    return base64.b64encode(pem.encode()).decode()


def kubeconfig_dict(
    *, cluster_name: str, user: str, server: str, ca_cert_pem: str, client_cert_pem: str, client_key_pem: str | None,
    context_name: str | None = None,
) -> dict[str, Any]:
    """The kubeconfig as kubectl stores it: one cluster, one user, one context (named after the cluster unless
    ``context_name`` says otherwise), current. Without a key, the user entry has the certificate alone: its owner adds
    the key they kept (`kubectl config set-credentials USER --client-key=PATH`)."""
    context = context_name or cluster_name
    credentials = {"client-certificate-data": _b64(client_cert_pem)}
    if client_key_pem is not None:
        credentials["client-key-data"] = _b64(client_key_pem)
    return {
        "apiVersion": "v1",
        "clusters": [
            {"cluster": {"certificate-authority-data": _b64(ca_cert_pem), "server": server}, "name": cluster_name}
        ],
        "contexts": [{"context": {"cluster": cluster_name, "user": user}, "name": context}],
        "current-context": context,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": user, "user": credentials}],
    }


def dump_like_kubectl(document: dict[str, Any]) -> str:
    """YAML as kubectl writes it: keys in the given order, no line folding, strings quoted where go-yaml quotes."""
    return yaml.dump(document, Dumper=_KubectlDumper, sort_keys=False, default_flow_style=False, width=2**31)


def render_kubeconfig(
    *, cluster_name: str, user: str, server: str, ca_cert_pem: str, client_cert_pem: str, client_key_pem: str | None,
    context_name: str | None = None,
) -> str:
    """The kubeconfig YAML, identical bytes for identical inputs."""
    return dump_like_kubectl(kubeconfig_dict(
        cluster_name=cluster_name, user=user, server=server, ca_cert_pem=ca_cert_pem, client_cert_pem=client_cert_pem,
        client_key_pem=client_key_pem, context_name=context_name))
