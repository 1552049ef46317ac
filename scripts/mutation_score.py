"""The mutation score of a mutmut run, from its ``mutmut export-cicd-stats`` file (scripts/mutation.sh)."""

from __future__ import annotations

import json
import sys
from pathlib import Path


def score_lines(stats: dict[str, int]) -> list[str]:
    """The count of each outcome, then killed (timeouts included: a mutant that loops is caught) over all mutants."""
    total = stats["total"]
    caught = stats["killed"] + stats["timeout"]
    outcomes = ("killed", "timeout", "survived", "no_tests", "suspicious", "segfault", "skipped",
                "check_was_interrupted_by_user")
    lines = [f"{name.replace('_', ' ')}: {stats.get(name, 0)}" for name in outcomes]
    percent = 100 * caught / total if total else 0.0
    lines.append(f"score: {caught} / {total} killed ({stats['killed']} failed a test, {stats['timeout']} timed out):"
                 f" {percent:.1f}%")
    return lines


if __name__ == "__main__":
    print("\n".join(f"[mutation] {line}" for line in score_lines(json.loads(Path(sys.argv[1]).read_text()))))
