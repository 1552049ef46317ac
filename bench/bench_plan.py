"""Benchmark: plan and validate N nodes (single- and dual-stack), and the whole program under mocks.

    .venv/bin/python bench/bench_plan.py [--repeat 5]

Prints one line per case with the best and median wall time of --repeat runs, the best CPU time (the machine is
shared: CPU time is what the plan costs, wall time adds what other processes took), and the peak memory of one run;
then how far 50,000 nodes are from ten times 5,000 (1.0 is linear). The goal: 5,000 nodes dual-stack under 50 ms.
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from components.network.allocation import plan_network
from components.network.options import parse_network
from components.network.output import network_output

NODE_ADDRESSES = ipaddress.IPv4Network("172.16.0.0/12")


def nodes_config(count: int, dual_stack: bool) -> list[dict[str, str]]:
    base = int(NODE_ADDRESSES.network_address)
    v6_base = int(ipaddress.IPv6Address("fd00:ffff::"))
    nodes = []
    for index in range(count):
        address = str(ipaddress.IPv4Address(base + index + 1))
        if dual_stack:
            address += "," + str(ipaddress.IPv6Address(v6_base + index + 1))
        nodes.append({"name": f"worker-{index}", "address": address})
    return nodes


def network_config(count: int, dual_stack: bool) -> dict[str, Any]:
    cluster = "10.0.0.0/8" if count > 32768 else "10.128.0.0/9"
    config: dict[str, Any] = {"clusterCidr": cluster, "serviceCidr": "192.168.0.0/16", "nodeCidrMaskSize": 24}
    if dual_stack:
        config["clusterCidr"] += ",fd00:10:244::/48"
        config["serviceCidr"] += ",fd00:10:96::/108"
    return config


def measure(function: Callable[[], object], repeat: int) -> tuple[float, float, float, float]:
    """Best and median wall time, best CPU time (seconds) and peak memory (MiB)."""
    times, cpu_times = [], []
    for _ in range(repeat):
        start, cpu_start = time.perf_counter(), time.process_time()
        function()
        times.append(time.perf_counter() - start)
        cpu_times.append(time.process_time() - cpu_start)
    tracemalloc.start()
    function()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return min(times), statistics.median(times), min(cpu_times), peak / 2**20


def bench_plan(count: int, dual_stack: bool, repeat: int) -> float:
    """Print one case; return its best CPU time."""
    network, nodes = network_config(count, dual_stack), nodes_config(count, dual_stack)

    def run() -> object:
        return network_output(plan_network(parse_network(network, nodes)))

    best, median, cpu, peak = measure(run, repeat)
    label = "dual-stack " if dual_stack else "single-stack"
    print(f"plan+validate {label} {count:>6} nodes: best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms  "
          f"cpu {cpu * 1000:8.1f} ms  peak {peak:6.1f} MiB  ({cpu / count * 1e6:.1f} us/node)")
    return cpu


def machines_txt(count: int) -> str:
    """A machines.txt of ``count`` nodes, each with its pod subnet, as the tutorial writes it."""
    lines = []
    for node in nodes_config(count, False):
        index = int(node["name"].split("-")[1])
        subnet = ipaddress.IPv4Network((int(ipaddress.IPv4Address("10.128.0.0")) + (index << 8), 24))
        lines.append(f"{node['address']} {node['name']}.kubernetes.local {node['name']} {subnet}")
    return "\n".join(lines) + "\n"


def bench_nodes_file(count: int, repeat: int) -> None:
    """Reading, validating and planning ``count`` nodes from a machines.txt and from a YAML list."""
    import yaml

    with tempfile.TemporaryDirectory(prefix="kthw-bench.") as directory:
        project = Path(directory)
        (project / "machines.txt").write_text(machines_txt(count))
        (project / "nodes.yaml").write_text(yaml.safe_dump(nodes_config(count, False)))
        for name in ("machines.txt", "nodes.yaml"):
            def run(name: str = name) -> object:
                return network_output(plan_network(parse_network(network_config(count, False), None, name, project)))

            best, median, cpu, peak = measure(run, repeat)
            print(f"nodesFile {name:12} {count:>6} nodes: best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms"
                  f"  cpu {cpu * 1000:8.1f} ms  peak {peak:6.1f} MiB")


def bench_adoption(count: int, dual_stack: bool, repeat: int) -> None:
    """What verify adds to an update: plan again keeping ``count`` registered nodes' podCIDRs (here every node
    carries its neighbour's block, so each one differs from the state's plan and the warning counts them), render
    the output and check it against the cluster."""
    from components.cluster.verify import verify_cluster
    from components.network.decision import NetworkDecision

    decision = NetworkDecision(plan_network(parse_network(network_config(count, dual_stack), nodes_config(count,
                                                                                                      dual_stack))))
    names = list(decision.plan.pod_cidrs)
    live = {name: list(decision.plan.pod_cidrs[names[index ^ 1]]) for index, name in enumerate(names)}
    service_ip = decision.plan.kubernetes_service_ip

    def run() -> object:
        outcome = verify_cluster(service_ip, live, decision)
        assert outcome.problem is None, outcome.problem
        return outcome

    best, median, cpu, peak = measure(run, repeat)
    label = "dual-stack " if dual_stack else "single-stack"
    print(f"verify adoption {label} {count:>6} nodes: best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms  "
          f"cpu {cpu * 1000:8.1f} ms  peak {peak:6.1f} MiB")


def bench_program(count: int, repeat: int) -> None:
    from tests.helpers.mock_program import DEV_CONFIG, run_program

    config = {**DEV_CONFIG, "network": network_config(count, False), "nodes": nodes_config(count, False)}
    best, median, cpu, peak = measure(lambda: run_program(config), repeat)
    print(f"whole program under mocks {count:>6} nodes: best {best * 1000:8.1f} ms  median {median * 1000:8.1f} ms  "
          f"cpu {cpu * 1000:8.1f} ms  peak {peak:6.1f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for dual_stack in (False, True):
        cpu = {count: bench_plan(count, dual_stack, args.repeat) for count in (500, 5000, 50000)}
        print(f"  50,000 / (10 x 5,000): {cpu[50000] / (10 * cpu[5000]):.2f}")
    bench_nodes_file(5000, args.repeat)
    bench_adoption(5000, True, args.repeat)
    bench_program(5000, max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
