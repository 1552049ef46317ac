"""Flannel v0.28.9 (Documentation/kube-flannel.yml), its net-conf.json made from the plan.

flanneld runs with --kube-subnet-mgr: it takes each node's spec.podCIDR(s) as the node's subnet ("pod cidr not
assigned" without one, and an error when Network does not hold it) and never reads SubnetLen, which is written
anyway so the file says what the plan says. So under flannel the nodes must carry the plan's podCIDRs
(components/podnetwork/node_cidrs.py).
"""

from __future__ import annotations

import json
from typing import Any

from components.kubernetes.objects import ClusterObject, rule, service_account_with_rbac

NAME = "flannel"
NAMESPACE = "kube-flannel"
IMAGE = "ghcr.io/flannel-io/flannel:v0.28.9"
CNI_PLUGIN_IMAGE = "ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3"
BACKENDS = ("vxlan", "host-gw", "wireguard")
"""Backends that need nothing beside the nodes (the cloud ones need a cloud's API)."""
LABELS = {"k8s-app": "flannel"}
NODE_LABELS = {"tier": "node", "app": "flannel"}

CLUSTER_RULES = [
    rule([""], ["pods"], ["get"]),
    rule([""], ["nodes"], ["get", "list", "watch"]),
    rule([""], ["nodes/status"], ["patch"]),
]
CNI_CONF = {
    "name": "cbr0",
    "cniVersion": "0.3.1",
    "plugins": [
        {"type": "flannel", "delegate": {"hairpinMode": True, "isDefaultGateway": True}},
        {"type": "portmap", "capabilities": {"portMappings": True}},
    ],
}


def net_conf(cluster_ranges: dict[int, str], node_masks: dict[int, int], backend: str) -> dict[str, Any]:
    """net-conf.json: Network and SubnetLen for IPv4, IPv6Network and IPv6SubnetLen for IPv6, each family enabled
    when the plan has a range of it."""
    conf: dict[str, Any] = {"EnableIPv4": 4 in cluster_ranges, "EnableIPv6": 6 in cluster_ranges}
    if 4 in cluster_ranges:
        conf.update(Network=cluster_ranges[4], SubnetLen=node_masks[4])
    if 6 in cluster_ranges:
        conf.update(IPv6Network=cluster_ranges[6], IPv6SubnetLen=node_masks[6])
    conf.update(EnableNFTables=False, Backend={"Type": backend})
    return conf


def _daemon_set_spec(image: str, cni_plugin_image: str) -> dict[str, Any]:
    config_mount = {"name": "flannel-cfg", "mountPath": "/etc/kube-flannel/"}
    return {
        "selector": {"matchLabels": {"app": "flannel"}},
        "template": {
            "metadata": {"labels": NODE_LABELS},
            "spec": {
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]}]},
                ]}}},
                "hostNetwork": True,
                "priorityClassName": "system-node-critical",
                "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                "serviceAccountName": NAME,
                "initContainers": [
                    {"name": "install-cni-plugin", "image": cni_plugin_image, "command": ["cp"],
                     "args": ["-f", "/flannel", "/opt/cni/bin/flannel"],
                     "volumeMounts": [{"name": "cni-plugin", "mountPath": "/opt/cni/bin"}]},
                    {"name": "install-cni", "image": image, "command": ["/opt/bin/install-conf"],
                     "args": ["/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"],
                     "volumeMounts": [{"name": "cni", "mountPath": "/etc/cni/net.d"}, config_mount]},
                ],
                "containers": [{
                    "name": "kube-flannel", "image": image, "command": ["/opt/bin/flanneld"],
                    "args": ["--ip-masq", "--kube-subnet-mgr", "--healthz-port=8081"],
                    "ports": [{"name": "healthz", "containerPort": 8081, "protocol": "TCP"}],
                    "livenessProbe": {"httpGet": {"path": "/healthz", "port": "healthz"}, "initialDelaySeconds": 10,
                                      "periodSeconds": 30},
                    "readinessProbe": {"httpGet": {"path": "/readyz", "port": "healthz"}, "initialDelaySeconds": 5,
                                       "periodSeconds": 10},
                    "resources": {"requests": {"cpu": "100m", "memory": "50Mi"}},
                    "securityContext": {"privileged": False, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}},
                    "env": [
                        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
                        {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                        {"name": "EVENT_QUEUE_DEPTH", "value": "5000"},
                        {"name": "CONT_WHEN_CACHE_NOT_READY", "value": "false"},
                    ],
                    "volumeMounts": [{"name": "run", "mountPath": "/run/flannel"}, config_mount,
                                     {"name": "xtables-lock", "mountPath": "/run/xtables.lock"}],
                }],
                "volumes": [
                    {"name": "run", "hostPath": {"path": "/run/flannel"}},
                    {"name": "cni-plugin", "hostPath": {"path": "/opt/cni/bin"}},
                    {"name": "cni", "hostPath": {"path": "/etc/cni/net.d"}},
                    {"name": "flannel-cfg", "configMap": {"name": "kube-flannel-cfg"}},
                    {"name": "xtables-lock", "hostPath": {"path": "/run/xtables.lock", "type": "FileOrCreate"}},
                ],
            },
        },
    }


def flannel_objects(cluster_ranges: dict[int, str], node_masks: dict[int, int], *, backend: str = "vxlan",
                    image: str = IMAGE, cni_plugin_image: str = CNI_PLUGIN_IMAGE) -> list[ClusterObject]:
    """Every object of the manifest: the kube-flannel Namespace, ServiceAccount, ClusterRole and binding
    ``flannel``, the ConfigMap kube-flannel-cfg and the DaemonSet kube-flannel-ds."""
    config = {"cni-conf.json": json.dumps(CNI_CONF, indent=2) + "\n",
              "net-conf.json": json.dumps(net_conf(cluster_ranges, node_masks, backend), indent=2) + "\n"}
    return [
        ClusterObject("v1", "Namespace", NAMESPACE, None, {},
                      {**LABELS, "pod-security.kubernetes.io/enforce": "privileged"}),
        *service_account_with_rbac(NAME, NAMESPACE, CLUSTER_RULES, LABELS),
        ClusterObject("v1", "ConfigMap", "kube-flannel-cfg", NAMESPACE, {"data": config},
                      {**NODE_LABELS, **LABELS}),
        ClusterObject("apps/v1", "DaemonSet", "kube-flannel-ds", NAMESPACE,
                      {"spec": _daemon_set_spec(image, cni_plugin_image)}, {**NODE_LABELS, **LABELS}),
    ]
