"""What a message about config set with ``--secret`` must not show of it."""

from __future__ import annotations

import contextlib
import json
import re
from typing import Any

from tests.helpers.mock_program import plain_strings

ADDRESS_LIKE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+|[0-9a-fA-F]*::[0-9a-fA-F]|/[0-9]+\b")
"""An IPv4 address, an IPv6 address or a prefix length: what a secret network or node list must not leak, even
derived ("did you mean 10.200.0.0/16?")."""


def assert_shows_nothing_of(text: str, secret: Any) -> None:
    """A message about a key set with --secret shows no address or prefix, and no leaf of the value (but words of the
    messages' own vocabulary)."""
    assert not ADDRESS_LIKE.search(text), text
    if isinstance(secret, str):
        with contextlib.suppress(ValueError):
            secret = json.loads(secret)
    for leaf in plain_strings(secret):
        if len(leaf) >= 5 and not leaf.isalpha():
            assert leaf not in text, (leaf, text)
