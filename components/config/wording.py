"""How messages word counts and lists of names: ``1 node``, ``2 nodes``; ``a, b, c and 4 more``."""

from __future__ import annotations

from collections.abc import Sequence

NAMES_SHOWN = 5
"""How many names a list in a message gives before it says how many more there are."""


def plural(count: int, singular: str, plural_form: str = "") -> str:
    """``singular`` for a count of 1, else ``plural_form`` (by default ``singular`` and an s): ``carries``/``carry``."""
    return singular if count == 1 else plural_form or f"{singular}s"


def counted(count: int, singular: str, plural_form: str = "") -> str:
    """The count and its noun: ``1 node``, ``2 nodes``, ``2 deployed nodes``."""
    return f"{count} {plural(count, singular, plural_form)}"


def some_names(names: Sequence[str], shown: int = NAMES_SHOWN) -> str:
    """``a, b, c``, or the first ``shown`` and how many more."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more} more" if more > 0 else "")
