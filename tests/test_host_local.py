"""Node masks against the real CNI host-local plugin (toolchain/cni.sh builds it from its Go module): kthw refuses
exactly the node block sizes host-local cannot hand a pod an address from. The plugin runs as the container runtime
runs it, without root: CNI_COMMAND=ADD and the network config on stdin, its leases in a data directory of its own."""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from components.network.rules import validate_node_masks
from tests.helpers.engine import toolchain_script
from tests.helpers.network_specs import spec
from tests.helpers.server_process import RunAs


@functools.cache
def host_local() -> Path:
    """The host-local binary, from toolchain/cni.sh (cached; on a fresh machine it builds)."""
    return Path(toolchain_script("cni.sh")) / "host-local"


@pytest.fixture
def plugin_dir() -> Iterator[tuple[RunAs, Path]]:
    """Who runs the plugin (never root) and a directory of theirs holding a copy they can run."""
    run_as = RunAs.unprivileged()
    directory = run_as.private_directory("kthw-host-local-")
    try:
        run_as.reachable_copy(host_local(), directory)
        yield run_as, directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def allocate_once(run_as: RunAs, directory: Path, subnet: str) -> subprocess.CompletedProcess[str]:
    """One ADD by host-local for a pod in a node block ``subnet``, with a fresh lease directory."""
    data_dir = directory / f"leases-{subnet.replace('/', '_').replace(':', '_')}"
    config = {
        "cniVersion": "1.0.0",
        "name": "kthw-pods",
        "type": "host-local",
        "ipam": {"type": "host-local", "ranges": [[{"subnet": subnet}]], "dataDir": str(data_dir)},
    }
    env = {
        "CNI_COMMAND": "ADD", "CNI_CONTAINERID": "kthw-test-pod", "CNI_NETNS": "/var/run/netns/kthw-test-pod",
        "CNI_IFNAME": "eth0", "CNI_PATH": str(directory), "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    }
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [str(directory / "host-local")], input=json.dumps(config), env=env, cwd=directory, capture_output=True,
        text=True, timeout=30, **run_as.popen_options(),
    )


@pytest.mark.parametrize(("cluster", "service"), [
    ("10.200.0.0/16", "10.32.0.0/24"),
    ("fd00:10:244::/112", "fd00:10:96::/112"),
])
def test_kthw_refuses_exactly_the_node_masks_host_local_cannot_allocate_from(
    plugin_dir: tuple[RunAs, Path], cluster: str, service: str
) -> None:
    # plugins/ipam/host-local/backend/allocator/range.go Canonicalize: "too small to allocate from".
    run_as, directory = plugin_dir
    first = spec(cluster, service).cluster_cidrs[0]
    for mask in range(first.prefixlen, first.max_prefixlen + 1):
        network = spec(cluster, service, mask4=mask if first.version == 4 else 24,
                       mask6=mask if first.version == 6 else 64)
        kthw_accepts = not validate_node_masks(network)
        block = f"{first.network_address}/{mask}"
        result = allocate_once(run_as, directory, block)
        allocated = result.returncode == 0 and json.loads(result.stdout)["ips"]
        assert kthw_accepts == bool(allocated), (block, result.stdout, result.stderr)
        if not allocated:
            assert "too small to allocate from" in json.loads(result.stdout)["msg"]
