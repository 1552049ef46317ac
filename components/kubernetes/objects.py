"""The objects kthw puts into the cluster, as plain data: what each one is, and the manifest it is applied as.

Every object carries kthw's marks: the label ``app.kubernetes.io/managed-by: kthw`` (what ``kubectl get -l`` finds)
and the annotation ``kthw.dev/stack`` naming the stack that manages it, so an object found in the cluster without
this stack's annotation is someone else's (components/kubernetes/existing.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "kthw"
STACK_ANNOTATION = "kthw.dev/stack"
"""Which stack (organization/project/stack) manages the object."""
SKIP_AWAIT_ANNOTATION = "pulumi.com/skipAwait"
"""pulumi-kubernetes waits for no readiness of an object carrying "true" here (its ReadyCondition)."""


@dataclass(frozen=True)
class ClusterObject:
    """One Kubernetes object: its kind, name and namespace, and the fields beside its metadata."""

    api_version: str
    """``v1``, ``apps/v1``, ``rbac.authorization.k8s.io/v1``..."""
    kind: str
    """``DaemonSet``, ``ClusterRole``..."""
    name: str
    namespace: str | None
    """None for a cluster-scoped object."""
    body: Mapping[str, Any]
    """Every top-level field but apiVersion, kind and metadata: ``spec``, ``data``, ``rules``, ``roleRef``..."""
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    @property
    def reference(self) -> str:
        """``Kind/namespace/name``, or ``Kind/name`` when cluster-scoped: how config and messages name it."""
        return f"{self.kind}/{self.name}" if self.namespace is None else f"{self.kind}/{self.namespace}/{self.name}"

    @property
    def resource_name(self) -> str:
        """The Pulumi resource name: unique within its type, stable as long as the object's name is."""
        return self.name if self.namespace is None else f"{self.namespace}.{self.name}"

    def metadata(self, stack: str, *, skip_await: bool = False) -> dict[str, Any]:
        """The object's metadata with kthw's label and the annotation naming ``stack``."""
        annotations = {**self.annotations, STACK_ANNOTATION: stack}
        if skip_await:
            annotations[SKIP_AWAIT_ANNOTATION] = "true"
        metadata: dict[str, Any] = {
            "name": self.name,
            "labels": {**self.labels, MANAGED_BY_LABEL: MANAGED_BY},
            "annotations": annotations,
        }
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        return metadata


def rule(groups: list[str], resources: list[str], verbs: list[str], names: list[str] | None = None) -> dict[str, Any]:
    """One RBAC policy rule."""
    policy: dict[str, Any] = {"apiGroups": groups, "resources": resources, "verbs": verbs}
    if names:
        policy["resourceNames"] = names
    return policy


RBAC_GROUP = "rbac.authorization.k8s.io"
RBAC = f"{RBAC_GROUP}/v1"


def service_account_subject(name: str, namespace: str) -> dict[str, str]:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def rbac_subject(kind: str, name: str) -> dict[str, str]:
    """A binding's subject that is a ``User`` or a ``Group``."""
    return {"apiGroup": RBAC_GROUP, "kind": kind, "name": name}


def role_ref(kind: str, name: str) -> dict[str, str]:
    return {"apiGroup": RBAC_GROUP, "kind": kind, "name": name}


def service_account_with_rbac(
    name: str, namespace: str, cluster_rules: list[dict[str, Any]], labels: Mapping[str, str],
    role_rules: list[dict[str, Any]] | None = None, cluster_role_name: str | None = None,
) -> list[ClusterObject]:
    """A ServiceAccount and the ClusterRole (and Role) bound to it, all named ``name`` but the ClusterRole and its
    binding where ``cluster_role_name`` is given."""
    subject = [service_account_subject(name, namespace)]
    cluster_role = cluster_role_name or name
    objects = [
        ClusterObject("v1", "ServiceAccount", name, namespace, {}, labels),
        ClusterObject(RBAC, "ClusterRole", cluster_role, None, {"rules": cluster_rules}, labels),
        ClusterObject(RBAC, "ClusterRoleBinding", cluster_role, None,
                      {"roleRef": role_ref("ClusterRole", cluster_role), "subjects": subject}, labels),
    ]
    if role_rules:
        objects += [
            ClusterObject(RBAC, "Role", name, namespace, {"rules": role_rules}, labels),
            ClusterObject(RBAC, "RoleBinding", name, namespace,
                          {"roleRef": role_ref("Role", name), "subjects": subject}, labels),
        ]
    return objects
