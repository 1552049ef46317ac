"""What the tunnel needs of the machine that runs the program, checked at its start, before any resource is
registered: with ``tunnel.manage``, ssh on PATH and a state directory that can be made (else the program stops with
one error that says what to do); and a ``tunnel.localPort`` ssh can listen on and keep (else a warning).

Both could be found later, when the open script runs, and it records such failures like ssh's own; here they stop
a preview as well, and nothing is half done.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping

import pulumi

from components.config.stack import own_stack_name
from components.tunnel.local_port import local_port_warnings, read_port_settings
from components.tunnel.options import TunnelOptions
from components.tunnel.socket_directory import (
    MANAGE_KEY,
    TunnelDirectoryError,
    project_directory,
    tunnel_directory,
    unwritable_reason,
)

SSH_MISSING = (
    f"{MANAGE_KEY}: the managed tunnel runs ssh, which is not on PATH; install the OpenSSH client (Debian and "
    "Ubuntu: apt-get install openssh-client) or put its directory on PATH, or set tunnel.manage to false"
)


class TunnelHostError(pulumi.RunError):
    """This machine lacks what the managed tunnel needs; the message names tunnel.manage and the fix."""


def host_problems(env: Mapping[str, str], project_dir: str, stack: str) -> list[str]:
    """What this machine lacks for the managed tunnel (``env`` is the program's environment), one message each."""
    problems = []
    if shutil.which("ssh", path=env.get("PATH", os.defpath)) is None:
        problems.append(SSH_MISSING)
    try:
        directory = tunnel_directory(env, project_dir, stack)
    except TunnelDirectoryError as error:
        problems.append(str(error))
    else:
        reason = unwritable_reason(directory)
        if reason is not None:
            problems.append(
                f"{MANAGE_KEY}: the managed tunnel keeps its control socket in {directory}, which cannot be made "
                f"({reason}); set XDG_STATE_HOME to a writable directory (the default is ~/.local/state)")
    return problems


def check_tunnel_host(tunnel: TunnelOptions, *, hide_values: bool) -> None:
    """Warn about a local port ssh may not get; with ``tunnel.manage``, stop with TunnelHostError when this machine
    cannot run the tunnel. ``hide_values``: loadBalancer or tunnel is secret config."""
    for warning in local_port_warnings(tunnel.local_port, read_port_settings(), hide_values=hide_values):
        pulumi.log.warn(warning)
    if tunnel.manage:
        problems = host_problems(os.environ, project_directory(), own_stack_name())
        if problems:
            raise TunnelHostError("\n".join(problems))
