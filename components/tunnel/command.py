"""The ssh command line of the tunnel: what a person runs (``tunnelCommand``), the options the managed tunnel shares
with it, and the managed tunnel's shell program (the ssh line, then tunnel.sh).

Every value is passed through ``shlex``; settings already refused anything ssh would read as syntax. ``~`` in a
path reaches ssh as it is, and ssh expands it (``-i`` and ``UserKnownHostsFile`` both do), so the same text works
from a shell, from ``sh -c`` and from the managed tunnel.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from components.tunnel.options import LoadBalancer, TunnelOptions

TUNNEL_SCRIPT = Path(__file__).with_name("tunnel.sh")
"""The managed tunnel's open and close, in a file of their own language."""
CONNECT_TIMEOUT_SECONDS = 10
SERVER_ALIVE_INTERVAL_SECONDS = 15
"""How often ssh asks the load balancer whether the connection still works, when nothing else crossed it."""
SERVER_ALIVE_COUNT_MAX = 3
"""Unanswered keepalives before ssh gives up and exits: a connection that died silently (a laptop that slept, a
load balancer that rebooted) is noticed within 45-60 s, and the next ``pulumi preview`` shows the tunnel as down."""
LOCAL_BIND_ADDRESS = "127.0.0.1"
"""Where the managed tunnel listens. Without a bind address ``ssh -L`` listens on 127.0.0.1 and ::1 and succeeds
when either bind does, so ExitOnForwardFailure misses a port another process holds on 127.0.0.1 (where kubectl's
``localhost`` goes) and kubectl would talk to that process instead."""


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
    """The command a person runs, e.g. ``ssh -N -L 6443:localhost:6443 cloud_user@172.31.108.99``: shell words,
    quoted where needed, so ``sh -c "$(pulumi stack output tunnelCommand)"`` runs exactly these arguments."""
    return shlex.join([
        "ssh", "-N", "-L", forward_spec(load_balancer, tunnel),
        *ssh_options(load_balancer, tunnel, default_checking=None),
        destination(load_balancer),
    ])


def managed_ssh_arguments(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> list[str]:
    """What the managed tunnel's ssh gets after ``-f -N -M -S SOCKET``: fail unless the forward is in place, never
    prompt, notice a dead connection, listen on 127.0.0.1 only, verify the host key."""
    return [
        "-o", "ExitOnForwardFailure=yes",
        "-o", f"ConnectTimeout={CONNECT_TIMEOUT_SECONDS}",
        "-o", "BatchMode=yes",
        "-o", f"ServerAliveInterval={SERVER_ALIVE_INTERVAL_SECONDS}",
        "-o", f"ServerAliveCountMax={SERVER_ALIVE_COUNT_MAX}",
        "-L", f"{LOCAL_BIND_ADDRESS}:{forward_spec(load_balancer, tunnel)}",
        *ssh_options(load_balancer, tunnel, default_checking="yes"),
        destination(load_balancer),
    ]


def tunnel_script(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> str:
    """The managed tunnel's shell program: ``ssh_tunnel SOCKET`` (every config value quoted), then tunnel.sh, which
    runs ``open`` or ``close`` as its first argument says."""
    arguments = shlex.join(managed_ssh_arguments(load_balancer, tunnel))
    ssh = f'ssh -f -N -M -S "$1" {arguments}'
    return f"ssh_tunnel() {{ {ssh}; }}\n{TUNNEL_SCRIPT.read_text()}"


def interpreter(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> list[str]:
    """pulumi-command appends the command (``open`` or ``close``) to this: ``/bin/sh -c SCRIPT kthw-tunnel open``,
    so an error of the script itself (ssh not installed, say) reads ``running "open"`` and its message, not the
    whole script."""
    return ["/bin/sh", "-c", tunnel_script(load_balancer, tunnel), "kthw-tunnel"]
