"""The end-to-end lab and the stacks pointed at it: etcd, kube-apiserver (and kube-controller-manager) and an sshd
standing in for the load balancer (tests/helpers/cluster.py starts them), kubectl with nothing but a stack's
kubeconfig, and what a failed run must and must not say."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from components.tunnel.record import TunnelRecord, parse_record
from tests.helpers.cluster import (
    CertPair,
    Cluster,
    Etcd,
    KubeApiserver,
    Pki,
    Sshd,
    free_port,
    port_is_free,
    processes_mentioning,
    stop_pid,
    tool_env,
    write_private,
)
from tests.helpers.engine import EngineProject, diff_lines

COMMAND_TYPE = "command:local:Command"


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
        return kubectl(admin_connection(self.apiserver.port, self.pki), *args, stdin=stdin)


def admin_connection(port: int, pki: Pki) -> list[str]:
    """kubectl's flags to reach the kube-apiserver on ``port`` as the harness's admin of ``pki``."""
    return [f"--server=https://127.0.0.1:{port}", f"--certificate-authority={pki.ca.cert}",
            f"--client-certificate={pki.admin.cert}", f"--client-key={pki.admin.key}"]


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
        return self.project.shown_outputs()

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
        write_private(path, text)
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


