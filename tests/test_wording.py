"""How messages word counts and lists of names (components/config/wording.py)."""

from __future__ import annotations

import pytest

from components.config.wording import counted, plural, some_names


@pytest.mark.parametrize(("count", "words"), [(0, "0 nodes"), (1, "1 node"), (2, "2 nodes")])
def test_a_count_and_its_noun(count: int, words: str) -> None:
    assert counted(count, "node") == words


def test_a_plural_not_made_with_an_s_is_given() -> None:
    assert plural(2, "block") == "blocks"
    assert (plural(1, "carries", "carry"), plural(2, "carries", "carry")) == ("carries", "carry")
    assert (counted(1, "node carries", "nodes carry"), counted(3, "node carries", "nodes carry")) == (
        "1 node carries", "3 nodes carry")


@pytest.mark.parametrize(("names", "words"), [
    ([], ""),
    (["a"], "a"),
    (["a", "b", "c", "d", "e"], "a, b, c, d, e"),
    (["a", "b", "c", "d", "e", "f"], "a, b, c, d, e and 1 more"),
    (["a", "b", "c", "d", "e", "f", "g"], "a, b, c, d, e and 2 more"),
])
def test_a_list_names_five_then_counts_the_rest(names: list[str], words: str) -> None:
    assert some_names(names) == words


def test_a_list_may_name_fewer() -> None:
    assert some_names(["a", "b", "c"], shown=2) == "a, b and 1 more"
