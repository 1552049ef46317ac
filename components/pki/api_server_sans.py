"""The names and addresses kube-apiserver's serving certificate must carry for this access path."""

from __future__ import annotations

from components.network.model import CLUSTER_DOMAIN

KUBERNETES_SERVICE_NAMES = (
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    f"kubernetes.default.svc.{CLUSTER_DOMAIN.split('.')[0]}",
    f"kubernetes.default.svc.{CLUSTER_DOMAIN}",
)


def api_server_cert_sans(load_balancer_address: str, kubernetes_service_ip: str) -> list[str]:
    """kubectl reaches the API server as ``localhost`` through the tunnel, pods as the kubernetes service IP or
    its DNS names, and the load balancer by its address: each must be in the certificate."""
    # A certificate names hosts without the trailing dot of an absolute DNS name.
    lb_name = load_balancer_address.removesuffix(".")
    sans = ["localhost", "127.0.0.1", lb_name, kubernetes_service_ip, *KUBERNETES_SERVICE_NAMES]
    return list(dict.fromkeys(sans))
