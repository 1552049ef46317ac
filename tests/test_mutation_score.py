"""The score scripts/mutation.sh prints from mutmut's ``export-cicd-stats`` file (scripts/mutation_score.py)."""

from __future__ import annotations

from scripts.mutation_score import score_lines

STATS = {"killed": 18, "survived": 4, "total": 24, "no_tests": 0, "skipped": 0, "suspicious": 0, "timeout": 1,
         "check_was_interrupted_by_user": 0, "segfault": 1}
"""What mutmut 3.8.1 writes to mutants/mutmut-cicd-stats.json, keys in its order."""


def test_every_outcome_is_counted_and_a_timeout_is_caught() -> None:
    # A mutant that makes the suite loop is caught by its timeout: it counts with the killed ones.
    assert score_lines(STATS) == [
        "killed: 18", "timeout: 1", "survived: 4", "no tests: 0", "suspicious: 0", "segfault: 1", "skipped: 0",
        "check was interrupted by user: 0",
        "score: 19 / 24 killed (18 failed a test, 1 timed out): 79.2%",
    ]


def test_a_run_without_mutants_scores_zero() -> None:
    empty = dict.fromkeys(STATS, 0)
    assert score_lines(empty)[-1] == "score: 0 / 0 killed (0 failed a test, 0 timed out): 0.0%"
