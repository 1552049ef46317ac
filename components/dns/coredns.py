"""CoreDNS as the cluster's DNS, as Kubernetes v1.37's own addon manifest deploys it (cluster/addons/dns/coredns),
with the Service ``kube-dns`` at the plan's clusterDnsIp and the Corefile for the plan's cluster domain: the IP and
domain every kubelet's clusterDNS and clusterDomain name (the plan's kubelet settings).

``clusterIP`` cannot change on a Service: a plan that moves the DNS IP replaces ``kube-dns`` (deleted first, since
the new one has the same name), and the preview says so (components/dns/rules.py).
"""

from __future__ import annotations

from typing import Any

from components.kubernetes.objects import ClusterObject, rule, service_account_with_rbac

NAMESPACE = "kube-system"
SERVICE = "kube-dns"
IMAGE = "registry.k8s.io/coredns/coredns:v1.14.6"
"""The CoreDNS release Kubernetes v1.37 ships (its addon manifest and kubeadm's constants)."""
REPLICAS = 2
APP_LABELS = {"k8s-app": "kube-dns"}
CLUSTER_ROLE = "system:coredns"

CLUSTER_RULES = [
    rule([""], ["endpoints", "services", "pods", "namespaces"], ["list", "watch"]),
    rule(["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
]


def corefile(cluster_domain: str) -> str:
    """The Corefile: the cluster's zone and the reverse zones from the kubernetes plugin, everything else forwarded
    to the node's resolvers."""
    return (
        ".:53 {\n"
        "    errors\n"
        "    health {\n"
        "        lameduck 5s\n"
        "    }\n"
        "    ready\n"
        f"    kubernetes {cluster_domain} in-addr.arpa ip6.arpa {{\n"
        "        pods insecure\n"
        "        fallthrough in-addr.arpa ip6.arpa\n"
        "        ttl 30\n"
        "    }\n"
        "    prometheus :9153\n"
        "    forward . /etc/resolv.conf {\n"
        "        max_concurrent 1000\n"
        "    }\n"
        "    cache 30\n"
        "    loop\n"
        "    reload\n"
        "    loadbalance\n"
        "}\n"
    )


PORTS = [
    {"name": "dns", "port": 53, "protocol": "UDP"},
    {"name": "dns-tcp", "port": 53, "protocol": "TCP"},
    {"name": "metrics", "port": 9153, "protocol": "TCP"},
]


def _deployment_spec(image: str, replicas: int) -> dict[str, Any]:
    return {
        "replicas": replicas,
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
        "selector": {"matchLabels": APP_LABELS},
        "template": {
            "metadata": {"labels": APP_LABELS},
            "spec": {
                "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                "priorityClassName": "system-cluster-critical",
                "serviceAccountName": "coredns",
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [{
                    "weight": 100,
                    "podAffinityTerm": {
                        "labelSelector": {"matchExpressions": [
                            {"key": "k8s-app", "operator": "In", "values": ["kube-dns"]}]},
                        "topologyKey": "kubernetes.io/hostname",
                    },
                }]}},
                "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"}],
                "nodeSelector": {"kubernetes.io/os": "linux"},
                "containers": [{
                    "name": "coredns", "image": image, "imagePullPolicy": "IfNotPresent",
                    "resources": {"limits": {"memory": "170Mi"}, "requests": {"cpu": "100m", "memory": "70Mi"}},
                    "args": ["-conf", "/etc/coredns/Corefile"],
                    "volumeMounts": [{"name": "config-volume", "mountPath": "/etc/coredns", "readOnly": True}],
                    "ports": [{"containerPort": port["port"], "name": port["name"], "protocol": port["protocol"]}
                              for port in PORTS],
                    "livenessProbe": {"httpGet": {"path": "/health", "port": 8080, "scheme": "HTTP"},
                                      "initialDelaySeconds": 60, "timeoutSeconds": 5, "successThreshold": 1,
                                      "failureThreshold": 5},
                    "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181, "scheme": "HTTP"}},
                    "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                                        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}},
                }],
                "dnsPolicy": "Default",
                "volumes": [{"name": "config-volume", "configMap": {
                    "name": "coredns", "items": [{"key": "Corefile", "path": "Corefile"}]}}],
            },
        },
    }


def coredns_objects(cluster_dns_ip: str, cluster_domain: str, *, image: str = IMAGE,
                    replicas: int = REPLICAS) -> list[ClusterObject]:
    """ServiceAccount coredns, ClusterRole and binding system:coredns, ConfigMap coredns, Deployment coredns and
    Service kube-dns at ``cluster_dns_ip`` (all in kube-system)."""
    service_labels = {**APP_LABELS, "kubernetes.io/name": "CoreDNS"}
    return [
        *service_account_with_rbac("coredns", NAMESPACE, CLUSTER_RULES, {}, cluster_role_name=CLUSTER_ROLE),
        ClusterObject("v1", "ConfigMap", "coredns", NAMESPACE, {"data": {"Corefile": corefile(cluster_domain)}}),
        ClusterObject("apps/v1", "Deployment", "coredns", NAMESPACE, {"spec": _deployment_spec(image, replicas)},
                      service_labels),
        ClusterObject("v1", "Service", SERVICE, NAMESPACE, {"spec": {
            "selector": APP_LABELS, "clusterIP": cluster_dns_ip, "ports": PORTS}}, service_labels,
            {"prometheus.io/port": "9153", "prometheus.io/scrape": "true"}),
    ]
