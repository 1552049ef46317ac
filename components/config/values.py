"""Readers of single config values: each checks one value's type and range and raises a ConfigError that names
its key and what would be accepted. Messages show values only through ``shown``."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from components.config.errors import ConfigError, Problems
from components.config.shown import key_text, kind_of, shown, values_hidden


def or_default(obj: Mapping[str, Any], key: str, default: Any) -> Any:
    """The value at ``key``, or ``default`` where it is unset or null."""
    value = obj.get(key)
    return default if value is None else value


def closest(name: str, known: Collection[str]) -> str | None:
    """The known key ``name`` is most probably a slip of (case and small typos), or None."""
    by_folded = {key.casefold(): key for key in known}
    matches = difflib.get_close_matches(name.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[matches[0]] if matches else None


def unknown_key_problem(name: str, known: Collection[str]) -> str:
    """``is not a known key``, with the closest known key when there is one."""
    match = closest(name, known)
    return "is not a known key" + (f"; did you mean {match}?" if match else "")


def decoded(value: Any, key: str, kind: type, accepted: str) -> Any:
    """``value`` as ``kind`` (dict or list), decoding JSON text as Pulumi hands structured values over."""
    if isinstance(value, str) and kind is not str:
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # JSONDecodeError, or an integer too long to convert
            raise ConfigError(key, f"{shown(value)} is not valid JSON", accepted, safe=True) from None
    if not isinstance(value, kind):
        wanted = "an object" if kind is dict else kind_of(kind())
        raise ConfigError(key, f"is {kind_of(value)}, not {wanted}", accepted, safe=True)
    return value


def json_object(
    value: Any, key: str, known: Collection[str], required: Collection[str] = (), problems: Problems | None = None
) -> dict[str, Any]:
    """A JSON object with only ``known`` keys, all ``required`` ones set; every unknown or missing key is reported,
    into ``problems`` when given (the caller goes on checking the fields), else raised (the hot path of 5,000 nodes:
    the messages are built only on error)."""
    def accepted() -> str:
        return f"an object with the keys {', '.join(known)}"

    if type(value) is not dict:
        value = decoded(value, key, dict, accepted())
    obj: dict[str, Any] = value
    if any(name not in known for name in obj) or any(obj.get(name) is None for name in required):
        raising = problems is None
        problems = Problems() if problems is None else problems
        for name in obj:
            if name not in known:
                problems.errors.append(
                    ConfigError(f"{key}.{key_text(str(name))}", unknown_key_problem(str(name), known), accepted(),
                                without_values="is not a known key"))
        for name in required:
            if obj.get(name) is None:
                problems.errors.append(ConfigError(f"{key}.{name}", "is required", accepted(), safe=True))
        if raising:
            problems.raise_any()
    return obj


def matching_string(value: Any, key: str, pattern: re.Pattern[str], accepted: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"{shown(value)} is not a string", accepted, safe=True)
    if not pattern.fullmatch(value):
        raise ConfigError(key, f"{shown(value)} is not accepted", accepted, safe=True)
    return value


def one_of(value: Any, key: str, choices: Collection[Any]) -> Any:
    accepted = "one of " + ", ".join(repr(choice) for choice in choices)
    if value not in choices or not any(type(value) is type(choice) for choice in choices):
        raise ConfigError(key, f"{shown(value)} is not accepted", accepted, safe=True)
    return value


_DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
"""An integer as text: what a field set with ``pulumi config set --secret --path`` holds (Pulumi stores a secret leaf
as an encrypted string, so ``loadBalancer.sshPort`` set that way arrives as "2222", not 2222)."""


def integer_in(value: Any, key: str, low: int, high: int) -> int:
    """An integer from ``low`` to ``high``; in a key set with ``--secret``, also its decimal text (how a secret field
    arrives), while plain config keeps YAML's types."""
    accepted = f"an integer from {low} to {high}"
    if isinstance(value, str) and values_hidden() and value.isascii() and _DECIMAL.fullmatch(value):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"{shown(value)} is not an integer", accepted, safe=True)
    if not low <= value <= high:
        raise ConfigError(key, f"{shown(value)} is out of range", accepted, safe=True)
    return value


def boolean(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ConfigError(key, f"{shown(value)} is not a boolean", "true or false", safe=True)
