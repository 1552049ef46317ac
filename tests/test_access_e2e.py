"""Remote access end to end: the real Pulumi engine opens the managed SSH tunnel through a real sshd (the load
balancer) to a real kube-apiserver, and kubectl reaches the cluster with nothing but the stack's kubeconfig.

One etcd, kube-apiserver and sshd serve the whole module; every test has its own stack, local port and TMPDIR (where
the tunnel's control directory goes), so what a test leaves behind is found by that directory alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from tests.cluster import (
    CertPair,
    Cluster,
    Etcd,
    KubeApiserver,
    Pki,
    Sshd,
    certificate_sans,
    client_context,
    free_port,
    hold_port,
    https_get,
    port_is_free,
    processes_mentioning,
    serving_certificate_der,
    stop_pid,
    tool_env,
    wait_until,
)
from tests.engine import EngineProject

pytestmark = pytest.mark.e2e

COMMAND_TYPE = "command:local:Command"
SERVICE_CIDR = "10.32.0.0/24"
KUBERNETES_SERVICE_IP = "10.32.0.1"
KUBE_VERSION = "v1.37.2"


@dataclass
class Lab:
    """The module's control plane and load balancer."""

    processes: Cluster
    pki: Pki
    etcd: Etcd
    apiserver: KubeApiserver
    sshd: Sshd
    sans: list[str]


class Access:
    """One stack of the program pointed at the lab, with its own local port and tunnel TMPDIR."""

    def __init__(self, project: EngineProject, directory: Path) -> None:
        self.project = project
        self.directory = directory
        self.tunnel_tmp = directory / "tmp"
        self.tunnel_tmp.mkdir(parents=True)
        self.local_port = free_port()
        # The tunnel's control directory is made in $TMPDIR: point it at this test's own directory.
        project.env["TMPDIR"] = str(self.tunnel_tmp)
        assert project.stack.workspace.env_vars.get("TMPDIR") == str(self.tunnel_tmp)

    def configure(
        self,
        lab: Lab,
        *,
        ca: CertPair | None = None,
        apiserver: KubeApiserver | None = None,
        sshd: Sshd | None = None,
        manage: bool = True,
        verify: bool = False,
        known_hosts: Path | None = None,
        checking: str = "yes",
    ) -> None:
        """Point the stack at the lab: the sshd as load balancer (root, its port), the apiserver's port behind
        it, the managed tunnel with the test key and pinned host key, and the cluster CA (key as a secret)."""
        sshd = sshd or lab.sshd
        ca = ca or lab.pki.ca
        self.project.update_config(
            loadBalancer={"address": "127.0.0.1", "user": "root", "sshPort": sshd.port,
                          "apiPort": (apiserver or lab.apiserver).port},
            tunnel={"localPort": self.local_port, "manage": manage, "identityFile": str(sshd.client_key),
                    "knownHostsFile": str(known_hosts or sshd.known_hosts), "strictHostKeyChecking": checking},
            caCertPem=ca.cert_pem,
            verify=verify,
        )
        self.project.set_secret("caKeyPem", ca.key_pem)

    def up_fails(self) -> str:
        """`pulumi up` must fail: its whole output."""
        with pytest.raises(auto.CommandError) as failure:
            self.project.stack.up()
        return str(failure.value)

    def commands(self) -> list[dict[str, Any]]:
        """The command:local:Command resources in the stack's state."""
        return [resource for resource in self.project.resources() if resource["type"] == COMMAND_TYPE]

    def tunnel_dirs(self) -> list[Path]:
        return sorted(self.tunnel_tmp.glob("kthw-tunnel.*"))

    def tunnel_processes(self) -> dict[int, str]:
        """Processes started for this stack's tunnel (the ssh master names its control socket in our TMPDIR)."""
        return processes_mentioning(str(self.tunnel_tmp))

    def ssh_master(self) -> int:
        (pid,) = self.tunnel_processes()
        return pid

    def kubeconfig(self) -> Path:
        """The stack's kubeconfig as `pulumi stack output kubeconfig --show-secrets` prints it, in a 0600 file."""
        text = self.project.cli("stack", "output", "kubeconfig", "--show-secrets").stdout
        path = self.directory / "kubeconfig"
        path.touch(mode=0o600)
        path.write_text(text)
        return path

    def kubectl(self, *args: str) -> subprocess.CompletedProcess[str]:
        """kubectl with only the stack's kubeconfig (no ambient KUBECONFIG, a private cache)."""
        env = tool_env()
        env.pop("KUBECONFIG", None)
        return subprocess.run(
            ["kubectl", f"--kubeconfig={self.kubeconfig()}", f"--cache-dir={self.directory / 'kube-cache'}",
             "--request-timeout=10s", *args],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )

    def assert_kubectl_works(self) -> None:
        nodes = self.kubectl("get", "nodes")
        assert nodes.returncode == 0, nodes.stderr

    def assert_no_tunnel(self) -> None:
        """Nothing half-made: no Command in state, no ssh process, no control directory, the port free."""
        assert self.commands() == []
        assert self.tunnel_processes() == {}
        assert self.tunnel_dirs() == []
        assert port_is_free(self.local_port)

    def cleanup(self) -> None:
        """Close whatever a failed test left: destroy a recorded tunnel, then stop stray processes of ours."""
        try:
            if self.commands():
                self.project.destroy()
        finally:
            for pid in self.tunnel_processes():
                stop_pid(pid)


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A short directory under /tmp: ssh refuses control socket paths longer than about 100 bytes."""
    directory = Path(tempfile.mkdtemp(prefix="kthw-e2e.", dir="/tmp"))
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def first_stack(tmp_path_factory: pytest.TempPathFactory, work: Path) -> Iterator[Access]:
    """A stack with the sshd's address as load balancer, up once without the managed tunnel: its
    apiServerCertSans are what the lab's serving certificate is made for."""
    access = Access(EngineProject(tmp_path_factory.mktemp("first")), work / "first")
    access.project.update_config(loadBalancer={"address": "127.0.0.1", "user": "root"})
    access.project.up()
    # The tests then switch this stack to the lab's CA: a deliberate change of CA, so the generated one is
    # unprotected first, as the README says.
    access.project.cli("state", "unprotect", "--all", "--yes")
    yield access
    access.cleanup()


@pytest.fixture(scope="module")
def lab(work: Path, first_stack: Access) -> Iterator[Lab]:
    sans = list(first_stack.project.outputs()["apiServerCertSans"])
    with Cluster(work / "cluster") as processes:
        pki = Pki.create(work / "pki", sans)
        etcd = processes.start_etcd()
        apiserver = processes.start_kube_apiserver(etcd, pki, service_cluster_ip_range=SERVICE_CIDR)
        sshd = processes.start_sshd()
        yield Lab(processes, pki, etcd, apiserver, sshd, sans)


@pytest.fixture(scope="module")
def default_range_apiserver(lab: Lab) -> KubeApiserver:
    """A second kube-apiserver started without --service-cluster-ip-range (own etcd prefix, same PKI)."""
    return lab.processes.start_kube_apiserver(
        lab.etcd, lab.pki, name="kube-apiserver-default-range", service_cluster_ip_range=None,
        etcd_prefix="/registry-default-range",
    )


@pytest.fixture
def access(tmp_path: Path, work: Path) -> Iterator[Access]:
    stack = Access(EngineProject(tmp_path), Path(tempfile.mkdtemp(prefix="t", dir=work)))
    yield stack
    stack.cleanup()


def test_managed_tunnel_gives_kubectl_admin_access_and_destroy_closes_it(first_stack: Access, lab: Lab) -> None:
    stack = first_stack
    assert stack.local_port != lab.apiserver.port
    stack.configure(lab)
    stack.project.up()
    outputs = stack.project.outputs()
    assert outputs["apiServerUrl"] == f"https://localhost:{stack.local_port}"
    (command,) = stack.commands()
    (directory,) = stack.tunnel_dirs()
    assert command["outputs"]["stdout"] == str(directory)
    assert (directory / "control").is_socket()
    assert len(stack.tunnel_processes()) == 1

    kubeconfig = yaml.safe_load(stack.kubeconfig().read_text())
    assert kubeconfig["clusters"][0]["cluster"]["server"] == f"https://localhost:{stack.local_port}"
    version = stack.kubectl("version")
    assert version.returncode == 0, version.stderr
    assert f"Server Version: {KUBE_VERSION}" in version.stdout
    stack.assert_kubectl_works()
    can_i = stack.kubectl("auth", "can-i", "*", "*")
    assert (can_i.returncode, can_i.stdout.strip()) == (0, "yes"), can_i.stderr

    # What answers through the tunnel carries exactly the names and addresses the stack says it must.
    served = certificate_sans(serving_certificate_der(stack.local_port))
    assert sorted(served) == sorted(outputs["apiServerCertSans"]) == sorted(lab.sans)

    stack.project.destroy()
    assert stack.project.resources() == []
    stack.assert_no_tunnel()


def test_verify_passes_against_the_planned_service_range(access: Access, lab: Lab) -> None:
    access.configure(lab, verify=True)
    access.project.up()
    assert access.project.outputs()["verification"] == {
        "kubernetesServiceIp": KUBERNETES_SERVICE_IP, "registeredNodes": []}
    access.project.destroy()
    access.assert_no_tunnel()


def test_verify_names_the_missing_service_range_flag(
    access: Access, lab: Lab, default_range_apiserver: KubeApiserver
) -> None:
    assert default_range_apiserver.kubernetes_service_ip() == "10.0.0.1"
    access.configure(lab, apiserver=default_range_apiserver, verify=True)
    message = access.up_fails()
    assert f"--service-cluster-ip-range={SERVICE_CIDR}" in message
    assert f"the plan expects {KUBERNETES_SERVICE_IP}" in message
    assert "clusterIP 10.0.0.1" in message
    access.project.destroy()
    access.assert_no_tunnel()


def test_load_balancer_not_listening_fails_and_leaves_nothing(access: Access, lab: Lab) -> None:
    stopped = lab.processes.start_sshd("sshd-stopped")
    lab.processes.stop(stopped.process)
    access.configure(lab, sshd=stopped)
    message = access.up_fails()
    assert "kthw: could not open the tunnel ssh -N -L" in message
    assert f"port {stopped.port}: Connection refused" in message
    access.assert_no_tunnel()


@pytest.mark.parametrize("checking", ["yes", "accept-new"])
def test_host_key_mismatch_is_refused(access: Access, lab: Lab, checking: str) -> None:
    pinned = lab.sshd.other_known_hosts(f"other_known_hosts_{checking}")
    before = pinned.read_text()
    access.configure(lab, known_hosts=pinned, checking=checking)
    message = access.up_fails()
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in message
    assert "Host key verification failed." in message
    assert pinned.read_text() == before
    access.assert_no_tunnel()


def test_local_port_already_taken_fails_and_leaves_nothing(access: Access, lab: Lab) -> None:
    # Held on 127.0.0.1 only, where "localhost" takes kubectl here (/etc/hosts): ssh binding just ::1 would
    # "succeed" and kubectl would talk to whatever holds the port.
    with hold_port(access.local_port, ipv6=False):
        access.configure(lab)
        message = access.up_fails()
        assert "kthw: could not open the tunnel" in message
        assert f"bind [127.0.0.1]:{access.local_port}: Address already in use" in message
        assert "Could not request local forwarding." in message
        assert access.commands() == []
        assert access.tunnel_processes() == {}
        assert access.tunnel_dirs() == []
    access.assert_no_tunnel()


def test_wrong_ca_is_refused_both_ways_and_verify_says_why(access: Access, lab: Lab, tmp_path: Path) -> None:
    other_ca = Pki.make_ca(tmp_path / "other-ca")
    access.configure(lab, ca=other_ca)
    access.project.up()  # nothing here can tell: the tunnel opens, the credentials are signed

    refused = access.kubectl("get", "nodes")
    assert refused.returncode != 0
    assert "x509: certificate signed by unknown authority" in refused.stderr
    # Trusting the real CA instead, the apiserver refuses the admin certificate the wrong CA signed.
    outputs = access.project.outputs()
    admin = CertPair(tmp_path / "admin.pem", tmp_path / "admin-key.pem")
    admin.cert.write_text(outputs["adminCertPem"])
    admin.key.touch(mode=0o600)
    admin.key.write_text(outputs["adminKeyPem"])
    status, body = https_get(access.local_port, "/api/v1/nodes", client_context(lab.pki.ca.cert, admin))
    assert (status, b"Unauthorized" in body) == (401, True), body

    access.configure(lab, ca=other_ca, verify=True)
    message = access.up_fails()
    assert (f"error: verify: kube-apiserver at https://localhost:{access.local_port} presented a certificate the "
            "kubeconfig's CA does not trust (certificate signed by unknown authority") in message
    assert "caCertPem and caKeyPem must be the cluster CA" in message
    assert "unreachable cluster" not in message
    # The tunnel itself is fine and stays recorded (destroy closes it); only the credentials are wrong.
    assert len(access.commands()) == 1 and len(access.tunnel_processes()) == 1

    access.project.destroy()
    access.assert_no_tunnel()


def test_killed_tunnel_is_restored_by_replacing_its_command(access: Access, lab: Lab) -> None:
    access.configure(lab)
    access.project.up()
    access.assert_kubectl_works()
    (command,) = access.commands()
    (old_dir,) = access.tunnel_dirs()
    old_master = access.ssh_master()

    os.kill(old_master, signal.SIGKILL)
    wait_until(lambda: access.tunnel_processes() == {}, 10, "the killed ssh master")
    broken = access.kubectl("get", "nodes")
    assert broken.returncode != 0
    assert f"The connection to the server localhost:{access.local_port} was refused" in broken.stderr
    # The command provider cannot read a tunnel back, so the stack sees no change; verify notices the dead tunnel.
    access.project.stack.preview(expect_no_changes=True)
    access.configure(lab, verify=True)
    message = access.up_fails()
    assert f"error: verify: nothing answers at https://localhost:{access.local_port} (connection refused)" in message
    assert access.commands() == [command]

    urn = command["urn"]
    assert urn == "urn:pulumi:dev::kthw::kthw:index:ApiTunnel$command:local:Command::api-tunnel-ssh"
    access.project.cli("up", "--yes", "--replace", urn)
    access.assert_kubectl_works()
    assert access.project.outputs()["verification"]["kubernetesServiceIp"] == KUBERNETES_SERVICE_IP
    (new_dir,) = access.tunnel_dirs()
    assert new_dir != old_dir and not old_dir.exists()
    assert access.ssh_master() != old_master

    access.project.destroy()
    access.assert_no_tunnel()
