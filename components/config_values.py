"""Readers of single config values: each checks one value's type and range and raises a ConfigError that names
its key and what would be accepted."""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from typing import Any

from components.cidr import IPNetwork, parse_cidr
from components.errors import ConfigError

_PATH_FORBIDDEN = re.compile(r"[\s\"'%\\\x00-\x1f\x7f]")


def or_default(obj: Mapping[str, Any], key: str, default: Any) -> Any:
    """The value at ``key``, or ``default`` where it is unset or null."""
    value = obj.get(key)
    return default if value is None else value


def decoded(value: Any, key: str, kind: type, accepted: str) -> Any:
    if isinstance(value, str) and kind is not str:
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(key, f"{value!r} is not valid JSON", accepted) from None
    if not isinstance(value, kind):
        raise ConfigError(key, f"is a {type(value).__name__}, not a {kind.__name__}", accepted)
    return value


def json_object(value: Any, key: str, known: Collection[str], required: Collection[str] = ()) -> dict[str, Any]:
    """A JSON object with only ``known`` keys, all ``required`` ones set (the hot path of 5,000 nodes: the
    messages are built only on error)."""
    def accepted() -> str:
        return f"an object with the keys {', '.join(known)}"

    if type(value) is not dict:
        value = decoded(value, key, dict, accepted())
    obj: dict[str, Any] = value
    for name in obj:
        if name not in known:
            raise ConfigError(f"{key}.{name}", "is not a known key", accepted())
    for name in required:
        if obj.get(name) is None:
            raise ConfigError(f"{key}.{name}", "is required", accepted())
    return obj


def matching_string(value: Any, key: str, pattern: re.Pattern[str], accepted: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a string", accepted)
    if not pattern.fullmatch(value):
        raise ConfigError(key, f"{value!r} is not accepted", accepted)
    return value


def one_of(value: Any, key: str, choices: Collection[Any]) -> Any:
    accepted = "one of " + ", ".join(repr(choice) for choice in choices)
    if value not in choices or not any(type(value) is type(choice) for choice in choices):
        raise ConfigError(key, f"{value!r} is not accepted", accepted)
    return value


def integer_in(value: Any, key: str, low: int, high: int) -> int:
    accepted = f"an integer from {low} to {high}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"{value!r} is not an integer", accepted)
    if not low <= value <= high:
        raise ConfigError(key, f"{value} is out of range", accepted)
    return value


def boolean(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ConfigError(key, f"{value!r} is not a boolean", "true or false")


def file_path(value: Any, key: str) -> str:
    accepted = "a file path without blanks, quotes, backslashes or '%' that does not start with '-'"
    if not isinstance(value, str) or not value:
        raise ConfigError(key, f"{value!r} is not a path", accepted)
    if _PATH_FORBIDDEN.search(value) or value.startswith("-"):
        raise ConfigError(key, f"{value!r} has characters ssh would read as syntax", accepted)
    return value


def cidr_list(value: Any, key: str) -> tuple[IPNetwork, ...]:
    if not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a string", "one CIDR, or two separated by a comma")
    return tuple(parse_cidr(part, key) for part in value.split(","))
