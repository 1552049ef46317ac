"""The SSH tunnel to the API server through the load balancer: the command a person runs, and, with
``tunnel.manage``, a pulumi-command resource that opens it in the background on create and closes it on delete.

Every value is passed to the shell through ``shlex.quote``; settings already refused anything ssh would read as
syntax. The managed tunnel runs ``ssh -f`` with a control socket in a private directory made per instance, so a
replacement never closes the wrong tunnel, and detaches all three standard streams so the provider does not wait
on the background process.
"""

from __future__ import annotations

import shlex

import pulumi
import pulumi_command

from components.settings import LoadBalancer, TunnelOptions

CONNECT_TIMEOUT_SECONDS = 10
LOCAL_BIND_ADDRESS = "127.0.0.1"
"""Where the managed tunnel listens. Without a bind address ``ssh -L`` listens on 127.0.0.1 and ::1 and succeeds
when either bind does, so ExitOnForwardFailure misses a port another process holds on 127.0.0.1 (where kubectl's
``localhost`` goes) and kubectl would talk to that process instead."""
TUNNEL_DIR_PATTERN = "kthw-tunnel.XXXXXXXX"


def forward_spec(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> str:
    """``LOCAL:localhost:API``: the local port forwarded to the API server as the load balancer sees it."""
    return f"{tunnel.local_port}:localhost:{load_balancer.api_port}"


def destination(load_balancer: LoadBalancer) -> str:
    return f"{load_balancer.user}@{load_balancer.address}"


def ssh_options(load_balancer: LoadBalancer, tunnel: TunnelOptions, *, default_checking: str | None) -> list[str]:
    """Port, identity and host-key options; host keys are always verified (never StrictHostKeyChecking=no)."""
    options: list[str] = []
    if load_balancer.ssh_port != 22:
        options += ["-p", str(load_balancer.ssh_port)]
    if tunnel.identity_file:
        options += ["-i", tunnel.identity_file, "-o", "IdentitiesOnly=yes"]
    if tunnel.known_hosts_file:
        options += ["-o", f"UserKnownHostsFile={tunnel.known_hosts_file}"]
    checking = tunnel.strict_host_key_checking or default_checking
    if checking:
        options += ["-o", f"StrictHostKeyChecking={checking}"]
    return options


def tunnel_command(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> str:
    """The command a person runs, e.g. ``ssh -N -L 6443:localhost:6443 cloud_user@172.31.108.99``."""
    return shlex.join([
        "ssh", "-N", "-L", forward_spec(load_balancer, tunnel),
        *ssh_options(load_balancer, tunnel, default_checking=None),
        destination(load_balancer),
    ])


def open_script(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> str:
    """Shell script for create: start ssh in the background and print its private directory (for delete)."""
    ssh = shlex.join([
        "ssh", "-f", "-N", "-M", "-S", "CONTROL",
        "-o", "ExitOnForwardFailure=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT_SECONDS}",
        "-o", "BatchMode=yes",
        "-o", "ServerAliveInterval=30",
        "-L", f"{LOCAL_BIND_ADDRESS}:{forward_spec(load_balancer, tunnel)}",
        *ssh_options(load_balancer, tunnel, default_checking="yes"),
        destination(load_balancer),
    ]).replace("CONTROL", '"$dir/control"', 1)
    return "\n".join([
        "set -eu",
        "command -v ssh >/dev/null || { echo 'kthw: ssh is not on PATH' >&2; exit 127; }",
        f'dir=$(mktemp -d "${{TMPDIR:-/tmp}}/{TUNNEL_DIR_PATTERN}")',
        f'if {ssh} </dev/null >"$dir/log" 2>&1; then',
        '  echo "$dir"',
        "else",
        "  status=$?",
        f"  echo {shlex.quote('kthw: could not open the tunnel ' + tunnel_command(load_balancer, tunnel) + ':')} >&2",
        '  cat "$dir/log" >&2',
        '  rm -rf "$dir"',
        '  exit "$status"',
        "fi",
    ])


def close_script(load_balancer: LoadBalancer) -> str:
    """Shell script for delete: close the tunnel that create started. A tunnel that is already gone is not an
    error: there is nothing left to close, and destroy must not get stuck on it."""
    prefix = TUNNEL_DIR_PATTERN.split(".")[0]
    return "\n".join([
        "set -u",
        'dir="${PULUMI_COMMAND_STDOUT:-}"',
        'case "$dir" in',
        f'  */{prefix}.*) ;;',
        "  *) echo 'kthw: no tunnel directory recorded; nothing to close' >&2; exit 0 ;;",
        "esac",
        f'if ! ssh -S "$dir/control" -O exit {shlex.quote(destination(load_balancer))} 2>/dev/null; then',
        "  echo 'kthw: the tunnel was not running; nothing to close' >&2",
        "fi",
        'rm -rf "$dir"',
    ])


class ApiTunnel(pulumi.ComponentResource):
    """``kthw:index:ApiTunnel``: ``tunnelCommand`` always; with ``manage`` a background ssh owned by the stack."""

    tunnel_command: pulumi.Output[str]
    command: pulumi_command.local.Command | None

    def __init__(
        self,
        name: str,
        *,
        load_balancer: LoadBalancer,
        tunnel: TunnelOptions,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:ApiTunnel", name, None, opts)
        self.tunnel_command = pulumi.Output.from_input(tunnel_command(load_balancer, tunnel))
        self.command = None
        if tunnel.manage:
            self.command = pulumi_command.local.Command(
                f"{name}-ssh",
                create=open_script(load_balancer, tunnel),
                delete=close_script(load_balancer),
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # The new tunnel binds the same local port: the old one must close first.
                    delete_before_replace=True,
                    # Any change of the scripts means a different tunnel: replace, never re-run create in place.
                    replace_on_changes=["create", "delete"],
                ),
            )
        self.register_outputs({"tunnelCommand": self.tunnel_command})
