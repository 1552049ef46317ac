"""Remote access end to end: the real Pulumi engine opens the managed SSH tunnel through a real sshd (the load
balancer) to a real kube-apiserver, and kubectl reaches the cluster with nothing but the stack's kubeconfig.

One etcd, kube-apiserver and sshd serve the whole module; every test has its own stack, local port and
XDG_STATE_HOME (where the tunnel's control socket goes), so what a test leaves behind is found by that directory alone.
Recovery is tested the way it happens: the ssh process killed, the load balancer's sshd restarted, the control
socket's directory removed, the state written by another machine; each time `pulumi preview` shows the replacement
and why, and `pulumi up` brings kubectl back.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from pulumi import automation as auto

from components.network.tables import nodes_of, registered_of
from components.tunnel.local_port import local_port_warnings, read_port_settings
from components.tunnel.preflight import SSH_MISSING
from components.tunnel.record import TunnelRecord, parse_record, start_time, this_machine
from components.tunnel.socket_directory import tunnel_directory
from tests.helpers.cluster import (
    CertPair,
    Cluster,
    Etcd,
    KubeApiserver,
    Pki,
    Sshd,
    certificate_sans,
    client_context,
    descendants,
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
from tests.helpers.engine import ADMIN_CERT_TYPE, REPLACED, ROOT, EngineProject, diff_lines
from tests.helpers.host_faults import bound_by_mode_bits, path_without
from tests.helpers.server_process import RunAs

pytestmark = pytest.mark.e2e

COMMAND_TYPE = "command:local:Command"
README_TUNNEL_LINE = next(
    line.split("#")[0].strip() for line in (ROOT / "README.md").read_text().splitlines()
    if line.startswith("sh -c") and "pulumi stack output tunnelCommand" in line)
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

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """kubectl straight to the lab's kube-apiserver as the harness's admin, through no stack or tunnel."""
        return kubectl([f"--server=https://127.0.0.1:{self.apiserver.port}",
                        f"--certificate-authority={self.pki.ca.cert}", f"--client-certificate={self.pki.admin.cert}",
                        f"--client-key={self.pki.admin.key}"], *args, stdin=stdin)


def kubectl(connection: list[str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """kubectl with only the ``connection`` flags given (no ambient KUBECONFIG) and a 10 s request timeout."""
    env = tool_env()
    env.pop("KUBECONFIG", None)
    return subprocess.run(["kubectl", *connection, "--request-timeout=10s", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=60, check=False)


class Access:
    """One stack of the program pointed at the lab, with its own local port and state home (XDG_STATE_HOME)."""

    def __init__(self, project: EngineProject, directory: Path) -> None:
        self.project = project
        self.directory = directory
        self.state_home = directory / "s"
        self.local_port = free_port()
        # The tunnel's control socket goes under $XDG_STATE_HOME: point it at this test's own directory.
        project.env["XDG_STATE_HOME"] = str(self.state_home)
        assert project.stack.workspace.env_vars.get("XDG_STATE_HOME") == str(self.state_home)

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

    def pulumi(
        self, *args: str, env: dict[str, str] | None = None, unset: tuple[str, ...] = (), prefix: tuple[str, ...] = ()
    ) -> subprocess.CompletedProcess[str]:
        """The pulumi CLI in the project with the stack's environment changed by ``env`` and without ``unset``,
        started through ``prefix``; not checked."""
        environment = {**os.environ, **self.project.env, **(env or {})}
        for name in unset:
            environment.pop(name, None)
        return subprocess.run([*prefix, "pulumi", *args, "--stack", self.project.stack_name], cwd=self.project.dir,
                              env=environment, capture_output=True, text=True, timeout=600, check=False)

    def shown_outputs(self) -> dict[str, Any]:
        """Every output as `pulumi stack output --json --show-secrets` prints it."""
        shown: dict[str, Any] = json.loads(self.project.cli("stack", "output", "--json", "--show-secrets").stdout)
        return shown

    def up_fails(self) -> str:
        """`pulumi up` must fail: its whole output."""
        with pytest.raises(auto.CommandError) as failure:
            self.project.stack.up()
        return str(failure.value)

    def commands(self) -> list[dict[str, Any]]:
        """The command:local:Command resources in the stack's state."""
        return [resource for resource in self.project.resources() if resource["type"] == COMMAND_TYPE]

    def tunnel_files(self) -> list[Path]:
        """The control sockets and records under this test's state home."""
        return sorted((self.state_home / "kthw").glob("*/*"))

    def tunnel_processes(self) -> dict[int, str]:
        """Processes started for this stack's tunnel (the ssh master names its control socket in our state home)."""
        return processes_mentioning(str(self.state_home))

    def record(self) -> TunnelRecord:
        """What the stack's state records about its tunnel."""
        (command,) = self.commands()
        record = parse_record(command["outputs"]["stdout"])
        assert record is not None, command["outputs"]["stdout"]
        return record

    def preview_replaces_the_tunnel(self, reason: str, *, warned: bool = True) -> None:
        """`pulumi preview --diff` shows the tunnel's Command, and only it, as to be replaced, with the reason in its
        new trigger and (when this machine recorded a tunnel) in a warning."""
        diff = self.project.stack.preview(diff=True)
        assert diff.change_summary.get(auto.OpType.REPLACE) == 1, diff.stdout
        assert f"opened because {reason}" in diff.stdout, diff.stdout
        # The diff display leaves out the diagnostics; the plain one shows them.
        plain = self.project.stack.preview()
        warning = f"the managed tunnel is not open: {reason}; `pulumi up` opens a new one"
        assert (warning in plain.stdout) == warned, plain.stdout
        assert "api-tunnel-ssh replace [diff: ~environment,triggers]" in plain.stdout, plain.stdout

    def rewrite_record(self, **fields: str) -> None:
        """Change fields of the tunnel record in the stack's state (``pulumi stack export``/``import``), as another
        machine's ``pulumi up`` would have written them."""
        def rewrite(resources: list[dict[str, Any]]) -> None:
            for resource in resources:
                if resource["type"] == COMMAND_TYPE:
                    lines = resource["outputs"]["stdout"].splitlines()
                    resource["outputs"]["stdout"] = "\n".join(
                        f"{key}={fields[key]}" if key in fields else line
                        for line in lines for key in [line.partition("=")[0]])

        self.project.edit_state(rewrite)

    def kubeconfig(self) -> Path:
        """The stack's kubeconfig as `pulumi stack output kubeconfig --show-secrets` prints it, in a 0600 file."""
        text = self.project.cli("stack", "output", "kubeconfig", "--show-secrets").stdout
        path = self.directory / "kubeconfig"
        path.touch(mode=0o600)
        path.write_text(text)
        return path

    def kubectl(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """kubectl with only the stack's kubeconfig (no ambient KUBECONFIG, a private cache)."""
        return kubectl([f"--kubeconfig={self.kubeconfig()}", f"--cache-dir={self.directory / 'kube-cache'}"], *args,
                       stdin=stdin)

    def assert_kubectl_works(self) -> None:
        nodes = self.kubectl("get", "nodes")
        assert nodes.returncode == 0, nodes.stderr

    def assert_failed_attempt_only(self) -> None:
        """After a failed open: the Command records the attempt and nothing runs, nothing is left on disk, the
        port is free; the next preview replaces it, and destroy has nothing to close."""
        (command,) = self.commands()
        record = parse_record(command["outputs"]["stdout"])
        assert record is not None and record.failed is not None and record.pid is None
        assert self.tunnel_processes() == {}
        assert self.tunnel_files() == [Path(record.socket).with_name("record")]
        assert port_is_free(self.local_port)
        self.preview_replaces_the_tunnel("the last `pulumi up` could not open it")
        self.project.destroy()
        self.assert_no_tunnel()

    def assert_no_tunnel(self) -> None:
        """Nothing half-made: no Command in state, no ssh process, no control socket or record, the port free."""
        assert self.commands() == []
        assert self.tunnel_processes() == {}
        assert self.tunnel_files() == []
        assert port_is_free(self.local_port)

    def cleanup(self) -> None:
        """Close whatever a failed test left: destroy a recorded tunnel, then stop stray processes of ours."""
        try:
            if self.commands():
                self.project.destroy()
        finally:
            for pid in self.tunnel_processes():
                stop_pid(pid)


def diagnostics_of(said: str) -> list[str]:
    """The error and warning lines of a preview's or an update's Diagnostics section(s)."""
    lines = []
    for section in said.split("Diagnostics:")[1:]:
        body = section.split("\nOutputs:")[0].split("\nResources:")[0]
        lines += [line.strip() for line in body.splitlines() if line.strip().startswith(("error:", "warning:"))]
    return lines


PULUMI_PROGRAM_ERROR = "error: an unhandled error occurred: program exited with non-zero exit code: 1"
"""What Pulumi's Python language host adds after the message of any program that stops with an error."""
RUNS_OF_THE_PROGRAM = (("preview",), ("up", "--yes"), ("up", "--yes", "--skip-preview"))
"""A preview, an update stopped by its preview, and an update without one (which shows the stack's outputs)."""


def assert_stops_with_one_error(result: subprocess.CompletedProcess[str], message: str) -> None:
    """The run failed with ``message`` as the program's one error (then Pulumi's usual line), and no traceback."""
    said = result.stdout + result.stderr
    assert result.returncode != 0, said
    errors = [line for line in diagnostics_of(said) if line.startswith("error:")]
    assert [errors[0], *(error.lower() for error in errors[1:])] == [f"error: {message}", PULUMI_PROGRAM_ERROR], said
    assert "Traceback" not in said
    for outputs in said.split("\nOutputs:")[1:]:
        assert diff_lines(outputs.split("\nResources:")[0]) == [], "an output shown as removed or changed"


@pytest.fixture(scope="module")
def work() -> Iterator[Path]:
    """A short directory under /tmp: ssh refuses control socket paths longer than about 100 bytes (the state homes
    of the tests are inside)."""
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
    record = stack.record()
    assert Path(record.socket).is_socket() and Path(record.socket).parent.parent == stack.state_home / "kthw"
    assert (record.machine, record.boot) == (this_machine().machine, this_machine().boot)
    assert stack.tunnel_processes().keys() == {record.pid}
    # A healthy tunnel previews with no changes.
    stack.project.stack.preview(expect_no_changes=True)

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
        "kubernetesServiceIp": KUBERNETES_SERVICE_IP, "registeredNodeCount": 0, "registeredNodeTable": "NAME\n"}
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


@pytest.mark.parametrize("verify", [False, True], ids=["plain", "verify"])
def test_load_balancer_not_listening_fails_with_ssh_s_message_alone_and_keeps_the_outputs(
    access: Access, lab: Lab, verify: bool
) -> None:
    stopped = lab.processes.start_sshd(f"sshd-stopped-{verify}")
    lab.processes.stop(stopped.process)
    access.configure(lab, sshd=stopped, verify=verify)
    message = access.up_fails()
    diagnostics = message.split("Diagnostics:")[1].split("Outputs:")[0]
    errors = [line.strip() for line in diagnostics.splitlines() if line.strip().startswith("error:")]
    assert errors[0] == f"error: ssh: connect to host 127.0.0.1 port {stopped.port}: Connection refused", diagnostics
    # What Pulumi adds for any program that stops with an error; nothing from kthw, verify or Python.
    assert [error.lower() for error in errors[1:]] == [PULUMI_PROGRAM_ERROR]
    assert "Traceback" not in message
    # A fresh stack still gets every output: the kubeconfig is there once the tunnel opens.
    outputs = access.project.outputs()
    assert "kubeconfig" in outputs and "tunnelCommand" in outputs
    access.assert_failed_attempt_only()


def test_a_machine_without_ssh_stops_preview_and_up_with_one_error_and_keeps_every_output(
    access: Access, lab: Lab, tmp_path: Path
) -> None:
    """ssh missing from PATH when the tunnel must be reopened: the program stops at its start, before any resource,
    with one error naming tunnel.manage and the fix; the outputs stay as the last update wrote them."""
    access.configure(lab)
    access.project.up()
    old = access.record()
    assert old.pid is not None
    os.kill(old.pid, signal.SIGKILL)
    wait_until(lambda: access.tunnel_processes() == {}, 10, "the killed ssh master")
    before = access.shown_outputs()

    no_ssh = path_without("ssh", access.project.env["PATH"], tmp_path / "links")
    for verb in RUNS_OF_THE_PROGRAM:
        assert_stops_with_one_error(access.pulumi(*verb, env={"PATH": no_ssh}), SSH_MISSING)
    assert access.shown_outputs() == before
    assert access.record() == old

    access.project.up()  # with ssh: the tunnel comes back
    access.assert_kubectl_works()
    access.project.destroy()
    access.assert_no_tunnel()


def test_a_read_only_home_stops_preview_and_up_with_one_error_and_keeps_every_output(
    access: Access, lab: Lab
) -> None:
    """No XDG_STATE_HOME and a home directory of mode 0555 (for root: without CAP_DAC_OVERRIDE, so the mode binds
    it as any user): the state directory cannot be made, and the program says so at its start."""
    access.configure(lab, manage=False)
    access.project.up()
    before = access.shown_outputs()
    home = access.directory / "home"
    home.mkdir(mode=0o555)
    stack = f"organization/kthw/{access.project.stack_name}"
    directory = tunnel_directory({"HOME": str(home)}, str(access.project.dir), stack)
    message = (f"kthw:tunnel.manage: the managed tunnel keeps its control socket in {directory}, which cannot be "
               f"made ({home} is not writable); set XDG_STATE_HOME to a writable directory (the default is "
               "~/.local/state)")

    access.configure(lab)
    for verb in RUNS_OF_THE_PROGRAM:
        result = access.pulumi(*verb, env={"HOME": str(home)}, unset=("XDG_STATE_HOME",),
                               prefix=tuple(bound_by_mode_bits()))
        assert_stops_with_one_error(result, message)
    assert access.shown_outputs() == before
    assert access.commands() == [] and not (home / ".local").exists()


@pytest.mark.parametrize("port_kind", ["privileged", "ephemeral"])
def test_a_local_port_ssh_may_not_get_is_warned_about_at_preview_and_up(
    access: Access, lab: Lab, port_kind: str
) -> None:
    kernel = read_port_settings()
    port = 999 if port_kind == "privileged" else kernel.ephemeral.stop - 1
    access.configure(lab, manage=False)
    access.project.update_config(tunnel={"localPort": port})
    warned = f"warning: kthw:tunnel.localPort: {port} is "
    for said in (access.project.stack.preview().stdout, access.project.stack.up().stdout):
        assert [line for line in diagnostics_of(said) if line.startswith(warned)] != [], said
    access.project.destroy()


def test_ssh_run_by_a_user_other_than_root_cannot_bind_a_port_below_the_unprivileged_start(
    lab: Lab, tmp_path: Path
) -> None:
    """The rule the privileged-port warning follows, checked against the real ssh client and kernel: as a user other
    than root, ssh's local forward on a port below net.ipv4.ip_unprivileged_port_start fails (and the warning is
    given), and on a port above it works; a kernel that lets every user bind low ports gets no warning."""
    kernel = read_port_settings()
    user = RunAs.unprivileged()
    keys = user.private_directory("kthw-ssh-user.")
    try:
        user.write_private(keys / "id", lab.sshd.client_key.read_text())
        user.write_private(keys / "known_hosts", lab.sshd.known_hosts.read_text())

        def forward(port: int) -> subprocess.CompletedProcess[str]:
            argv = ["ssh", "-f", "-N", "-o", "ExitOnForwardFailure=yes", "-o", "BatchMode=yes", "-i", str(keys / "id"),
                    "-o", "IdentitiesOnly=yes", "-o", f"UserKnownHostsFile={keys / 'known_hosts'}",
                    "-o", "StrictHostKeyChecking=yes", "-p", str(lab.sshd.port),
                    "-L", f"127.0.0.1:{port}:localhost:{lab.apiserver.port}", "root@127.0.0.1"]
            result: subprocess.CompletedProcess[str] = subprocess.run(
                argv, capture_output=True, text=True, timeout=60, check=False,
                **user.popen_options())  # type: ignore[call-overload]
            return result

        low = next(port for port in range(1023, 0, -1) if port_is_free(port))
        high = free_port()
        try:
            refused, allowed = forward(low), forward(high)
        finally:
            for pid in processes_mentioning(str(keys)):
                stop_pid(pid)
    finally:
        shutil.rmtree(keys, ignore_errors=True)
    assert allowed.returncode == 0, allowed.stderr
    warned = local_port_warnings(low, kernel) != []
    assert warned == (low < kernel.unprivileged_start)
    assert (refused.returncode != 0) == warned, refused.stderr
    if warned:
        assert f"bind [127.0.0.1]:{low}: Permission denied" in refused.stderr


@pytest.mark.parametrize("checking", ["yes", "accept-new"])
def test_host_key_mismatch_is_refused(access: Access, lab: Lab, checking: str) -> None:
    pinned = lab.sshd.other_known_hosts(f"other_known_hosts_{checking}")
    before = pinned.read_text()
    access.configure(lab, known_hosts=pinned, checking=checking)
    message = access.up_fails()
    assert "REMOTE HOST IDENTIFICATION HAS CHANGED" in message
    assert "Host key verification failed." in message
    assert pinned.read_text() == before
    access.assert_failed_attempt_only()


def test_local_port_already_taken_fails_and_leaves_nothing(access: Access, lab: Lab) -> None:
    # Held on 127.0.0.1 only, where "localhost" takes kubectl here (/etc/hosts): ssh binding just ::1 would
    # "succeed" and kubectl would talk to whatever holds the port.
    with hold_port(access.local_port, ipv6=False):
        access.configure(lab)
        message = access.up_fails()
        assert f"bind [127.0.0.1]:{access.local_port}: Address already in use" in message
        assert "Could not request local forwarding." in message
        assert access.tunnel_processes() == {}
    access.assert_failed_attempt_only()


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


def test_renewed_admin_certificate_keeps_kubectl_working_through_the_tunnel(access: Access, lab: Lab) -> None:
    """Renewal, as if a year had passed: inside its window the admin certificate previews as replaced (and nothing
    else does), `up` issues a new one signed by the same CA, and kubectl with the kubeconfig exported again reaches
    the same running kube-apiserver through the same tunnel."""
    access.configure(lab)
    access.project.up()
    access.assert_kubectl_works()
    before = access.project.outputs()
    tunnel = access.record()

    access.project.age_certificate(ADMIN_CERT_TYPE, 12)
    changes = access.project.preview_changes()
    assert set(changes) == {"admin-admin-cert"} and changes["admin-admin-cert"] in REPLACED, changes
    access.project.up()
    after = access.project.outputs()
    assert after["adminCertPem"] != before["adminCertPem"] and after["caCertPem"] == before["caCertPem"]
    renewed = after["kubeconfigSummary"]["clientCertificateSha256"]
    assert renewed != before["kubeconfigSummary"]["clientCertificateSha256"]
    assert access.record().pid == tunnel.pid, "the tunnel is not touched by a renewal"
    access.assert_kubectl_works()
    whoami = access.kubectl("auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
    assert (whoami.returncode, whoami.stdout) == (0, "admin"), whoami.stderr

    access.project.destroy()
    access.assert_no_tunnel()


def test_killed_ssh_previews_as_a_replacement_and_up_brings_kubectl_back(access: Access, lab: Lab) -> None:
    access.configure(lab, verify=True)
    access.project.up()
    access.assert_kubectl_works()
    old = access.record()

    assert old.pid is not None
    os.kill(old.pid, signal.SIGKILL)
    wait_until(lambda: access.tunnel_processes() == {}, 10, "the killed ssh master")
    broken = access.kubectl("get", "nodes")
    assert f"The connection to the server localhost:{access.local_port} was refused" in broken.stderr

    # refresh cannot read a command back, and no read of the cluster is kept in state: nothing to fail on.
    refresh = access.project.cli("refresh", "--yes")
    assert "unreachable" not in refresh.stdout + refresh.stderr
    # Running the program, refresh warns as preview does, and succeeds: it runs the program as an update
    # (is_dry_run() is False) but runs no Command, so the tunnel's record is the state's old one, which verify
    # does not take for an open tunnel.
    before = access.shown_outputs()
    refresh = access.project.cli("refresh", "--run-program", "--yes")
    said = refresh.stdout + refresh.stderr
    warning = (f"warning: the managed tunnel is not open: its ssh process (pid {old.pid}) has exited; `pulumi up` "
               "opens a new one")
    assert set(diagnostics_of(said)) == {warning}, said
    assert "verify:" not in said and "Traceback" not in said
    assert access.record() == old
    # Every output as it was, but the verification: this run read nothing of the cluster.
    del before["verification"]
    assert access.shown_outputs() == before
    access.preview_replaces_the_tunnel(f"its ssh process (pid {old.pid}) has exited")
    access.project.up()
    access.assert_kubectl_works()
    assert access.project.outputs()["verification"]["kubernetesServiceIp"] == KUBERNETES_SERVICE_IP
    new = access.record()
    assert new.pid != old.pid and access.tunnel_processes().keys() == {new.pid}
    access.project.stack.preview(expect_no_changes=True)

    access.project.destroy()
    access.assert_no_tunnel()


def test_restarted_load_balancer_sshd_previews_as_a_replacement_and_up_reconnects(access: Access, lab: Lab) -> None:
    sshd = lab.processes.start_sshd("sshd-restarted")
    access.configure(lab, sshd=sshd)
    access.project.up()
    access.assert_kubectl_works()
    old = access.record()

    lab.processes.stop(sshd.process)  # sshd and its sessions: the tunnel's connection closes
    wait_until(lambda: access.tunnel_processes() == {}, 30, "ssh noticing the load balancer went away")
    sshd = lab.processes.start_sshd("sshd-restarted", port=sshd.port)

    access.preview_replaces_the_tunnel(f"its ssh process (pid {old.pid}) has exited")
    access.project.up()
    access.assert_kubectl_works()

    access.project.destroy()
    access.assert_no_tunnel()


def test_a_connection_that_stops_answering_ends_the_tunnel_by_keepalive(access: Access, lab: Lab) -> None:
    """A load balancer that stops answering without closing the connection (a laptop that slept, a network that
    dropped): ServerAliveInterval 15 and ServerAliveCountMax 3 end ssh within about a minute, then preview sees it."""
    sshd = lab.processes.start_sshd("sshd-stalled")
    access.configure(lab, sshd=sshd)
    access.project.up()
    old = access.record()
    sessions = descendants(sshd.process.pid)
    assert sessions
    for pid in sessions:
        os.kill(pid, signal.SIGSTOP)
    try:
        started = time.monotonic()
        wait_until(lambda: access.tunnel_processes() == {}, 90, "ssh giving up on a silent load balancer")
        assert 30 < time.monotonic() - started < 90
        access.preview_replaces_the_tunnel(f"its ssh process (pid {old.pid}) has exited")
    finally:
        for pid in sessions:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    access.project.up()
    access.assert_kubectl_works()
    access.project.destroy()
    access.assert_no_tunnel()


@pytest.mark.parametrize("removed", ["socket", "directory"])
def test_removed_control_socket_previews_as_a_replacement_and_the_old_ssh_is_closed(
    access: Access, lab: Lab, removed: str
) -> None:
    access.configure(lab)
    access.project.up()
    old = access.record()
    # What a tmp cleaner did to the old /tmp directory: the socket (or its whole directory) goes, ssh stays.
    if removed == "socket":
        Path(old.socket).unlink()
        access.preview_replaces_the_tunnel(f"its control socket {old.socket} is gone")
    else:
        shutil.rmtree(Path(old.socket).parent)
        access.preview_replaces_the_tunnel("no tunnel of this stack is recorded on this machine", warned=False)
    assert access.tunnel_processes().keys() == {old.pid}

    access.project.up()  # the old ssh still holds the port: it is closed, by pid, before the new one opens
    new = access.record()
    assert access.tunnel_processes().keys() == {new.pid} and new.pid != old.pid
    access.assert_kubectl_works()

    access.project.destroy()
    access.assert_no_tunnel()


def test_tunnel_recorded_by_another_machine_is_opened_here_and_its_process_never_touched(
    access: Access, lab: Lab
) -> None:
    access.configure(lab)
    access.project.up()
    mine = access.record()
    assert mine.pid is not None
    os.kill(mine.pid, signal.SIGTERM)  # this machine has no tunnel; another machine ran `up` last
    wait_until(lambda: access.tunnel_processes() == {}, 10, "the stopped ssh master")
    shutil.rmtree(Path(mine.socket).parent)
    # A process that looks exactly like a tunnel (an ssh with a control socket on its command line), named by
    # the record the other machine wrote: on that machine its pid is the tunnel, here it is someone else's.
    decoy_socket = access.directory / "other" / "kthw" / "0123456789ab" / "control"
    sleeper = "import time; time.sleep(300)"
    decoy = subprocess.Popen(["bash", "-c", f'exec -a ssh "{sys.executable}" -c "{sleeper}" -S "{decoy_socket}"'])
    try:
        start = start_time(decoy.pid)
        assert start is not None
        access.rewrite_record(host="laptop-7", machine="0123456789abcdef", pid=str(decoy.pid), start=start,
                              socket=str(decoy_socket))

        access.preview_replaces_the_tunnel("no tunnel of this stack is recorded on this machine", warned=False)
        access.project.up()
        access.assert_kubectl_works()
        assert access.record().machine == this_machine().machine
        assert decoy.poll() is None

        access.project.destroy()
        access.assert_no_tunnel()
        assert decoy.poll() is None
    finally:
        decoy.kill()
        decoy.wait()


def test_a_destroyed_state_takes_the_cluster_s_pod_cidrs_back_and_refuses_a_contradicting_pin(
    access: Access, lab: Lab
) -> None:
    """The state is destroyed while the cluster lives on: the next `up` with verify keeps the podCIDRs the Node
    objects carry (not node-list order), says so, and records them; a pin the cluster contradicts is refused."""
    nodes = [{"name": "adopt-0", "address": "172.31.200.1"}, {"name": "adopt-1", "address": "172.31.200.2"}]
    carried = {"adopt-0": "10.200.1.0/24", "adopt-1": "10.200.0.0/24"}  # registered in the other order
    manifest = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}, "spec": {"podCIDR": cidr, "podCIDRs": [cidr]}}
        for name, cidr in carried.items()]}
    created = lab.kubectl("create", "-f", "-", stdin=json.dumps(manifest))
    assert created.returncode == 0, created.stderr
    try:
        # A stack whose state was destroyed (or never had these nodes): a fresh plan would go by list order.
        access.configure(lab, verify=True)
        access.project.update_config(nodes=nodes)
        up = access.project.stack.up()
        assert "the plan keeps the pod CIDRs the cluster's nodes carry" in up.stdout, up.stdout
        outputs = access.project.outputs()
        assert {name: node["podCidrs"] for name, node in nodes_of(outputs["network"]).items()} == {
            name: [cidr] for name, cidr in carried.items()}
        assert registered_of(outputs["verification"]) == ["adopt-0", "adopt-1"]
        access.assert_kubectl_works()
        # What the cluster gave is recorded now: the next preview has nothing to change.
        access.project.stack.preview(expect_no_changes=True)

        # Destroyed and brought back with a pin on another node's block: refused, nothing contradicting recorded.
        access.project.destroy()
        assert "network" not in access.project.outputs()
        access.project.update_config(nodes=[{**nodes[0], "podCidr": "10.200.0.0/24"}, nodes[1]])
        message = access.up_fails()
        assert ("invalid config kthw:nodes[0].podCidr: 10.200.0.0/24 is the podCIDR node 'adopt-1' carries in the "
                "cluster") in message, message
        assert "10.200.0.0/24 differs from 10.200.1.0/24, the podCIDR node 'adopt-0' carries" in message
        outputs = access.project.outputs()
        assert outputs.get("network") is None and "kubeconfig" in outputs
    finally:
        deleted = lab.kubectl("delete", "node", *carried)
    assert deleted.returncode == 0, deleted.stderr
    access.project.destroy()
    access.assert_no_tunnel()


def test_setting_manage_false_closes_the_tunnel_and_keeps_the_stack(access: Access, lab: Lab) -> None:
    access.configure(lab)
    access.project.up()
    ca_before = access.project.outputs()["caCertPem"]
    access.configure(lab, manage=False)
    access.project.up()
    access.assert_no_tunnel()
    assert access.project.outputs()["caCertPem"] == ca_before


def test_the_readme_s_tunnel_line_opens_the_tunnel_kubectl_uses(access: Access, lab: Lab) -> None:
    """`sh -c "$(pulumi stack output tunnelCommand)" &`, as the README has it, with the identity file given as
    ``~/...`` (ssh expands it from the password database, as a shell would from $HOME)."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)
    access.configure(lab, manage=False)
    access.project.update_config(tunnel={
        "localPort": access.local_port, "identityFile": f"~/{os.path.relpath(lab.sshd.client_key, home)}",
        "knownHostsFile": str(lab.sshd.known_hosts), "strictHostKeyChecking": "yes"})
    access.project.up()
    line = f'{README_TUNNEL_LINE}\necho $! > "{access.directory}/tunnel.pid"\nwait'
    shell = subprocess.Popen(["bash", "-c", line], cwd=access.project.dir, env={**os.environ, **access.project.env},
                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_until(lambda: not port_is_free(access.local_port) or shell.poll() is not None, 30, "the tunnel")
        assert shell.poll() is None, shell.communicate()
        access.assert_kubectl_works()
    finally:
        for pid in processes_mentioning(f"-L {access.local_port}:localhost:"):
            stop_pid(pid)
        shell.kill()
        shell.communicate()
