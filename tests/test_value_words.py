"""How messages name a value's kind and an unknown key the user wrote (components/config/shown.py)."""

from __future__ import annotations

import pytest

from components.config.shown import SHOWN_MAX_CHARACTERS, hiding_values, key_text, kind_of


@pytest.mark.parametrize(("value", "words"), [
    (None, "empty"), (True, "a boolean"), (1, "an integer"), (1.5, "a number"), ("s", "a string"), ([], "a list"),
    ({}, "an object"), (object(), "a value of an unknown kind"),
])
def test_the_kind_of_a_config_value_in_words(value: object, words: str) -> None:
    assert kind_of(value) == words


@pytest.mark.parametrize(("name", "shown"), [
    ("x", "x"),
    ("k" * SHOWN_MAX_CHARACTERS, "k" * SHOWN_MAX_CHARACTERS),
    ("k" * (SHOWN_MAX_CHARACTERS + 1), f"a string of {SHOWN_MAX_CHARACTERS + 1} characters"),
    ("", "''"),
    ("a b", "'a b'"),
])
def test_an_unknown_key_is_shown_as_written_only_when_short_and_plain(name: str, shown: str) -> None:
    assert key_text(name) == shown


def test_an_unknown_key_of_a_secret_value_is_not_shown() -> None:
    with hiding_values():
        assert key_text("clustername") == "(a key of a secret value)"
