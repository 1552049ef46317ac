"""``kthw:index:ApiTunnel``: the SSH tunnel to the API server through the load balancer: the command a person runs,
and, with ``tunnel.manage``, a pulumi-command resource that opens it in the background on create and closes it on
delete.

The managed tunnel's Command runs tunnel.sh (``open`` and ``close``) with the ssh arguments defined above it
(command.py); its stdout records the ssh process it started, and so does a file beside the control socket. Its
triggers stay the recorded ones while that process runs on this machine, and name a new tunnel (with the reason)
when it does not (record.py), so a dead tunnel previews as a replacement and ``pulumi up`` reopens it.

When the tunnel cannot be opened (ssh fails, or is missing, or its directory cannot be made), the Command still
completes, recording the failed attempt (and the message as its stderr): the engine goes on to create the
credentials and save every output, kubeconfig included, and then the update fails with that message and nothing
else. The next preview shows the Command as to be replaced.

The record names the trigger it was opened with, so the program knows whether the Command ran in this run: under
``pulumi refresh --run-program`` (and for a Command that ``--target`` leaves out) the engine runs nothing and hands
the program the state's old record, which is no news of the tunnel this run asked for; the warning at the start
has said whether it is open.
"""

from __future__ import annotations

import os

import pulumi
import pulumi_command

from components.config.stack import own_stack_name
from components.tunnel.command import interpreter, tunnel_command
from components.tunnel.options import LoadBalancer, TunnelOptions
from components.tunnel.record import (
    down_reason,
    opened,
    read_local_record,
    this_machine,
    this_run_s_attempt,
    tunnel_trigger,
)
from components.tunnel.socket_directory import project_directory, tunnel_directory


class TunnelError(pulumi.RunError):
    """The managed tunnel could not be opened; the message is the open script's (ssh's own, when ssh ran)."""


def fail_unless_opened(stdout: str, stderr: str, trigger: str) -> None:
    """Raise TunnelError with the open script's message when this run's attempt failed."""
    record = this_run_s_attempt(stdout, trigger)
    if record is not None and record.failed is not None:
        raise TunnelError(stderr.strip() or f"the managed tunnel could not be opened ({record.failed})")


class ApiTunnel(pulumi.ComponentResource):
    """``kthw:index:ApiTunnel``: ``tunnelCommand`` always; with ``manage`` a background ssh owned by the stack."""

    tunnel_command: pulumi.Output[str]
    """The ssh command a person runs."""
    command: pulumi_command.local.Command | None
    """The managed tunnel, or None without ``tunnel.manage``."""
    down_reason: str | None
    """Why the tunnel the last deployment recorded is not open here (None while it is, or when not managed)."""
    opened: pulumi.Output[bool]
    """Whether this run opened the managed tunnel or found it open (True when not managed: nothing to wait for);
    False when the attempt failed, or when the engine ran no Command (``pulumi refresh --run-program``)."""
    check: pulumi.Output[None] | None
    """Fails the update with the open script's message when this run's attempt failed, after the outputs are
    saved."""

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
        self.command, self.down_reason, self.check = None, None, None
        self.opened = pulumi.Output.from_input(True)
        if tunnel.manage:
            self._manage(name, load_balancer, tunnel)
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)

    def _manage(self, name: str, load_balancer: LoadBalancer, tunnel: TunnelOptions) -> None:
        """The managed tunnel: a Command that opens it (anew when the one recorded on this machine is down) and
        closes it, and what this run's attempt gave."""
        directory = tunnel_directory(os.environ, project_directory(), own_stack_name())
        record_text = read_local_record(directory)
        self.down_reason = down_reason(record_text, this_machine())
        trigger = tunnel_trigger(record_text, self.down_reason)
        if record_text is not None and self.down_reason is not None:
            pulumi.log.warn(
                f"the managed tunnel is not open: {self.down_reason}; `pulumi up` opens a new one", self
            )
        self.command = pulumi_command.local.Command(
            f"{name}-ssh",
            create="open",
            delete="close",
            interpreter=interpreter(load_balancer, tunnel),
            environment={"KTHW_TUNNEL_DIR": directory, "KTHW_TUNNEL_TRIGGER": trigger},
            triggers=[trigger],
            # ssh's message is reported once, as the update's error, not also as the Command's log.
            logging=pulumi_command.local.Logging.NONE,
            opts=pulumi.ResourceOptions(
                parent=self,
                # The new tunnel binds the same local port: the old one must close first.
                delete_before_replace=True,
                # Any change means a different tunnel: replace, never re-run open beside the running one.
                replace_on_changes=["*"],
            ),
        )
        self.opened = self.command.stdout.apply(lambda stdout: opened(stdout, trigger))
        # Nothing exports this: it fails the update only once every export has been saved.
        self.check = pulumi.Output.all(self.command.stdout, self.command.stderr).apply(
            lambda values: fail_unless_opened(values[0], values[1], trigger)
        )
