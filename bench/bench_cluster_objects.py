"""Benchmark: `pulumi preview` and a no-change `pulumi up` of stacks that put objects into a cluster, against the
end-to-end lab (kube-apiserver and kube-controller-manager from each stack's own flags, the managed tunnel through an
sshd), run alternately:

- pod network: none, against weave with coredns;
- users: 1 user, against 50 users (each with a ClusterRole and a namespace grant), with adminAccess rbac.

    .venv/bin/python bench/bench_cluster_objects.py [--rounds 5]

Needs the toolchain of `make test` (toolchain/kube.sh, toolchain/kubernetes.sh). Prints the median wall time of each
command for each stack, and the state's size.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.helpers.cluster_stack import Stack, admin_kubectl, shared_lab


def users(count: int) -> list[dict[str, object]]:
    return [{"name": f"user-{index:02d}", "groups": ["dev"], "clusterRole": "view", "roles": {"team-a": "edit"}}
            for index in range(count)]


CASES: dict[str, dict[str, object]] = {
    "podNetwork none": {},
    "weave + coredns": {"podNetwork": "weave", "dns": "coredns"},
    "1 user": {"users": users(1), "adminAccess": "rbac"},
    "50 users": {"users": users(50), "adminAccess": "rbac"},
}


def timed(stack: Stack, *args: str) -> float:
    start = time.perf_counter()
    result = stack.access.pulumi(*args)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(result.stdout[-3000:] + result.stderr[-3000:])
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with shared_lab() as shared, tempfile.TemporaryDirectory(prefix="kthw-bench-objects.") as temporary:
        stacks: dict[str, Stack] = {}
        for index, (name, config) in enumerate(CASES.items()):
            stack = Stack(shared, Path(temporary) / f"s{index}", f"b{index}", **config)
            if config:
                network = stack.first_up_without_a_cluster()
                apiserver = stack.start_control_plane(network["flags"], f"bench{index}")
                admin_kubectl(apiserver, "create", "namespace", "team-a")
            timed(stack, "up", "--yes", "--skip-preview")
            stacks[name] = stack
        times: dict[tuple[str, str], list[float]] = {}
        for _ in range(args.rounds):
            for command in (("preview",), ("up", "--yes", "--skip-preview")):
                for name, stack in stacks.items():
                    times.setdefault((name, command[0]), []).append(timed(stack, *command))
        print(f"median of {args.rounds} rounds, run alternately")
        print(f"{'stack':<18} {'preview s':>10} {'no-change up s':>15} {'state KiB':>10}")
        for name, stack in stacks.items():
            stacks_dir = stack.project.backend / ".pulumi" / "stacks"
            state = sum(path.stat().st_size for path in stacks_dir.rglob("dev.json"))
            print(f"{name:<18} {statistics.median(times[(name, 'preview')]):>10.2f} "
                  f"{statistics.median(times[(name, 'up')]):>15.2f} {state / 1024:>10.0f}")
        for stack in stacks.values():
            stack.project.destroy()


if __name__ == "__main__":
    main()
