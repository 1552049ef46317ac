"""How a message shows the value it is about: short plain values as written, anything that could be secret or is
long by its kind, and nothing of a value from config set with ``--secret`` (inside ``hiding_values``)."""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Iterator
from typing import Any

SHOWN_MAX_CHARACTERS = 40
"""Longer strings are described by their length: a message appears in previews that every reviewer of a pull
request reads, and a long value is more likely a pasted secret than a name."""

_KEY_MATERIAL = (
    ("PRIVATE KEY-----", "a PEM private key"),
    ("-----BEGIN CERTIFICATE-----", "a PEM certificate"),
    ("-----BEGIN", "PEM text"),
    ("ssh-rsa ", "an SSH public key"),
    ("ssh-ed25519 ", "an SSH public key"),
    ("ecdsa-sha2-", "an SSH public key"),
)

SECRET_VALUES = "the values come from secret config and are not shown"
"""What a message says in place of values that come from config set with ``--secret``."""

_hiding_values: contextvars.ContextVar[bool] = contextvars.ContextVar("hiding_values", default=False)


def kind_of(value: Any) -> str:
    """The JSON kind of a config value, in words: "an object", "a list", "empty"..."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a value of an unknown kind"


def _key_material(text: str) -> str | None:
    for marker, kind in _KEY_MATERIAL:
        if marker in text:
            return kind
    return None


def shown(value: Any) -> str:
    """A config value as a message shows it: short plain values as written, anything that could be secret or is
    long by its kind ("a PEM private key", "a string of 412 characters"); nothing of a secret config value."""
    if isinstance(value, str):
        material = _key_material(value)
        if material is not None:
            return material
        if _hiding_values.get():
            return "a secret value"
        if len(value) > SHOWN_MAX_CHARACTERS:
            return f"a string of {len(value)} characters"
        return repr(value)
    if _hiding_values.get():
        return "a secret value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and value.bit_length() > 64:
        return f"an integer of about {int(value.bit_length() * math.log10(2)) + 1} digits"  # repr is slow or refused
    if isinstance(value, int | float):
        text = repr(value)
        return text if len(text) <= 20 else f"{kind_of(value)} of {len(text)} characters"
    if isinstance(value, list | tuple):
        return f"a list of {len(value)} items" if value else "an empty list"
    if isinstance(value, dict):
        return "an object" if value else "an empty object"
    return kind_of(value)


def key_text(name: str) -> str:
    """A key name the user wrote (an unknown one), as a message shows it: as written when it is a plain short
    name, else like a value ("'a\\nb'", "a string of 300 characters")."""
    if _hiding_values.get():
        return "(a key of a secret value)"
    plain = name.isascii() and name.isprintable() and " " not in name and 0 < len(name) <= SHOWN_MAX_CHARACTERS
    return name if plain and _key_material(name) is None else shown(name)


def values_hidden() -> bool:
    """Whether the value being read comes from config set with ``--secret`` (inside ``hiding_values``)."""
    return _hiding_values.get()


@contextlib.contextmanager
def hiding_values() -> Iterator[None]:
    """Within this block ``shown`` gives only the kind of a value: for keys set with ``--secret``."""
    token = _hiding_values.set(True)
    try:
        yield
    finally:
        _hiding_values.reset(token)
