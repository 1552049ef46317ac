"""Each cluster object as a typed pulumi-kubernetes resource: typed resources preview from the config when the
cluster is unreachable (as in a pull request's CI), where yaml/v2 and helm v4 fail outright.

Every object has a fixed name, so a replacement deletes the old object first (a server-side apply of the new one
would otherwise take over the old, which the delete then removes). A Node apply is kept on delete: `pulumi destroy`
never deletes a Node, and its podCIDRs cannot be taken back. So is an object kthw adopted, unless
``clusterObjects.deleteAdopted`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.objects import RBAC, ClusterObject
from components.kubernetes.options import ClusterObjectsOptions

RESOURCE_TYPES: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "Node"): k8s.core.v1.NodePatch,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    (RBAC, "ClusterRole"): k8s.rbac.v1.ClusterRole,
    (RBAC, "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    (RBAC, "Role"): k8s.rbac.v1.Role,
    (RBAC, "RoleBinding"): k8s.rbac.v1.RoleBinding,
}
"""The typed resource of each kind kthw applies (a Node is only patched: NodePatch); existing.py's PLURALS names
the same kinds' API paths, and a test keeps the two alike."""
ARGUMENTS = {"roleRef": "role_ref"}
"""Top-level fields whose Python argument name differs from the field's."""
WAITING_KINDS = frozenset({"DaemonSet", "Deployment", "Service"})
"""The kinds pulumi-kubernetes waits for to be ready (their awaiters)."""


def register_objects(
    objects: Sequence[ClusterObject],
    *,
    parent: pulumi.Resource,
    provider: k8s.Provider,
    stack: str,
    options: ClusterObjectsOptions,
) -> list[pulumi.CustomResource]:
    """One typed resource per object, under ``parent``, through ``provider``."""
    resources = []
    for item in objects:
        waits = item.kind in WAITING_KINDS
        skip_await = waits and options.wait_seconds == 0
        keep = item.kind == "Node" or (item.reference in options.adopt and not options.delete_adopted)
        timeouts = (pulumi.CustomTimeouts(create=f"{options.wait_seconds}s", update=f"{options.wait_seconds}s")
                    if waits and options.wait_seconds else None)
        fields = {ARGUMENTS.get(name, name): value for name, value in item.body.items()}
        resource_type = RESOURCE_TYPES[(item.api_version, item.kind)]
        resources.append(resource_type(
            item.resource_name,
            metadata=item.metadata(stack, skip_await=skip_await),
            **fields,
            opts=pulumi.ResourceOptions(parent=parent, provider=provider, delete_before_replace=True,
                                        retain_on_delete=keep, custom_timeouts=timeouts),
        ))
    return resources
