"""Benchmark: `pulumi preview` and a no-change `pulumi up` of the dev stack on each state backend (file, PostgreSQL,
S3 on MinIO), run alternately in one process, and how long each throwaway server takes to start.

    .venv/bin/python bench/bench_backends.py [--rounds 5]

Prints, per backend, the server start time and the median wall time of each command, and the ratio to the file
backend.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_engine import timed
from tests.helpers.backends import BACKEND_KINDS, state_backend
from tests.helpers.engine import EngineProject

COMMANDS = {"preview": ("preview",), "no-change up": ("up", "--yes", "--skip-preview")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kthw-bench.") as temporary, contextlib.ExitStack() as servers:
        projects: dict[str, EngineProject] = {}
        started: dict[str, float] = {}
        for kind in BACKEND_KINDS:
            backend = servers.enter_context(state_backend(kind, Path(temporary) / kind))
            started[kind] = backend.start_seconds
            projects[kind] = EngineProject(Path(temporary) / kind / "clone", backend_url=backend.url,
                                           backend_env=backend.env)
            projects[kind].up()
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for verb, command in COMMANDS.items():
                for kind, project in projects.items():
                    times.setdefault((kind, verb), []).append(timed(project, project.dir, project.stack_name, *command))
        print(f"{'backend':10} {'server start':>12}  " + "  ".join(f"{verb:>22}" for verb in COMMANDS))
        for kind in BACKEND_KINDS:
            cells = []
            for verb in COMMANDS:
                median = statistics.median(times[(kind, verb)])
                ratio = median / statistics.median(times[("file", verb)])
                cells.append(f"{median:7.2f} s (x{ratio:4.2f} file)")
            print(f"{kind:10} {started[kind]:10.2f} s  " + "  ".join(f"{cell:>22}" for cell in cells))
        print(f"(medians of {args.rounds} rounds, commands alternated across backends)")


if __name__ == "__main__":
    main()
