"""Benchmark: `pulumi preview` and a no-change `pulumi up` of the dev stack, against an empty Python program on the
same file backend, run alternately.

    .venv/bin/python bench/bench_engine.py [--rounds 5]

Prints the median wall time of each command for both programs and the ratio kthw / empty (goal: at most 1.2).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers.engine import EngineProject

EMPTY_PROJECT = """name: empty
runtime:
  name: python
  options:
    toolchain: pip
    virtualenv: .venv
"""


def timed(project: EngineProject, directory: Path, stack: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run(["pulumi", *args, "--stack", stack, "--non-interactive"], cwd=directory,
                   env={**os.environ, **project.env}, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kthw-bench.") as temporary:
        kthw = EngineProject(Path(temporary) / "kthw")
        kthw.stack.up()
        empty = Path(temporary) / "empty"
        empty.mkdir()
        (empty / "Pulumi.yaml").write_text(EMPTY_PROJECT)
        (empty / "__main__.py").write_text("import pulumi  # noqa: F401\n")
        (empty / ".venv").symlink_to(kthw.dir / ".venv")
        env = {**os.environ, **kthw.env}
        subprocess.run(["pulumi", "stack", "init", "bench"], cwd=empty, env=env, check=True, capture_output=True)
        subprocess.run(["pulumi", "up", "--yes", "--stack", "bench"], cwd=empty, env=env, check=True,
                       capture_output=True)
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for command in (("preview",), ("up", "--yes")):
                for name, directory, stack in (("kthw", kthw.dir, "dev"), ("empty", empty, "bench")):
                    times.setdefault((name, command[0]), []).append(timed(kthw, directory, stack, *command))
        for verb in ("preview", "up"):
            ours = statistics.median(times[("kthw", verb)])
            base = statistics.median(times[("empty", verb)])
            print(f"{verb:8} kthw {ours:6.2f} s  empty {base:6.2f} s  ratio {ours / base:5.2f}  "
                  f"(median of {args.rounds})")
        kthw.destroy()


if __name__ == "__main__":
    main()
