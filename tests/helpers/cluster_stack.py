"""Stacks that put objects into a cluster, each with a control plane of its own started from the flags its first
update records, sharing etcd, an sshd as the load balancer and a PKI whose CA every stack signs with."""

from __future__ import annotations

import contextlib
import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.pki.api_server_sans import api_server_cert_sans
from tests.helpers.cluster import Cluster, Etcd, KubeApiserver, Pki, Sshd, free_port
from tests.helpers.engine import EngineProject
from tests.helpers.lab import PULUMI_PROGRAM_ERROR, Access, admin_connection, diagnostics_of, kubectl

NO_WAIT = {"waitSeconds": 0}
UNREACHABLE = "kthw: the cluster objects cannot be applied"


@dataclass
class Shared:
    """What every test of the module shares: the PKI (the stacks sign with its CA), etcd and the load balancer."""

    processes: Cluster
    pki: Pki
    etcd: Etcd
    sshd: Sshd
    work: Path


@contextlib.contextmanager
def shared_lab() -> Iterator[Shared]:
    """etcd, an sshd and a PKI for a module's stacks, removed afterwards."""
    # ssh refuses control socket paths longer than about 100 bytes: a short directory under /tmp.
    work = Path(tempfile.mkdtemp(prefix="kthw-k8s.", dir="/tmp"))
    try:
        with Cluster(work / "cluster") as processes:
            pki = Pki.create(work / "pki", api_server_cert_sans("127.0.0.1", "10.32.0.1"))
            yield Shared(processes, pki, processes.start_etcd(), processes.start_sshd(), work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def admin_kubectl(apiserver: KubeApiserver, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """kubectl straight to the lab's kube-apiserver as the harness's admin (no stack, no tunnel)."""
    return kubectl(admin_connection(apiserver.port, apiserver.pki), *args, stdin=stdin)


def get_json(apiserver: KubeApiserver, *args: str) -> dict[str, Any]:
    result = admin_kubectl(apiserver, "get", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


class Stack:
    """A stack pointed at the shared load balancer, whose kube-apiserver starts later (on ``api_port``) with the
    flags the stack's first update records."""

    def __init__(self, shared: Shared, tmp_path: Path, name: str, **config: Any) -> None:
        self.shared = shared
        self.access = Access(EngineProject(tmp_path), Path(tempfile.mkdtemp(prefix=name, dir=shared.work)))
        self.project = self.access.project
        self.api_port = free_port()
        sshd = shared.sshd
        self.project.update_config(
            loadBalancer={"address": "127.0.0.1", "user": "root", "sshPort": sshd.port, "apiPort": self.api_port},
            tunnel={"localPort": self.access.local_port, "manage": True, "identityFile": str(sshd.client_key),
                    "knownHostsFile": str(sshd.known_hosts), "strictHostKeyChecking": "yes"},
            caCertPem=shared.pki.ca.cert_pem, clusterObjects=NO_WAIT, **config)
        self.project.set_secret("caKeyPem", shared.pki.ca.key_pem)
        self.apiserver: KubeApiserver | None = None

    def first_up_without_a_cluster(self) -> dict[str, Any]:
        """The first `up`, while nothing listens behind the tunnel: it fails with one error naming why the cluster
        objects cannot be applied, no traceback, and records every other output, the plan and its flags among
        them."""
        result = self.access.pulumi("up", "--yes", "--skip-preview")
        said = result.stdout + result.stderr
        errors = [line for line in diagnostics_of(said) if line.startswith("error:")]
        assert result.returncode != 0 and errors[0].startswith(f"error: {UNREACHABLE}"), said
        assert errors[1:] == [PULUMI_PROGRAM_ERROR] and "Traceback" not in said, said
        network: dict[str, Any] = self.project.outputs()["network"]
        return network

    def start_control_plane(self, flags: dict[str, list[str]], name: str) -> KubeApiserver:
        """kube-apiserver on ``api_port`` and kube-controller-manager, each with the plan's flags."""
        processes = self.shared.processes
        self.apiserver = processes.start_kube_apiserver(self.shared.etcd, self.shared.pki, name=f"{name}-apiserver",
                                                        etcd_prefix=f"/{name}", plan_flags=flags["kubeApiserver"],
                                                        port=self.api_port)
        processes.start_kube_controller_manager(self.apiserver, flags["kubeControllerManager"], name=f"{name}-kcm")
        return self.apiserver

    def kubernetes_ops(self) -> dict[str, set[str]]:
        """The preview's steps of the cluster objects, by resource name."""
        names = {item["urn"].rsplit("::", 1)[-1] for item in self.project.resources()
                 if item["type"].startswith("kubernetes:")}
        return {name: ops for name, ops in self.project.preview_changes().items() if name in names}


