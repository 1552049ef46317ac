"""What the stack records of its users, in plain outputs: ``users`` (each user's groups, bindings and certificate
expiry) and ``revokedUsers`` (each name removed from the config whose certificate is still valid).

Kubernetes knows a user by the certificate's CN alone: a removed user's certificate stays valid until it expires, and
grants whatever is bound to that name. So a name removed and later put back makes the old certificate, wherever it
is, work again: the record keeps each removed name until its certificate expires, and a user put back under it is
warned of.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from components.pki.lifetimes import parse_rfc3339, rfc3339
from components.users.bindings import user_bindings
from components.users.options import UserOptions

USERS_OUTPUT = "users"
REVOKED_OUTPUT = "revokedUsers"


def user_entry(user: UserOptions, cert_not_after: str) -> dict[str, Any]:
    """One user in the ``users`` output."""
    return {
        "groups": list(user.groups),
        "bindings": [binding.reference for binding in user_bindings(user)],
        "certNotAfter": cert_not_after,
        "keyHeldBy": "user" if user.csr is not None else "kthw",
    }


def _expired(entry: Mapping[str, Any], now: datetime) -> bool:
    """Whether the recorded certificate has expired (an unreadable record is kept: it may still be valid)."""
    not_after = parse_rfc3339(entry.get("certNotAfter"))
    return not_after is not None and not_after <= now


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def revoked_record(last_outputs: Mapping[str, Any], names: Collection[str], now: datetime | None = None,
                   ) -> dict[str, dict[str, Any]]:
    """The ``revokedUsers`` record: the last one's names that are still removed and whose certificate is valid, and
    each user the last deployment had that the config no longer has, removed now."""
    now = now or datetime.now(UTC)
    record: dict[str, dict[str, Any]] = {}
    for name, entry in _mapping(last_outputs.get(REVOKED_OUTPUT)).items():
        if name not in names and isinstance(entry, Mapping) and not _expired(entry, now):
            record[name] = dict(entry)
    for name, entry in _mapping(last_outputs.get(USERS_OUTPUT)).items():
        if name not in names and isinstance(entry, Mapping):
            record[name] = {"removedAt": rfc3339(now), "certNotAfter": entry.get("certNotAfter")}
    return record


def reuse_warnings(users: Sequence[UserOptions], last_outputs: Mapping[str, Any], now: datetime | None = None,
                   ) -> list[str]:
    """One warning for each user whose name was removed and whose certificate from then is still valid."""
    now = now or datetime.now(UTC)
    revoked = _mapping(last_outputs.get(REVOKED_OUTPUT))
    warnings = []
    for index, user in enumerate(users):
        entry = revoked.get(user.name)
        if isinstance(entry, Mapping) and not _expired(entry, now):
            warnings.append(
                f"users[{index}].name: {user.name} was removed at {entry.get('removedAt')}, and the certificate it "
                f"had is valid until {entry.get('certNotAfter')}: Kubernetes knows a user by name alone, so that "
                "certificate, wherever it is, gets this user's access again. If it may have leaked, use another name "
                "(or rotate the CA)")
    return warnings
