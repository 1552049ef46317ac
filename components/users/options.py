"""The ``users`` key: people and robots with a certificate of their own and access that RBAC grants and takes back;
``adminAccess``: how the admin certificate is authorized; ``breakGlass``: a system:masters kubeconfig on request;
``kubeletApiAccess``: the tutorial's RBAC that lets kube-apiserver reach the kubelets. Each default is declared once,
here; what is refused is in components/users/rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from components.config_values import boolean, decoded, integer_in, json_object, one_of, or_default
from components.errors import ConfigError, Problems, key_text

ADMIN_ACCESS = ("masters", "rbac")
"""masters: the tutorial's admin, O=system:masters (no RBAC can restrict or revoke it); rbac: the admin carries the
group kthw:cluster-admins, bound to cluster-admin (kubeadm's admin.conf since 1.29)."""
ADMIN_RBAC_GROUP = "kthw:cluster-admins"
USER_VALIDITY_HOURS = 2160
"""90 days: a person's credential lives shorter than the admin's year."""
USER_EARLY_RENEWAL_HOURS = 240
BREAK_GLASS_VALIDITY_HOURS = 24
"""A day: system:masters cannot be revoked, so the break-glass credential expires on its own, soon."""
_USERS_ACCEPTED = "a list of {name, groups?, clusterRole?, roles?, csr?, validityHours?, earlyRenewalHours?} objects"


@dataclass(frozen=True)
class Binding:
    """One grant: a ClusterRole cluster-wide (namespace None), or a Role or ClusterRole in a namespace."""

    kind: str
    """"ClusterRole" or "Role"."""
    role: str
    namespace: str | None = None


@dataclass(frozen=True)
class UserOptions:
    """One user."""

    name: str
    """The certificate's CN: the user name kube-apiserver authorizes and the audit log records."""
    groups: tuple[str, ...] = ()
    """The certificate's O values."""
    cluster_role: str | None = None
    roles: tuple[Binding, ...] = ()
    """Namespace grants: ``roles: {NAMESPACE: CLUSTERROLE}`` or ``{NAMESPACE: {role: R}}`` or
    ``{NAMESPACE: {clusterRole: C}}``."""
    csr: str | None = None
    """The user's own certificate request (PEM): their key never enters the state."""
    validity_hours: int = USER_VALIDITY_HOURS
    early_renewal_hours: int = USER_EARLY_RENEWAL_HOURS

    @property
    def bindings(self) -> tuple[Binding, ...]:
        """Every grant, the cluster-wide one first."""
        cluster = (Binding("ClusterRole", self.cluster_role),) if self.cluster_role else ()
        return cluster + self.roles


USER_KEYS = ("name", "groups", "clusterRole", "roles", "csr", "validityHours", "earlyRenewalHours")


def _text(value: Any, key: str, accepted: str) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(key, "is not a non-empty string", accepted, safe=True)
    return value


def _namespace_grant(namespace: str, value: Any, key: str) -> Binding:
    """One entry of ``roles``: a ClusterRole's name, or an object naming a Role or a ClusterRole (not both)."""
    accepted = "a ClusterRole's name, or {role: NAME}, or {clusterRole: NAME}"
    if isinstance(value, str):
        return Binding("ClusterRole", _text(value, key, accepted), namespace)
    grant = json_object(value, key, ("role", "clusterRole"))
    given = [name for name in ("role", "clusterRole") if grant.get(name) is not None]
    if len(given) != 1:
        problem = "gives a role in two shapes at once" if given else "gives no role"
        raise ConfigError(key, f"{problem} (role and clusterRole)", accepted, safe=True)
    kind = "Role" if given[0] == "role" else "ClusterRole"
    return Binding(kind, _text(grant[given[0]], f"{key}.{given[0]}", accepted), namespace)


def _roles(value: Any, key: str) -> tuple[Binding, ...]:
    grants = decoded(value, key, dict, "an object mapping a namespace to a role")
    problems = Problems()
    bindings = [problems.check(partial(_namespace_grant, str(namespace), grant, f"{key}.{key_text(str(namespace))}"),
                               None) for namespace, grant in grants.items()]
    problems.raise_any()
    return tuple(binding for binding in bindings if binding is not None)


def _groups(value: Any, key: str) -> tuple[str, ...]:
    groups = decoded(value, key, list, "a list of group names")
    problems = Problems()
    parsed = [problems.check(partial(_text, group, f"{key}[{index}]", "a group name"), "")
              for index, group in enumerate(groups)]
    problems.raise_any()
    return tuple(parsed)


def parse_user(value: Any, index: int) -> UserOptions:
    key = f"users[{index}]"
    problems = Problems()
    obj = json_object(value, key, USER_KEYS, ("name",), problems)
    defaults = UserOptions("")
    user = UserOptions(
        name=problems.check(lambda: _text(obj.get("name"), f"{key}.name", "a user name"), ""),
        groups=problems.check(lambda: _groups(or_default(obj, "groups", []), f"{key}.groups"), ()),
        cluster_role=None if obj.get("clusterRole") is None else problems.check(
            lambda: _text(obj["clusterRole"], f"{key}.clusterRole", "a ClusterRole's name"), None),
        roles=problems.check(lambda: _roles(or_default(obj, "roles", {}), f"{key}.roles"), ()),
        csr=None if obj.get("csr") is None else problems.check(
            lambda: _text(obj["csr"], f"{key}.csr", "a PEM certificate request"), None),
        validity_hours=problems.check(lambda: integer_in(
            or_default(obj, "validityHours", defaults.validity_hours), f"{key}.validityHours", 1, 10 * 8784),
            defaults.validity_hours),
        early_renewal_hours=problems.check(lambda: integer_in(
            or_default(obj, "earlyRenewalHours", defaults.early_renewal_hours), f"{key}.earlyRenewalHours", 0,
            10 * 8784), defaults.early_renewal_hours),
    )
    problems.raise_any()
    return user


def parse_users(value: Any) -> tuple[UserOptions, ...]:
    """``users``: every entry read, the problems of all of them raised together."""
    items = decoded([] if value is None else value, "users", list, _USERS_ACCEPTED)
    problems = Problems()
    users = [problems.check(partial(parse_user, item, index), None) for index, item in enumerate(items)]
    problems.raise_any()
    return tuple(user for user in users if user is not None)


@dataclass(frozen=True)
class AccessOptions:
    """How the admin is authorized, the break-glass credential, and kube-apiserver's access to the kubelets."""

    admin_access: str = "masters"
    break_glass: bool = False
    """A system:masters kubeconfig (``breakGlassKubeconfig``), valid BREAK_GLASS_VALIDITY_HOURS, renewed by the
    first `up` in its second half."""
    kubelet_api_user: str | None = None
    """The user kube-apiserver presents to the kubelets (``kubernetes`` in the tutorial): bound to the ClusterRole
    system:kube-apiserver-to-kubelet, without which `kubectl logs` and `exec` fail."""


def parse_access(admin_access: Any, break_glass: Any, kubelet_api_user: Any) -> AccessOptions:
    """``adminAccess``, ``breakGlass`` and ``kubeletApiUser``, every problem reported together."""
    defaults = AccessOptions()
    problems = Problems()
    options = AccessOptions(
        admin_access=problems.check(lambda: one_of(
            defaults.admin_access if admin_access in (None, "") else admin_access, "adminAccess", ADMIN_ACCESS),
            defaults.admin_access),
        break_glass=problems.check(lambda: boolean(False if break_glass in (None, "") else break_glass,
                                                   "breakGlass"), False),
        kubelet_api_user=None if kubelet_api_user in (None, "") else problems.check(
            lambda: _text(kubelet_api_user, "kubeletApiUser", "the user name of kube-apiserver's kubelet client "
                                                              "certificate (kubernetes in the tutorial)"), None),
    )
    problems.raise_any()
    return options

