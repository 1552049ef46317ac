"""The ``users`` key: people and robots with a certificate of their own and access that RBAC grants and takes back;
``adminAccess``: how the admin certificate is authorized; ``breakGlass``: a system:masters kubeconfig on request;
``kubeletApiUser``: the tutorial's RBAC that lets kube-apiserver reach the kubelets. Each default is declared once,
here; what is refused is in users/rules.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import Any

from components.config.errors import ConfigError, Problems
from components.config.objects import OptionsObject, default_of
from components.config.shown import key_text
from components.config.values import boolean, decoded, integer_in, json_object, one_of
from components.kubeconfig.options import COMMON_NAME_MAX, parse_name
from components.pki.options import VALIDITY_HOURS_MAX

ADMIN_ACCESS = ("masters", "rbac")
"""masters: the tutorial's admin, O=system:masters (no RBAC can restrict or revoke it); rbac: the admin carries the
group kthw:cluster-admins, bound to cluster-admin (kubeadm's admin.conf since 1.29)."""
ADMIN_RBAC_GROUP = "kthw:cluster-admins"
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
    """One entry of ``users``."""

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
    validity_hours: int = 2160
    """90 days: a person's credential lives shorter than the admin's year."""
    early_renewal_hours: int = 240

    @property
    def bindings(self) -> tuple[Binding, ...]:
        """Every grant, the cluster-wide one first."""
        cluster = (Binding("ClusterRole", self.cluster_role),) if self.cluster_role else ()
        return cluster + self.roles


def _text(value: Any, key: str, accepted: str = "a non-empty string") -> str:
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


def _early_renewal(value: Any, key: str, validity: int) -> int:
    """Below the validity, as pki.earlyRenewalHours: a window as long as the certificate would renew it at every
    `up`."""
    default = default_of(UserOptions, "early_renewal_hours")
    if value is None and default >= validity:
        raise ConfigError(key, f"is unset, and its default {default} is not below the user's validityHours "
                          f"{validity}", f"earlyRenewalHours set below {validity}, say {validity // 10}", safe=True)
    return default if value is None else integer_in(value, key, 0, validity - 1)


def parse_user(value: Any, index: int) -> UserOptions:
    problems = Problems()
    obj = OptionsObject.read(UserOptions, f"users[{index}]", value, problems)
    validity = obj.field("validity_hours", lambda hours, key: integer_in(hours, key, 1, VALIDITY_HOURS_MAX))
    renewal_key = f"users[{index}].earlyRenewalHours"
    user = UserOptions(
        name=obj.field("name", _text, ""),
        groups=obj.field("groups", _groups),
        cluster_role=obj.field("cluster_role", _text),
        roles=obj.field("roles", _roles),
        csr=obj.field("csr", _text),
        validity_hours=validity,
        early_renewal_hours=problems.check(
            lambda: _early_renewal(obj.obj.get("earlyRenewalHours"), renewal_key, validity), 0),
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
    """One of ADMIN_ACCESS."""
    break_glass: bool = False
    """A system:masters kubeconfig (``breakGlassKubeconfig``), valid BREAK_GLASS_VALIDITY_HOURS, renewed by the
    first `up` in its second half."""
    kubelet_api_user: str | None = None
    """The user kube-apiserver presents to the kubelets, the CN of its kubelet client certificate (``kubernetes`` in
    the tutorial): bound to the ClusterRole system:kube-apiserver-to-kubelet, without which `kubectl logs` and
    `exec` fail."""


def parse_access(admin_access: Any, break_glass: Any, kubelet_api_user: Any) -> AccessOptions:
    """``adminAccess``, ``breakGlass`` and ``kubeletApiUser``, every problem reported together."""
    default_access = default_of(AccessOptions, "admin_access")
    problems = Problems()
    options = AccessOptions(
        admin_access=problems.check(lambda: one_of(
            default_access if admin_access in (None, "") else admin_access, "adminAccess", ADMIN_ACCESS),
            default_access),
        break_glass=problems.check(lambda: boolean(False if break_glass in (None, "") else break_glass,
                                                   "breakGlass"), False),
        kubelet_api_user=None if kubelet_api_user in (None, "") else problems.check(
            lambda: parse_name(kubelet_api_user, "kubeletApiUser", COMMON_NAME_MAX), None),
    )
    problems.raise_any()
    return options
