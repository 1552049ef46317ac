"""How Go's YAML library (go-yaml v2, which kubectl writes and reads kubeconfigs with through sigs.k8s.io/yaml) reads
an unquoted scalar, so the kubeconfig quotes exactly the strings kubectl quotes.

go-yaml v2 follows YAML 1.1 more widely than PyYAML: ``y``/``n``/``on``/``off`` are booleans, ``1e3`` is a float,
``0o17`` and ``0x1F`` are integers, ``08`` is the float 8, ``2024-1-5`` a timestamp, ``1:30`` a base-60 float. Any of
these written unquoted makes kubectl read a bool or a number where a name must be, and refuse the whole file. Its
encoder writes a string in double quotes when the plain form would not read back as that string (encode.go
``stringv``: ``canUsePlain``); ``reads_as_string`` is that decision (resolve.go ``resolve`` and ``isBase60Float``).
"""

from __future__ import annotations

import calendar
import math
import re

_KEYWORDS = frozenset({
    "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE",
    "n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE",
    "", "~", "null", "Null", "NULL",
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
})
"""resolve.go's resolveMap: booleans, nulls and special floats. Its merge key ``<<`` is left out: ``resolve`` looks a
text up only when its first character is in ``resolveTable`` (a sign, a digit, ``yYnNtTfFoO~`` or ``.``), so ``<<``
reads as a string and kubectl writes it plain."""
_NUMERIC_START = frozenset("+-0123456789")
_YAML_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_BASE60_FLOAT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_DATE = r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
_TIMESTAMP = re.compile(
    rf"{_DATE}(?:[Tt]([0-9]{{1,2}}):([0-9]{{1,2}}):([0-9]{{1,2}})(?:[.,][0-9]+)?(Z|[-+][0-9]{{2}}:[0-9]{{2}}))?"
)
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}
INT64_MIN, UINT64_MAX = -(2**63), 2**64 - 1


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt/ParseUint(text, 0, 64): 0x, 0o, 0b and leading-0 octal prefixes, within 64 bits."""
    sign, digits = 1, text
    if digits[:1] in ("+", "-"):
        sign, digits = (-1 if digits[0] == "-" else 1), digits[1:]
    base = 10
    if len(digits) > 1 and digits[0] == "0":
        prefixes = {"x": 16, "X": 16, "o": 8, "O": 8, "b": 2, "B": 2}
        base, digits = (prefixes[digits[1]], digits[2:]) if digits[1] in prefixes else (8, digits[1:])
    if not digits or any(character not in _DIGITS[base] for character in digits):
        return None
    value = sign * int(digits, base)
    return value if INT64_MIN <= value <= UINT64_MAX else None


def _is_timestamp(text: str) -> bool:
    """parseTimestamp: the formats 2006-1-2 and 2006-1-2T15:4:5.999999999Z07:00, with Go's range checks."""
    match = _TIMESTAMP.fullmatch(text)
    if match is None:
        return False
    year, month, day, hour, minute, second, zone = match.groups()
    if not 1 <= int(month) <= 12 or not 1 <= int(day) <= calendar.monthrange(int(year), int(month))[1]:
        return False
    if hour is not None and (int(hour) >= 24 or int(minute) >= 60 or int(second) >= 60):
        return False
    return not (zone and zone != "Z" and (int(zone[1:3]) > 24 or int(zone[4:6]) > 60))


def _is_number(text: str) -> bool:
    plain = text.replace("_", "")
    if _go_parse_int(plain) is not None:
        return True
    if _YAML_FLOAT.fullmatch(plain) and not math.isinf(float(plain)):
        return True  # strconv.ParseFloat fails (ErrRange) only on overflow
    if plain.startswith(("0b", "-0b")):
        binary = plain.split("b", 1)[1]
        return bool(binary) and set(binary) <= {"0", "1"} and int(binary, 2) <= 2**63
    return False


def reads_as_string(text: str) -> bool:
    """Whether go-yaml v2 reads ``text`` written unquoted back as this string (and so writes it unquoted)."""
    if text in _KEYWORDS:
        return False
    if _BASE60_FLOAT.fullmatch(text):
        return False
    if text[:1] == ".":
        return not (_YAML_FLOAT.fullmatch(text) and not math.isinf(float(text)))
    if text[:1] in _NUMERIC_START:
        return not (_is_timestamp(text) or _is_number(text))
    return True
