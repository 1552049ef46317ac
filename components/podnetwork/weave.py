"""Weave Net as the tutorial installs it, from the maintained fork rajch/weave 2.9.0: the objects of its manifest
(weave-daemonset-k8s-1.11.yaml), with IPALLOC_RANGE set to the plan's cluster range.

Weave ignores a node's spec.podCIDR: it splits IPALLOC_RANGE among the nodes itself. Its default range,
10.32.0.0/12, holds the tutorial's service range 10.32.0.0/24, so it is always set here. It refuses a range that
overlaps a host route ("Network ... overlaps with existing route"), and peers that were started with different
ranges refuse each other ("Incompatible IP allocation ranges"), which is why a change of the range is refused unless
asked for (components/podnetwork/rules.py). IPv4 only. At run time it makes a ConfigMap ``weave-net`` in kube-system
of its own (its peer list), which kthw neither makes nor deletes.
"""

from __future__ import annotations

from typing import Any

from components.kubernetes.objects import ClusterObject, rule, service_account_with_rbac

NAME = "weave-net"
NAMESPACE = "kube-system"
LABELS = {"name": NAME}
KUBE_IMAGE = "docker.io/rajchaudhuri/weave-kube:2.9.0"
NPC_IMAGE = "docker.io/rajchaudhuri/weave-npc:2.9.0"

CLUSTER_RULES = [
    rule([""], ["pods", "namespaces", "nodes"], ["get", "list", "watch"]),
    rule(["extensions"], ["networkpolicies"], ["get", "list", "watch"]),
    rule(["networking.k8s.io"], ["networkpolicies"], ["get", "list", "watch"]),
    rule([""], ["nodes/status"], ["patch", "update"]),
]
ROLE_RULES = [
    rule([""], ["configmaps"], ["get", "update"], names=[NAME]),
    rule([""], ["configmaps"], ["create"]),
]


def _host_path(name: str, path: str, kind: str | None = None) -> dict[str, Any]:
    host_path: dict[str, str] = {"path": path}
    if kind:
        host_path["type"] = kind
    return {"name": name, "hostPath": host_path}


def _mount(name: str, path: str, read_only: bool | None = None) -> dict[str, Any]:
    mount: dict[str, Any] = {"name": name, "mountPath": path}
    if read_only is not None:
        mount["readOnly"] = read_only
    return mount


NODE_NAME = {"name": "HOSTNAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}
XTABLES = _mount("xtables-lock", "/run/xtables.lock", read_only=False)


def daemon_set_spec(ipalloc_range: str, kube_image: str, npc_image: str) -> dict[str, Any]:
    """The weave-net DaemonSet's spec: weave (and its init container) and weave-npc, privileged, on the host
    network."""
    privileged = {"privileged": True}
    requests = {"requests": {"cpu": "50m"}}
    return {
        "selector": {"matchLabels": LABELS},
        "minReadySeconds": 5,
        "template": {
            "metadata": {"labels": LABELS},
            "spec": {
                "initContainers": [{
                    "name": "weave-init", "image": kube_image, "command": ["/home/weave/init.sh"],
                    "securityContext": privileged,
                    "volumeMounts": [_mount("cni-bin", "/host/opt"), _mount("cni-bin2", "/host/home"),
                                     _mount("cni-conf", "/host/etc"), _mount("lib-modules", "/lib/modules"), XTABLES],
                }],
                "containers": [
                    {
                        "name": "weave", "image": kube_image, "command": ["/home/weave/launch.sh"],
                        "env": [
                            {"name": "INIT_CONTAINER", "value": "true"},
                            NODE_NAME,
                            {"name": "IPALLOC_RANGE", "value": ipalloc_range},
                            {"name": "CHECKPOINT_DISABLE", "value": "1"},
                        ],
                        "readinessProbe": {"httpGet": {"host": "127.0.0.1", "path": "/status", "port": 6784}},
                        "resources": requests, "securityContext": privileged,
                        "volumeMounts": [_mount("weavedb", "/weavedb"),
                                         _mount("dbus", "/host/var/lib/dbus", read_only=True),
                                         _mount("cni-machine-id", "/host/etc/machine-id", read_only=True), XTABLES],
                    },
                    {
                        "name": "weave-npc", "image": npc_image, "env": [NODE_NAME],
                        "resources": requests, "securityContext": privileged, "volumeMounts": [XTABLES],
                    },
                ],
                "hostNetwork": True,
                "dnsPolicy": "ClusterFirstWithHostNet",
                "hostPID": False,
                "restartPolicy": "Always",
                "securityContext": {"seLinuxOptions": {}},
                "serviceAccountName": NAME,
                "tolerations": [{"effect": "NoSchedule", "operator": "Exists"},
                                {"effect": "NoExecute", "operator": "Exists"}],
                "volumes": [
                    _host_path("weavedb", "/var/lib/weave"), _host_path("cni-bin", "/opt"),
                    _host_path("cni-bin2", "/home"), _host_path("cni-conf", "/etc"),
                    _host_path("cni-machine-id", "/etc/machine-id"), _host_path("dbus", "/var/lib/dbus"),
                    _host_path("lib-modules", "/lib/modules"),
                    _host_path("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                ],
                "priorityClassName": "system-node-critical",
            },
        },
        "updateStrategy": {"type": "RollingUpdate"},
    }


def weave_objects(ipalloc_range: str, kube_image: str = KUBE_IMAGE, npc_image: str = NPC_IMAGE) -> list[ClusterObject]:
    """Every object of the manifest: ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding and the
    DaemonSet, all ``weave-net`` (kube-system)."""
    return [
        *service_account_with_rbac(NAME, NAMESPACE, CLUSTER_RULES, LABELS, role_rules=ROLE_RULES),
        ClusterObject("apps/v1", "DaemonSet", NAME, NAMESPACE,
                      {"spec": daemon_set_spec(ipalloc_range, kube_image, npc_image)}, LABELS),
    ]
