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
from pathlib import Path

import pytest
import yaml

from components.network.tables import nodes_of, registered_of
from components.tunnel.local_port import local_port_warnings, read_port_settings
from components.tunnel.preflight import SSH_MISSING
from components.tunnel.record import start_time, this_machine
from components.tunnel.socket_directory import tunnel_directory
from tests.helpers.cluster import (
    CertPair,
    Cluster,
    KubeApiserver,
    Pki,
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
    wait_until,
)
from tests.helpers.engine import ADMIN_CERT_TYPE, REPLACED, ROOT, EngineProject
from tests.helpers.host_faults import bound_by_mode_bits, path_without
from tests.helpers.lab import (
    PULUMI_PROGRAM_ERROR,
    RUNS_OF_THE_PROGRAM,
    Access,
    Lab,
    assert_stops_with_one_error,
    diagnostics_of,
)
from tests.helpers.server_process import RunAs

pytestmark = pytest.mark.e2e

README_TUNNEL_LINE = next(
    line.split("#")[0].strip() for line in (ROOT / "README.md").read_text().splitlines()
    if line.startswith("sh -c") and "pulumi stack output tunnelCommand" in line)
SERVICE_CIDR = "10.32.0.0/24"
KUBERNETES_SERVICE_IP = "10.32.0.1"
KUBE_VERSION = "v1.37.2"


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
