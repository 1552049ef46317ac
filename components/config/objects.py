"""Config objects read into their options dataclasses: a dataclass's fields are the keys the object accepts (the
field's name in camelCase, or the keys its metadata names), the fields without a default its required keys, and
each default is the field's, so that no key or default is written twice."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from components.config.errors import Problems
from components.config.values import json_object

T = TypeVar("T")

_KEYS = "kthw.keys"


def keys(*names: str) -> dict[str, tuple[str, ...]]:
    """Field metadata naming the config keys a field is read from, where they are not its name in camelCase; none:
    the field is read from no key (it is derived)."""
    return {_KEYS: names}


def field_keys(field: dataclasses.Field[Any]) -> tuple[str, ...]:
    """The config keys of one field: ``ssh_port`` is read from ``sshPort``."""
    if _KEYS in field.metadata:
        names: tuple[str, ...] = field.metadata[_KEYS]
        return names
    head, *rest = field.name.split("_")
    return (head + "".join(part.capitalize() for part in rest),)


def known_keys(options: type) -> tuple[str, ...]:
    """Every key of the config object that ``options`` is read from, in the order of its fields."""
    return tuple(key for field in dataclasses.fields(options) for key in field_keys(field))


def required_keys(options: type) -> tuple[str, ...]:
    """The keys of the fields without a default."""
    return tuple(key for field in dataclasses.fields(options) if not _has_default(field) for key in field_keys(field))


def default_of(options: type, name: str) -> Any:
    """The default of the field ``name`` of ``options``."""
    field = _field(options, name)
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def option_key(options: type, name: str) -> str:
    """The one config key the field ``name`` of ``options`` is read from."""
    (key,) = field_keys(_field(options, name))
    return key


def _field(options: type, name: str) -> dataclasses.Field[Any]:
    return next(field for field in dataclasses.fields(options) if field.name == name)


def _has_default(field: dataclasses.Field[Any]) -> bool:
    return field.default is not dataclasses.MISSING or field.default_factory is not dataclasses.MISSING


_UNSET: Any = object()


class OptionsObject:
    """One config object (``tunnel``, ``pki``...) as its options dataclass reads it: each field from its key, or its
    default where the key is unset (or null); the problems of every field collected in ``problems``."""

    def __init__(self, options: type, key: str, obj: Mapping[str, Any], problems: Problems) -> None:
        self.options = options
        """The options dataclass."""
        self.key = key
        """The object's config key, which each field's key in messages starts with (``pki.rsaBits``)."""
        self.obj = obj
        """The object as decoded."""
        self.problems = problems
        """Where every problem of the object is recorded."""

    @classmethod
    def read(cls, options: type, key: str, value: Any, problems: Problems) -> OptionsObject:
        """The object ``value`` (decoded, or JSON text; unset is empty) with every unknown or missing required key
        reported into ``problems``, its fields still read; a value that is no object is reported, and read as
        empty."""
        unread: dict[str, Any] = {}
        obj = problems.check(lambda: json_object({} if value is None else value, key, known_keys(options),
                                                 required_keys(options), problems), unread)
        return cls(options, key, obj, problems)

    def field(self, name: str, parse: Callable[[Any, str], T], fallback: T = _UNSET) -> T:
        """The field ``name``: ``parse(value, "object.key")``, or its default where the key is unset (``fallback`` for
        a required field, whose absence is reported already). After a problem, which is recorded: ``fallback`` when
        given, else the default."""
        key = option_key(self.options, name)
        default = default_of(self.options, name) if _has_default(_field(self.options, name)) else fallback
        value = self.obj.get(key)
        if value is None:
            return default
        after_problem = default if fallback is _UNSET else fallback
        return self.problems.check(lambda: parse(value, f"{self.key}.{key}"), after_problem)
