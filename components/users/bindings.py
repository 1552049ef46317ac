"""The RBAC objects that grant access: each user's bindings, the RBAC admin's, and kube-apiserver's to the kubelets.

A binding's roleRef cannot change, and an object with a fixed name is deleted before it is made again; so each
binding's name carries its role (``kthw:user:alice:ClusterRole:view``): a change of a user's access makes the new
binding, under a new name, before the update deletes the old one, and at no moment does neither apply. Removing a
user deletes their bindings on the next `up`: every request with their certificate is then refused (403), but for
what the default bindings give every authenticated user (discovery, `auth whoami`, `auth can-i`) and anything bound
to one of the certificate's groups.
"""

from __future__ import annotations

from collections.abc import Sequence

from components.kubernetes.existing import Prerequisite
from components.kubernetes.objects import RBAC, ClusterObject, rbac_subject, role_ref, rule
from components.users.options import ADMIN_RBAC_GROUP, Binding, UserOptions

KUBELET_API_ROLE = "system:kube-apiserver-to-kubelet"
KUBELET_API_BINDING = "system:kube-apiserver"
KUBELET_API_RULES = [rule([""], ["nodes/proxy", "nodes/stats", "nodes/log", "nodes/spec", "nodes/metrics"], ["*"])]
"""The tutorial's ClusterRole: what `kubectl logs`, `exec` and `port-forward` need kube-apiserver to reach."""
ADMIN_BINDING = "kthw:cluster-admins"


def binding_name(user: str, binding: Binding) -> str:
    """``kthw:user:NAME:KIND:ROLE``: the role is part of the name, so a change of role is a new binding."""
    return f"kthw:user:{user}:{binding.kind}:{binding.role}"


def user_subject(name: str) -> dict[str, str]:
    return rbac_subject("User", name)


def user_bindings(user: UserOptions) -> list[ClusterObject]:
    """A ClusterRoleBinding for the user's clusterRole, a RoleBinding per namespace of ``roles``."""
    return [
        ClusterObject(RBAC, "ClusterRoleBinding" if binding.namespace is None else "RoleBinding",
                      binding_name(user.name, binding), binding.namespace,
                      {"roleRef": role_ref(binding.kind, binding.role), "subjects": [user_subject(user.name)]})
        for binding in user.bindings
    ]


def admin_binding() -> ClusterObject:
    """The RBAC admin: the group kthw:cluster-admins bound to cluster-admin."""
    return ClusterObject(RBAC, "ClusterRoleBinding", ADMIN_BINDING, None,
                         {"roleRef": role_ref("ClusterRole", "cluster-admin"),
                          "subjects": [rbac_subject("Group", ADMIN_RBAC_GROUP)]})


def kubelet_api_objects(api_server_user: str) -> list[ClusterObject]:
    """The tutorial's ClusterRole system:kube-apiserver-to-kubelet and its binding to kube-apiserver's client
    identity."""
    return [
        ClusterObject(RBAC, "ClusterRole", KUBELET_API_ROLE, None, {"rules": KUBELET_API_RULES},
                      annotations={"rbac.authorization.kubernetes.io/autoupdate": "true"}),
        ClusterObject(RBAC, "ClusterRoleBinding", KUBELET_API_BINDING, None,
                      {"roleRef": role_ref("ClusterRole", KUBELET_API_ROLE),
                       "subjects": [user_subject(api_server_user)]}),
    ]


def user_prerequisites(users: Sequence[UserOptions]) -> list[Prerequisite]:
    """What each user's bindings need and kthw does not make: every namespace of ``roles`` (a RoleBinding cannot be
    made without it) and every role bound (a binding to a missing role grants nothing)."""
    needs: list[Prerequisite] = []
    for index, user in enumerate(users):
        who = f"users[{index}] ({user.name})"
        for binding in user.bindings:
            if binding.namespace is not None:
                needs.append(Prerequisite(ClusterObject("v1", "Namespace", binding.namespace, None, {}), who, True))
            role_namespace = binding.namespace if binding.kind == "Role" else None
            needs.append(Prerequisite(ClusterObject(RBAC, binding.kind, binding.role, role_namespace, {}), who, False))
    return needs
