"""What ``users`` refuses, naming the key: names kube-apiserver or X.509 would misread, names and groups Kubernetes
reserves (``system:`` carries default bindings, ``system:masters`` bypasses RBAC), kthw's own identities, duplicates,
namespaces and role names the API refuses, a certificate request that does not name the user and groups, and a user
list set with --secret (a Pulumi resource's name is never encrypted, and each user's resources are named after them).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from components.config.errors import ConfigError, raise_all
from components.config.shown import shown
from components.kubeconfig.options import COMMON_NAME_MAX, parse_name
from components.users.csr import request_identity
from components.users.options import ADMIN_RBAC_GROUP, UserOptions, parse_users

RESERVED_PREFIXES = ("system:", "kthw:")
"""system: is Kubernetes' (system:masters bypasses RBAC; system:authenticated and others carry default bindings);
kthw: names kthw's own identities and groups (kthw:cluster-admins, kthw:provider, kthw:break-glass)."""
ORGANIZATION_MAX = 64
"""RFC 5280's ub-organization-name: each group is an O of the certificate."""
_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_NAMESPACE_ACCEPTED = "a namespace name: at most 63 lowercase letters, digits and '-', starting and ending with one"
_ROLE_ACCEPTED = "a role's name: not '.' or '..', without '/' or '%', at most 253 characters"


def checked_users(value: Any, admin_user: str, *, users_secret: bool) -> tuple[UserOptions, ...]:
    """``users`` read and checked: every problem of every entry raised together."""
    users = parse_users(value)
    raise_all(user_problems(users, admin_user, users_secret=users_secret))
    return users


def user_problems(users: Sequence[UserOptions], admin_user: str, *, users_secret: bool) -> list[ConfigError]:
    """Every refusal of the user list, in config order."""
    if users and users_secret:
        return [ConfigError("users", "is secret config, and each user's certificate and bindings are resources named "
                            "after the user: Pulumi never encrypts a resource's name, so the names would show in "
                            "the state and in every preview", "users in plain config (a user's name is not secret: "
                            "it is in the audit log and the certificate)", safe=True)]
    problems: list[ConfigError] = []
    seen: dict[str, int] = {}
    for index, user in enumerate(users):
        key = f"users[{index}]"
        problems += _name_problems(user.name, f"{key}.name", admin_user)
        if user.name in seen:
            problems.append(ConfigError(f"{key}.name", f"{shown(user.name)} is already used by "
                                        f"users[{seen[user.name]}]", "a unique user name", safe=True))
        seen.setdefault(user.name, index)
        for position, group in enumerate(user.groups):
            problems += _group_problems(group, f"{key}.groups[{position}]")
        problems += _binding_problems(user, key)
        if user.csr is not None:
            problems += _request_problems(user, f"{key}.csr")
    return problems


def _name_problems(name: str, key: str, admin_user: str) -> list[ConfigError]:
    try:
        parse_name(name, key, COMMON_NAME_MAX)
    except ConfigError as error:
        return [error]
    if name.startswith(RESERVED_PREFIXES):
        return [ConfigError(key, f"{shown(name)} begins with a prefix Kubernetes or kthw reserves "
                            f"({', '.join(RESERVED_PREFIXES)})", "a person's or robot's own name", safe=True)]
    if name == admin_user:
        return [ConfigError(key, "is the admin's name (adminUser)", "a name of its own", safe=True)]
    return []


def _group_problems(group: str, key: str) -> list[ConfigError]:
    try:
        parse_name(group, key, ORGANIZATION_MAX)
    except ConfigError as error:
        return [error]
    if group.startswith(RESERVED_PREFIXES) or group == ADMIN_RBAC_GROUP:
        return [ConfigError(key, f"{shown(group)} begins with a prefix Kubernetes or kthw reserves: system:masters "
                            "belongs to the break-glass credential alone, other system: groups carry default "
                            f"bindings, and {ADMIN_RBAC_GROUP} is the admin's", "a group of its own", safe=True)]
    return []


def _binding_problems(user: UserOptions, key: str) -> list[ConfigError]:
    problems = []
    for binding in user.bindings:
        where = f"{key}.clusterRole" if binding.namespace is None else f"{key}.roles.{binding.namespace}"
        if binding.namespace is not None and not _DNS1123_LABEL.fullmatch(binding.namespace):
            problems.append(ConfigError(where, "is not a namespace name Kubernetes accepts", _NAMESPACE_ACCEPTED,
                                        safe=True))
        role = binding.role
        if role in (".", "..") or "/" in role or "%" in role or len(role) > 253:
            problems.append(ConfigError(where, f"{shown(role)} is not a role name Kubernetes accepts", _ROLE_ACCEPTED,
                                        safe=True))
    return problems


def _request_problems(user: UserOptions, key: str) -> list[ConfigError]:
    accepted = (f"a PEM certificate request with CN {user.name} and O {', '.join(user.groups) or '(none)'}: "
                f"openssl req -new -key KEY -subj '{''.join(f'/O={group}' for group in user.groups)}/CN={user.name}'")
    try:
        name, groups, signed = request_identity(user.csr or "")
    except ValueError:
        return [ConfigError(key, "is not a PEM certificate request", accepted, safe=True)]
    if not signed:
        return [ConfigError(key, "has a signature that does not verify", accepted, safe=True)]
    if name != user.name or sorted(groups) != sorted(user.groups):
        return [ConfigError(key, "names another user or other groups than the config", accepted, safe=True)]
    return []
