"""The error types every config problem is reported with (one problem, or several found together), and how a
message shows the value it is about."""

from __future__ import annotations

import contextlib
import contextvars
import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

T = TypeVar("T")

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


class AnyConfigError(ValueError):
    """One config problem or several: what every check raises and every caller catches, as ``errors``."""

    @property
    def errors(self) -> list[ConfigError]:
        """Every problem, in the order found."""
        raise NotImplementedError


class ConfigError(AnyConfigError):
    """A config value the program cannot accept.

    ``key`` is the config path as the user sets it (``network.serviceCidr``, ``nodes[2].podCidr``),
    ``problem`` says what is wrong and ``accepted`` what would be accepted instead.

    A problem found while ``hiding_values`` is in force (the value comes from a key set with ``--secret``) is told
    without values: ``without_values`` words it so (``"is a loopback address"``), or it is only "refused". A check
    whose ``problem`` and ``accepted`` show values only through ``shown`` (which hides them) passes ``safe``: its
    text is printed as it is.
    """

    def __init__(self, key: str, problem: str, accepted: str = "", *, without_values: str = "",
                 safe: bool = False) -> None:
        self.key = key
        self.problem = problem
        self.accepted = accepted
        self.without_values = without_values
        """The problem in words that show no value, for config set with ``--secret``; empty: only "is refused"."""
        self.safe = safe
        self.hidden = _hiding_values.get()
        """Whether the value came from secret config: then ``str`` never shows it."""
        super().__init__(self.text(self.hidden))

    def text(self, hide_values: bool) -> str:
        """The message; with ``hide_values`` (and not ``safe``) the key and a problem without values."""
        if hide_values and not self.safe:
            return f"invalid config kthw:{self.key}: {self.without_values or 'is refused'} ({SECRET_VALUES})"
        text = f"invalid config kthw:{self.key}: {self.problem}"
        if self.accepted:
            text += f"; expected {self.accepted}"
        return text

    @property
    def errors(self) -> list[ConfigError]:
        """This one problem."""
        return [self]


class CollectedConfigError(AnyConfigError):
    """Several independent config problems, reported together so one preview shows them all (as kube-apiserver's
    options validation collects every error)."""

    def __init__(self, errors: list[ConfigError]) -> None:
        self._errors = errors
        super().__init__("\n".join(str(error) for error in errors))

    @property
    def errors(self) -> list[ConfigError]:
        return self._errors


class Problems:
    """Collects the ConfigErrors of independent checks, so that one run reports all of them."""

    def __init__(self) -> None:
        self.errors: list[ConfigError] = []
        """Every problem found so far, in the order the checks ran."""

    def check(self, read: Callable[[], T], fallback: T) -> T:
        """The result of ``read``, or ``fallback`` after recording the problem(s) it raised."""
        try:
            return read()
        except AnyConfigError as problems:
            self.errors.extend(problems.errors)
        return fallback

    def raise_any(self) -> None:
        """Raise the one problem found, or all of them together."""
        raise_all(self.errors)


def problem_lines(errors: Sequence[ConfigError], hide_values: bool) -> list[str]:
    """One line per problem; with ``hide_values`` (the values come from secret config) none shows a value."""
    return [error.text(hide_values or error.hidden) for error in errors]


def raise_all(errors: Sequence[ConfigError]) -> None:
    """Raise nothing, the one problem, or all of them together in a CollectedConfigError."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise CollectedConfigError(list(errors))


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
