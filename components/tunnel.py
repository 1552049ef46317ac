"""``kthw:index:ApiTunnel``: the SSH tunnel to the API server through the load balancer: the command a person runs,
and, with ``tunnel.manage``, a pulumi-command resource that opens it in the background on create and closes it on
delete.

The managed tunnel's Command runs components/tunnel.sh (``open`` and ``close``) with the ssh arguments defined
above it; its stdout records the ssh process it started. Its triggers come from components/tunnel_record.py: they
stay the same while that process runs on this machine, and name a new tunnel (with the reason) when it does not,
so a dead tunnel previews as a replacement and ``pulumi up`` reopens it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pulumi
import pulumi_command

from components.cluster_network import own_stack_name
from components.settings import LoadBalancer, TunnelOptions
from components.tunnel_command import managed_ssh_arguments, tunnel_command
from components.tunnel_record import down_reason, this_machine, tunnel_triggers
from components.tunnel_state import project_directory, read_previous_command, tunnel_directory

TUNNEL_SCRIPT = Path(__file__).with_name("tunnel.sh")


def tunnel_script(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> str:
    """The managed tunnel's shell program: ``ssh_tunnel SOCKET`` (every config value quoted), then
    components/tunnel.sh, which runs ``open`` or ``close`` as its first argument says."""
    arguments = shlex.join(managed_ssh_arguments(load_balancer, tunnel))
    ssh = f'ssh -f -N -M -S "$1" {arguments}'
    return f"ssh_tunnel() {{ {ssh}; }}\n{TUNNEL_SCRIPT.read_text()}"


def interpreter(load_balancer: LoadBalancer, tunnel: TunnelOptions) -> list[str]:
    """pulumi-command appends the command (``open`` or ``close``) to this: ``/bin/sh -c SCRIPT kthw-tunnel open``,
    so a failure reads ``running "open"`` followed by ssh's own message, not the whole script."""
    return ["/bin/sh", "-c", tunnel_script(load_balancer, tunnel), "kthw-tunnel"]


class ApiTunnel(pulumi.ComponentResource):
    """``kthw:index:ApiTunnel``: ``tunnelCommand`` always; with ``manage`` a background ssh owned by the stack."""

    tunnel_command: pulumi.Output[str]
    """The ssh command a person runs."""
    command: pulumi_command.local.Command | None
    """The managed tunnel, or None without ``tunnel.manage``."""
    down_reason: str | None
    """Why the tunnel the last deployment recorded is not open here (None while it is, or when not managed)."""

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
        self.down_reason = None
        if tunnel.manage:
            directory = tunnel_directory(os.environ, project_directory(), own_stack_name())
            previous = read_previous_command(f"{name}-ssh")
            stdout = previous.get("stdout") if previous is not None else None
            self.down_reason = down_reason(stdout if isinstance(stdout, str) else None, this_machine())
            if previous is not None and self.down_reason is not None:
                pulumi.log.warn(
                    f"the managed tunnel is not open: {self.down_reason}; `pulumi up` opens a new one", self
                )
            self.command = pulumi_command.local.Command(
                f"{name}-ssh",
                create="open",
                delete="close",
                interpreter=interpreter(load_balancer, tunnel),
                environment={"KTHW_TUNNEL_DIR": directory},
                triggers=tunnel_triggers(previous, self.down_reason),
                # The record goes to stdout (and state) only; what close says about a tunnel it leaves alone shows.
                logging=pulumi_command.local.Logging.STDERR,
                opts=pulumi.ResourceOptions(
                    parent=self,
                    # The new tunnel binds the same local port: the old one must close first.
                    delete_before_replace=True,
                    # Any change means a different tunnel: replace, never re-run open beside the running one.
                    replace_on_changes=["*"],
                ),
            )
        self.register_outputs({"tunnelCommand": self.tunnel_command})
