"""How a ``nodesFile``'s problems are told: never with the file's text.

The file may be anything its path leads to (a key, a token, a passwd file), and messages appear in previews that
every reviewer of a pull request reads. So a line or item that does not read as a machine is described by its line,
its column or field and what was expected, never by its text; a value is shown only once it has been read as what
its column holds (an address, a pod CIDR, a valid node name), and then by the network rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from components.config.errors import ConfigError, Problems
from components.config.shown import kind_of, shown
from components.network.rules import is_dns1123_subdomain

T = TypeVar("T")

KEY = "nodesFile"
MAX_PROBLEMS = 50
"""Reading stops after this many problems: a file that is no node list (a log, a word list) would otherwise make
one message per line."""
NAME_ACCEPTED = "a node name: lowercase letters, digits, '-' and '.', such as node-0"


def stopped(line: int) -> ConfigError:
    """The last problem of a file that has ``MAX_PROBLEMS`` before ``line``: the rest is not read."""
    return ConfigError(KEY, f"has {MAX_PROBLEMS} problems before line {line}: the rest is not read",
                       "a file listing the nodes", safe=True)


def without_text(error: ConfigError, text: str) -> str:
    """What ``error`` (parse_ip's or parse_cidr's) says of a column, without the column's text: its wording
    without values, or its problem less the description of the value that leads it ("'10.0.0.256' has an IPv4
    octet with a leading zero or above 255" -> "has an IPv4 octet with a leading zero or above 255")."""
    if error.without_values:
        return error.without_values
    parts = text.split(",")
    for candidate in (text, *parts, *(part.split("/")[0] for part in parts)):
        lead = f"{shown(candidate)} "
        if error.problem.startswith(lead):
            return error.problem[len(lead):]
    return "cannot be read"


def column(parse: Callable[[str, str], T], text: str, key: Callable[[], str], problems: Problems) -> T | None:
    """``parse(text, ...)``, or None after recording its problem under ``key()``, told without the text (the key
    is made only then: 5,000 lines make 15,000 columns)."""
    try:
        return parse(text, KEY)
    except ConfigError as error:
        problems.errors.append(ConfigError(key(), without_text(error, text), error.accepted, safe=True))
        return None


def name_problem(name: Any, key: Callable[[], str]) -> ConfigError | None:
    """Why ``name`` is no node name, under ``key()``, in words that do not show it (a valid name is shown by the
    network rules)."""
    if not isinstance(name, str):
        return ConfigError(key(), f"is {kind_of(name)}, not a string", NAME_ACCEPTED, safe=True)
    if not is_dns1123_subdomain(name):
        return ConfigError(key(), "is not a lowercase RFC 1123 subdomain", NAME_ACCEPTED, safe=True)
    return None
