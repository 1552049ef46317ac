"""Benchmark: the real Pulumi CLI with many nodes from nodesFile, against the 2-node dev stack in the same run.

    .venv/bin/python bench/bench_engine_nodes.py [--rounds 3] [--counts 500,5000]

For the dev stack (2 nodes in config), machines.txt files of each count (pod subnets given, as the tutorial writes
them) and a dual-stack YAML list of the largest count (blocks allocated): the first `pulumi preview`, the first
`pulumi up`, `pulumi stack output network --json`, the size of the state file and of the network output, then the
best of --rounds no-change `pulumi preview` and `pulumi up` (each round runs every stack back to back); each with its
ratio to the dev stack. Goal: a no-change preview of 5,000 nodes within 2x the dev stack's.

Then what the CLI prints, in bytes, as a person or the pull-request workflow runs it (`--color never
--suppress-progress`): a no-change `pulumi up --yes` (the preview it runs first included, as `make up` runs it), and,
with the middle node removed from the list, `pulumi preview --diff`, the byte at which its first line marking that
node starts, and `pulumi up --yes`. Goals: `pulumi up` under 50 KB at 5,000 nodes, and the removal near the top.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_plan import machines_txt, network_config, nodes_config
from tests.helpers.engine import EngineProject

CPU_SECONDS: dict[tuple[Path, str], float] = {}
"""(project, command) -> the least CPU time one run of the command took (less subject to the machine's load)."""


@dataclass
class Case:
    """One stack to measure and what was measured (seconds, bytes)."""

    name: str
    times: dict[str, float] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    printed: dict[str, int] = field(default_factory=dict)


def timed(project: EngineProject, *args: str) -> float:
    """Wall time of one pulumi command; its CPU time (the CLI, program and plugins it waited for) is added to
    CPU_SECONDS under the same command."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(["pulumi", *args, "--stack", project.stack_name, "--non-interactive"], cwd=project.dir,
                            env={**os.environ, **project.env}, capture_output=True, text=True, timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"pulumi {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    CPU_SECONDS[(project.dir, args[0])] = min(CPU_SECONDS.get((project.dir, args[0]), cpu), cpu)
    return elapsed


def measure_first(case: Case, project: EngineProject) -> None:
    """The first preview and up of a new stack, then the network output and the state."""
    case.times["first preview"] = timed(project, "preview")
    case.times["first up"] = timed(project, "up", "--yes", "--skip-preview")
    start = time.perf_counter()
    output = subprocess.run(["pulumi", "stack", "output", "network", "--json", "--stack", project.stack_name],
                            cwd=project.dir, env={**os.environ, **project.env}, capture_output=True, check=True)
    case.times["stack output network"] = time.perf_counter() - start
    case.sizes["network output"] = len(output.stdout)
    case.sizes["state file"] = project.state_file().stat().st_size


def measure_no_change(stacks: list[tuple[Case, EngineProject]], rounds: int) -> None:
    """The best of ``rounds`` no-change previews and ups; each round runs every stack back to back, so that the
    load of a shared machine weighs on all of them alike."""
    for _ in range(rounds):
        for verb, args in (("no-change preview", ("preview",)), ("no-change up", ("up", "--yes", "--skip-preview"))):
            for case, project in stacks:
                elapsed = timed(project, *args)
                case.times[verb] = min(case.times.get(verb, elapsed), elapsed)


def printed(project: EngineProject, *args: str) -> str:
    """What one pulumi command prints (stdout and stderr, as the workflow captures it), uncoloured."""
    result = subprocess.run(["pulumi", *args, "--stack", project.stack_name, "--non-interactive", "--color", "never",
                             "--suppress-progress"], cwd=project.dir, env={**os.environ, **project.env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=3600)
    if result.returncode != 0:
        raise SystemExit(f"pulumi {' '.join(args)} failed:\n{result.stdout[-3000:]}")
    return result.stdout


def remove_middle_node(project: EngineProject) -> str:
    """Remove the middle node of the stack's node list (machines.txt, nodes.yaml or the nodes key); its name."""
    machines, listed = project.dir / "machines.txt", project.dir / "nodes.yaml"
    if machines.exists():
        lines = machines.read_text().splitlines(keepends=True)
        removed = lines.pop(len(lines) // 2)
        machines.write_text("".join(lines))
        return removed.split()[2]
    if listed.exists():
        nodes = yaml.safe_load(listed.read_text())
        name: str = nodes.pop(len(nodes) // 2)["name"]
        listed.write_text(yaml.safe_dump(nodes))
        return name
    nodes = yaml.safe_load(project.stack_file.read_text())["config"]["kthw:nodes"]
    name = nodes.pop(len(nodes) // 2)["name"]
    project.update_config(nodes=nodes)
    return name


def measure_printed(case: Case, project: EngineProject) -> None:
    """Bytes a no-change up prints, then with the middle node removed: what preview --diff prints, where the
    removal first shows in it, and what up prints."""
    case.printed["up, no change"] = len(printed(project, "up", "--yes").encode())
    name = remove_middle_node(project)
    diff = printed(project, "preview", "--diff").encode()
    case.printed["preview --diff, -1 node"] = len(diff)
    found = re.search(rb"^[ \t]*- " + re.escape(name.encode()) + rb"\b", diff, re.MULTILINE)
    case.printed["  removal shows at byte"] = found.start() if found else -1
    case.printed["up, -1 node"] = len(printed(project, "up", "--yes").encode())


def report(cases: list[Case], stacks: list[tuple[Case, EngineProject]]) -> None:
    dev = cases[0]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for metric in ("first preview", "first up", "no-change preview", "no-change up", "stack output network"):
        print(f"{metric:22}" + "".join(
            f"  {case.name}: {case.times[metric]:7.2f} s ({case.times[metric] / dev.times[metric]:5.2f}x)"
            for case in cases))
    for verb in ("preview", "up"):
        dev_cpu = CPU_SECONDS[(stacks[0][1].dir, verb)]
        print(f"{'least CPU, ' + verb:22}" + "".join(
            f"  {case.name}: {CPU_SECONDS[(project.dir, verb)]:7.2f} s "
            f"({CPU_SECONDS[(project.dir, verb)] / dev_cpu:5.2f}x)" for case, project in stacks))
    for metric in dev.sizes:
        print(f"{metric:22}" + "".join(
            f"  {case.name}: {case.sizes[metric] / 1024:9.1f} KiB" for case in cases))
    print("bytes printed (--color never --suppress-progress):")
    for metric in dev.printed:
        print(f"{metric:26}" + "".join(f"  {case.name}: {case.printed[metric]:>9,}" for case in cases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--counts", default="500,5000")
    args = parser.parse_args()
    counts = [int(count) for count in args.counts.split(",")]
    with tempfile.TemporaryDirectory(prefix="kthw-bench.") as temporary:
        stacks: list[tuple[Case, EngineProject]] = [(Case("dev (2)"), EngineProject(Path(temporary) / "dev"))]
        for count in counts:
            project = EngineProject(Path(temporary) / f"file-{count}")
            (project.dir / "machines.txt").write_text(machines_txt(count))
            project.update_config(nodes=None, nodesFile="machines.txt", network=network_config(count, False))
            stacks.append((Case(f"{count}"), project))
        project = EngineProject(Path(temporary) / "dual")
        (project.dir / "nodes.yaml").write_text(yaml.safe_dump(nodes_config(counts[-1], True)))
        project.update_config(nodes=None, nodesFile="nodes.yaml", network=network_config(counts[-1], True))
        stacks.append((Case(f"{counts[-1]} dual"), project))
        for case, project in stacks:
            measure_first(case, project)
            print(f"deployed {case.name}", file=sys.stderr)
        measure_no_change(stacks, args.rounds)
        for case, project in stacks:
            measure_printed(case, project)
        cases = [case for case, _ in stacks]
        report(cases, stacks)


if __name__ == "__main__":
    main()
