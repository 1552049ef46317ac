"""A throwaway hard-way control plane on loopback for end-to-end tests: a cfssl PKI like the tutorial's, etcd,
kube-apiserver and an sshd standing in for the load balancer, each on a random free port in a temporary directory.

Tools come from ``toolchain/kube.sh`` (kube-apiserver, kubectl, etcd; it apt-installs sshd and cfssl when missing):
nothing here is ever skipped. Processes are stopped newest first (kube-apiserver before its etcd: an apiserver whose
etcd is gone ignores SIGTERM for minutes), each with SIGTERM, a wait, then SIGKILL; sshd's per-connection children
(which call setsid and so leave its process group) are stopped with it.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import http.client
import json
import os
import random
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from cryptography import x509

from tests.helpers.engine import toolchain_script

SSHD = "/usr/sbin/sshd"
READY_TIMEOUT_SECONDS = 120.0
STOP_TIMEOUT_SECONDS = 10.0

# The tutorial's ca-config.json and CSR names.
CA_CONFIG = {
    "signing": {
        "default": {"expiry": "8760h"},
        "profiles": {
            "kubernetes": {
                "usages": ["signing", "key encipherment", "server auth", "client auth"],
                "expiry": "8760h",
            }
        },
    }
}
TUTORIAL_NAMES = {"C": "US", "L": "Portland", "ST": "Oregon"}


class ClusterError(RuntimeError):
    """A process of the test cluster did not start or answer in time."""


# --- tools -------------------------------------------------------------------------------------------------------


@functools.cache
def kube_path() -> str:
    """The PATH fragment (kube-apiserver, kubectl, etcd) that ``toolchain/kube.sh`` prints on its last line."""
    return toolchain_script("kube.sh")


def tool_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment with the kube tools first on PATH."""
    return {**os.environ, "PATH": f"{kube_path()}:{os.environ.get('PATH', '/usr/bin:/bin')}", **(extra or {})}


def run(argv: Sequence[str], *, cwd: Path | None = None, stdin: str | None = None, timeout: float = 60) -> str:
    """Run a tool with the kube tools on PATH; its stdout, or an error with its stderr."""
    result = subprocess.run(
        list(argv), cwd=cwd, input=stdin, capture_output=True, text=True, env=tool_env(), timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise ClusterError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result.stdout


# --- ports -------------------------------------------------------------------------------------------------------


def _bind(family: socket.AddressFamily, host: str, port: int) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as ssh and kube-apiserver bind
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    return sock


def port_is_free(port: int) -> bool:
    """Whether ``port`` can be bound on 127.0.0.1 and on ::1 (where the host has IPv6 loopback): ``ssh -L``
    binds both and succeeds when either bind does."""
    sockets = []
    try:
        try:
            sockets.append(_bind(socket.AF_INET, "127.0.0.1", port))
        except OSError:
            return False
        try:
            sockets.append(_bind(socket.AF_INET6, "::1", port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False  # any other error: no IPv6 loopback here
        return True
    finally:
        for sock in sockets:
            sock.close()


EPHEMERAL_PORT_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_handed_out: set[int] = set()


@functools.cache
def _ports_below_ephemeral_range() -> range:
    """Ports the kernel never picks for outgoing connections or ``bind(0)``: below ``ip_local_port_range``.

    A port taken from the ephemeral range can be handed to a client connection (the engine and its plugins open
    dozens per update, kube-apiserver keeps some to etcd) between choosing it and ``ssh -L`` binding it."""
    try:
        lowest_ephemeral = int(EPHEMERAL_PORT_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        lowest_ephemeral = 32768
    return range(10000, max(lowest_ephemeral, 10001))


def free_port() -> int:
    """A loopback TCP port no one uses (on 127.0.0.1 and ::1), outside the ephemeral range and not handed out
    before in this process."""
    candidates = _ports_below_ephemeral_range()
    for _ in range(200):
        port = random.choice(candidates)
        if port not in _handed_out and port_is_free(port):
            _handed_out.add(port)
            return port
    raise ClusterError(f"no free loopback port found in {candidates.start}-{candidates.stop - 1}")


@contextlib.contextmanager
def hold_port(port: int, *, ipv6: bool = True) -> Iterator[list[socket.socket]]:
    """Listen on ``port`` on 127.0.0.1 (and on ::1 where it exists, unless ``ipv6`` is false) for the duration."""
    sockets = [_bind(socket.AF_INET, "127.0.0.1", port)]
    if ipv6:
        with contextlib.suppress(OSError):
            sockets.append(_bind(socket.AF_INET6, "::1", port))
    try:
        for sock in sockets:
            sock.listen(1)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def wait_until(check: Callable[[], bool], timeout: float, what: str, log: Callable[[], str] = lambda: "") -> None:
    """Poll ``check`` every 0.2 s until it is true; raise with ``what`` and the log tail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return
        if time.monotonic() > deadline:
            raise ClusterError(f"{what}: not ready after {timeout:.0f} s\n{log()}")
        time.sleep(0.2)


# --- PKI ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertPair:
    """A certificate and its private key, in PEM files."""

    cert: Path
    key: Path

    @property
    def cert_pem(self) -> str:
        return self.cert.read_text()

    @property
    def key_pem(self) -> str:
        return self.key.read_text()


def write_private(path: Path, text: str) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text)


def _save(directory: Path, name: str, cfssl_json: str) -> CertPair:
    """What ``cfssljson -bare NAME`` writes: NAME.pem and NAME-key.pem."""
    made = json.loads(cfssl_json)
    pair = CertPair(directory / f"{name}.pem", directory / f"{name}-key.pem")
    pair.cert.write_text(made["cert"])
    write_private(pair.key, made["key"])
    return pair


def _csr(common_name: str, organization: str, unit: str = "Kubernetes The Hard Way") -> str:
    names = [{**TUTORIAL_NAMES, "O": organization, "OU": unit}]
    return json.dumps({"CN": common_name, "key": {"algo": "rsa", "size": 2048}, "names": names})


@dataclass(frozen=True)
class Pki:
    """The tutorial's PKI made with cfssl: a CA, the API server's serving certificate, the service-account key
    pair and an admin client certificate (the harness's own, to poll /readyz)."""

    directory: Path
    ca: CertPair
    kubernetes: CertPair
    service_account: CertPair
    admin: CertPair
    controller_manager: CertPair
    """kube-controller-manager's client certificate (CN system:kube-controller-manager, the tutorial's)."""
    hosts: tuple[str, ...]

    @staticmethod
    def make_ca(directory: Path, common_name: str = "Kubernetes") -> CertPair:
        """``cfssl gencert -initca ca-csr.json | cfssljson -bare ca`` in ``directory``."""
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "ca-csr.json").write_text(_csr(common_name, "Kubernetes", "CA"))
        return _save(directory, "ca", run(["cfssl", "gencert", "-initca", "ca-csr.json"], cwd=directory))

    @staticmethod
    def sign(directory: Path, ca: CertPair, name: str, csr: str, hosts: Iterable[str] = ()) -> CertPair:
        """``cfssl gencert -ca=ca.pem -ca-key=ca-key.pem -config=ca-config.json -profile=kubernetes``."""
        (directory / "ca-config.json").write_text(json.dumps(CA_CONFIG))
        (directory / f"{name}-csr.json").write_text(csr)
        argv = ["cfssl", "gencert", f"-ca={ca.cert}", f"-ca-key={ca.key}", "-config=ca-config.json",
                "-profile=kubernetes"]
        hosts = list(hosts)
        if hosts:
            argv.append("-hostname=" + ",".join(hosts))
        return _save(directory, name, run([*argv, f"{name}-csr.json"], cwd=directory))

    @classmethod
    def create(cls, directory: Path, hosts: Sequence[str]) -> Pki:
        """The CA and every certificate; ``hosts`` are exactly the serving certificate's names and addresses."""
        return cls.with_ca(directory, cls.make_ca(directory), hosts)

    @classmethod
    def with_ca(cls, directory: Path, ca: CertPair, hosts: Sequence[str]) -> Pki:
        """Every certificate, signed by an existing ``ca`` (one a stack was deployed with, say)."""
        directory.mkdir(parents=True, exist_ok=True)
        return cls(
            directory=directory,
            ca=ca,
            kubernetes=cls.sign(directory, ca, "kubernetes", _csr("kubernetes", "Kubernetes"), hosts),
            service_account=cls.sign(directory, ca, "service-account", _csr("service-accounts", "Kubernetes")),
            admin=cls.sign(directory, ca, "admin", _csr("admin", "system:masters")),
            controller_manager=cls.sign(directory, ca, "kube-controller-manager", _csr(
                "system:kube-controller-manager", "system:kube-controller-manager")),
            hosts=tuple(hosts),
        )


def client_context(ca: Path, client: CertPair | None = None) -> ssl.SSLContext:
    """TLS that trusts ``ca`` and presents ``client``."""
    context = ssl.create_default_context(cafile=str(ca))
    if client is not None:
        context.load_cert_chain(str(client.cert), str(client.key))
    return context


def https_get(port: int, path: str, context: ssl.SSLContext, timeout: float = 5.0) -> tuple[int, bytes]:
    """GET https://127.0.0.1:PORT/PATH: (status, body)."""
    connection = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=context)
    try:
        connection.request("GET", path, headers={"Accept": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def serving_certificate_der(port: int, timeout: float = 10.0) -> bytes:
    """The certificate the TLS server on 127.0.0.1:PORT presents (not verified: this is for inspecting it)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with (
        socket.create_connection(("127.0.0.1", port), timeout=timeout) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        der = tls.getpeercert(binary_form=True)
    if der is None:
        raise ClusterError(f"127.0.0.1:{port} presented no certificate")
    return der


# --- processes ---------------------------------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    """Every descendant of ``pid``, parents before children."""
    result: list[int] = []
    queue = _children(pid)
    while queue:
        child = queue.pop(0)
        result.append(child)
        queue.extend(_children(child))
    return result


def processes_mentioning(text: str) -> dict[int, str]:
    """pid -> command line of every process whose command line contains ``text`` (what ``pgrep -af`` shows)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            argv = (entry / "cmdline").read_bytes().split(b"\0")
            line = " ".join(part.decode(errors="replace") for part in argv if part)
            if text in line:
                found[int(entry.name)] = line
    return found


def _signal(pid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with contextlib.suppress(OSError):
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if state == "Z":
            return False
    return True


def stop_pid(pid: int, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """SIGTERM, wait up to ``timeout``, then SIGKILL a process that is not our child."""
    _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    _signal(pid, signal.SIGKILL)


class Process:
    """A long-running tool or server writing to a log file, in a session of its own; stopped with
    ``stop_signal``, then SIGKILL after a timeout. By default it gets the tools' environment (``tool_env``);
    ``popen_options`` may run it as another user (tests/helpers/server_process.py RunAs)."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log: Path,
        *,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        popen_options: Mapping[str, Any] | None = None,
        stop_signal: int = signal.SIGTERM,
    ) -> None:
        self.name = name
        self.argv = list(argv)
        self.log = log
        self.stop_signal = stop_signal
        with log.open("wb") as handle:
            self.popen = subprocess.Popen(
                self.argv, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT,
                env=tool_env() if env is None else env, cwd=cwd, start_new_session=True, **(popen_options or {}),
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, lines: int = 30) -> str:
        status = "running" if self.alive() else f"exited with {self.popen.returncode}"
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        tail = "\n".join(text.splitlines()[-lines:])
        return f"--- {self.name} ({status}), last lines of {self.log}:\n{tail}"

    def wait_ready(self, check: Callable[[], bool], timeout: float = READY_TIMEOUT_SECONDS) -> None:
        """Poll ``check`` until true; fail at once if the process exits, with the log tail."""

        def ready() -> bool:
            if not self.alive():
                raise ClusterError(f"{self.name} exited before it was ready\n{self.log_tail()}")
            with contextlib.suppress(OSError, ssl.SSLError, http.client.HTTPException):
                return check()
            return False

        wait_until(ready, timeout, self.name, self.log_tail)

    def stop(self, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
        """``stop_signal``, wait, SIGKILL; then the same for descendants that left the process group (sshd
        sessions)."""
        children = descendants(self.pid) if self.alive() else []
        if self.alive():
            self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        for pid in reversed(children):
            stop_pid(pid, timeout)


@dataclass
class Etcd:
    """A single-member etcd with its data in the cluster directory."""

    process: Process
    client_port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.client_port}"

    def healthy(self) -> bool:
        connection = http.client.HTTPConnection("127.0.0.1", self.client_port, timeout=2)
        try:
            connection.request("GET", "/health")
            response = connection.getresponse()
            return response.status == 200 and b'"health":"true"' in response.read()
        finally:
            connection.close()


@dataclass
class KubeApiserver:
    """kube-apiserver with the tutorial's TLS and RBAC flags, serving on 127.0.0.1:PORT."""

    process: Process
    port: int
    pki: Pki
    service_cluster_ip_range: str | None

    def get(self, path: str) -> tuple[int, bytes]:
        """GET a path as the harness's admin."""
        return https_get(self.port, path, client_context(self.pki.ca.cert, self.pki.admin))

    def ready(self) -> bool:
        """/readyz answers ok and the bootstrap controller has made the default/kubernetes Service."""
        status, body = self.get("/readyz")
        if status != 200 or body.strip() != b"ok":
            return False
        status, _ = self.get("/api/v1/namespaces/default/services/kubernetes")
        return status == 200

    def kubernetes_service_ip(self) -> str:
        status, body = self.get("/api/v1/namespaces/default/services/kubernetes")
        if status != 200:
            raise ClusterError(f"reading the kubernetes Service answered {status}: {body[:300]!r}")
        cluster_ip: str = json.loads(body)["spec"]["clusterIP"]
        return cluster_ip


@dataclass
class KubeControllerManager:
    """kube-controller-manager serving its health on 127.0.0.1:PORT."""

    process: Process
    port: int

    def healthy(self) -> bool:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # its own self-signed serving certificate
        status, body = https_get(self.port, "/healthz", context)
        return status == 200 and body.strip() == b"ok"


def client_kubeconfig(port: int, ca: Path, client: CertPair) -> str:
    """A kubeconfig for a control-plane component: the lab's kube-apiserver, its CA, the component's certificate."""
    return yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                 "certificate-authority": str(ca)}}],
        "users": [{"name": "component", "user": {"client-certificate": str(client.cert),
                                                  "client-key": str(client.key)}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "component"}}],
    })


@dataclass
class Sshd:
    """An sshd on 127.0.0.1:PORT standing in for the load balancer: its own host key, one authorized client key,
    and a known_hosts file that pins its host key as ``[127.0.0.1]:PORT``."""

    process: Process
    port: int
    directory: Path
    host_key: Path
    client_key: Path
    known_hosts: Path

    def host_key_line(self, public_key: Path | None = None) -> str:
        """``[127.0.0.1]:PORT TYPE BASE64`` for this sshd's host key (or any other public key file)."""
        kind, blob = (public_key or self.host_key.with_suffix(".pub")).read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {kind} {blob}\n"

    def other_known_hosts(self, name: str = "other_known_hosts") -> Path:
        """A known_hosts file that pins a different key for this sshd's address and port."""
        other = self.directory / f"{name}_key"
        if not other.exists():
            run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "other", "-f", str(other)])
        path = self.directory / name
        path.write_text(self.host_key_line(other.with_suffix(".pub")))
        return path

    def listening(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            return sock.recv(64).startswith(b"SSH-2.0-")


# --- the cluster -------------------------------------------------------------------------------------------------


class Cluster:
    """Processes started in ``directory``, stopped newest first on exit (or by ``close``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.processes: list[Process] = []

    def __enter__(self) -> Cluster:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop every process, newest first; keep going when one fails to stop."""
        problems = []
        while self.processes:
            process = self.processes.pop()
            try:
                process.stop()
            except Exception as error:  # keep stopping the others
                problems.append(f"{process.name}: {error}")
        if problems:
            raise ClusterError("could not stop: " + "; ".join(problems))

    def stop(self, process: Process) -> None:
        """Stop one process now (say, the load balancer for a fault test)."""
        process.stop()
        if process in self.processes:
            self.processes.remove(process)

    def _start(self, name: str, argv: Sequence[str]) -> Process:
        process = Process(name, argv, self.directory / f"{name}.log")
        self.processes.append(process)
        return process

    def start_etcd(self, name: str = "etcd") -> Etcd:
        client_port, peer_port = free_port(), free_port()
        peer = f"http://127.0.0.1:{peer_port}"
        client = f"http://127.0.0.1:{client_port}"
        process = self._start(name, [
            "etcd", "--name", name, "--data-dir", str(self.directory / f"{name}-data"),
            "--listen-client-urls", client, "--advertise-client-urls", client,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
            "--initial-cluster", f"{name}={peer}", "--log-level", "warn",
        ])
        etcd = Etcd(process, client_port)
        process.wait_ready(etcd.healthy)
        return etcd

    def start_kube_apiserver(
        self,
        etcd: Etcd,
        pki: Pki,
        *,
        name: str = "kube-apiserver",
        service_cluster_ip_range: str | None = "10.32.0.0/24",
        etcd_prefix: str = "/registry",
        plan_flags: Sequence[str] = (),
        port: int | None = None,
    ) -> KubeApiserver:
        """kube-apiserver as the tutorial runs it, on loopback (on ``port``, or a free one);
        ``service_cluster_ip_range=None`` leaves the flag out (the kubernetes Service then gets 10.0.0.1).
        ``plan_flags``: a stack's network.flags.kubeApiserver, in place of the lab's own service range."""
        port = port or free_port()
        argv = [
            "kube-apiserver",
            f"--etcd-servers={etcd.url}",
            f"--etcd-prefix={etcd_prefix}",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki.service_account.cert}",
            f"--service-account-signing-key-file={pki.service_account.key}",
            f"--client-ca-file={pki.ca.cert}",
            f"--tls-cert-file={pki.kubernetes.cert}",
            f"--tls-private-key-file={pki.kubernetes.key}",
            f"--cert-dir={self.directory / (name + '-certs')}",
            # The lease reconciler refuses a loopback advertise address.
            "--advertise-address=127.0.0.1",
            "--endpoint-reconciler-type=none",
            "--bind-address=127.0.0.1",
            f"--secure-port={port}",
            "--authorization-mode=Node,RBAC",
            # No controller manager makes service-account tokens.
            "--disable-admission-plugins=ServiceAccount",
        ]
        if plan_flags:
            argv += plan_flags
            service_cluster_ip_range = next((flag.split("=", 1)[1] for flag in plan_flags
                                             if flag.startswith("--service-cluster-ip-range=")), None)
        elif service_cluster_ip_range is not None:
            argv.append(f"--service-cluster-ip-range={service_cluster_ip_range}")
        process = self._start(name, argv)
        apiserver = KubeApiserver(process, port, pki, service_cluster_ip_range)
        process.wait_ready(apiserver.ready)
        return apiserver

    def start_kube_controller_manager(
        self, apiserver: KubeApiserver, plan_flags: Sequence[str], *, name: str = "kube-controller-manager"
    ) -> KubeControllerManager:
        """kube-controller-manager with a stack's network.flags.kubeControllerManager; the lab adds only its own
        PKI, kubeconfig, port and paths (as the tutorial's unit adds its own)."""
        pki = apiserver.pki
        kubeconfig = self.directory / f"{name}.kubeconfig"
        write_private(kubeconfig, client_kubeconfig(apiserver.port, pki.ca.cert, pki.controller_manager))
        port = free_port()
        process = self._start(name, [
            "kube-controller-manager",
            f"--kubeconfig={kubeconfig}",
            f"--authentication-kubeconfig={kubeconfig}",
            f"--authorization-kubeconfig={kubeconfig}",
            "--bind-address=127.0.0.1",
            f"--secure-port={port}",
            f"--cert-dir={self.directory / (name + '-certs')}",
            "--leader-elect=false",
            # As the tutorial runs it: each controller with the credentials of its own service account.
            "--use-service-account-credentials=true",
            f"--root-ca-file={pki.ca.cert}",
            f"--service-account-private-key-file={pki.service_account.key}",
            f"--cluster-signing-cert-file={pki.ca.cert}",
            f"--cluster-signing-key-file={pki.ca.key}",
            *plan_flags,
        ])
        manager = KubeControllerManager(process, port)
        process.wait_ready(manager.healthy)
        return manager

    def start_sshd(self, name: str = "sshd", *, port: int | None = None) -> Sshd:
        """sshd on a free loopback port (or ``port``: a restart keeps its port, keys and known_hosts) that lets root
        in with a test key, and nothing else."""
        directory = self.directory / name
        directory.mkdir(parents=True, exist_ok=True)
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # privilege separation directory
        host_key, client_key = directory / "host_key", directory / "client_key"
        for key in (host_key, client_key):
            if not key.exists():
                run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", key.name, "-f", str(key)])
        authorized_keys = directory / "authorized_keys"
        authorized_keys.write_text(client_key.with_suffix(".pub").read_text())
        port = port or free_port()
        config = directory / "sshd_config"
        config.write_text("\n".join([
            "ListenAddress 127.0.0.1",
            f"HostKey {host_key}",
            f"AuthorizedKeysFile {authorized_keys}",
            "StrictModes no",
            f"PidFile {directory / 'sshd.pid'}",
            "PermitRootLogin prohibit-password",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "AllowTcpForwarding yes",
            "",
        ]))
        process = self._start(name, [SSHD, "-D", "-e", "-f", str(config), "-p", str(port)])
        sshd = Sshd(process, port, directory, host_key, client_key, directory / "known_hosts")
        sshd.known_hosts.write_text(sshd.host_key_line())
        process.wait_ready(sshd.listening, timeout=30)
        return sshd


def certificate_sans(der: bytes) -> list[str]:
    """The DNS names and IP addresses of a certificate's subjectAltName, as text."""
    certificate = x509.load_der_x509_certificate(der)
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return [*names.get_values_for_type(x509.DNSName), *(str(ip) for ip in names.get_values_for_type(x509.IPAddress))]

