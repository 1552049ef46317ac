"""Where the managed tunnel keeps its control socket on this machine, and what the last deployment recorded about
its tunnel.

The control socket lives under the user's state directory (``$XDG_STATE_HOME``, else ``~/.local/state``), in
``kthw/<key>/`` where the key stands for this project directory and stack: tmp cleaners do not reach it, and two
stacks never share it. The last deployment's Command is read from the stack's own checkpoint with the engine's
built-in ``pulumi:pulumi:readStackResourceOutputs`` function: what is recorded there is what the delete will act
on, even after an update that failed half-way.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from components.cluster_network import READ_ATTEMPTS, READ_RETRY_SECONDS, own_stack_name

READ_STACK_RESOURCE_OUTPUTS = "pulumi:pulumi:readStackResourceOutputs"
COMMAND_TYPE = "command:local:Command"
CONTROL_SOCKET = "control"
MAX_CONTROL_PATH_BYTES = 86
"""A unix socket path holds at most 103 bytes on macOS (107 on Linux), and ssh first binds the control socket
under a temporary name 17 bytes longer (``.`` and 16 random characters) before renaming it."""


class TunnelDirectoryError(pulumi.RunError):
    """The control socket cannot be placed where ssh accepts it."""


def tunnel_directory(env: Mapping[str, str], project_dir: str, stack: str) -> str:
    """``<state home>/kthw/<key>``: this project's and stack's directory for the control socket."""
    state_home = env.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state_home):
        home = env.get("HOME", "")
        if not os.path.isabs(home):
            raise TunnelDirectoryError(
                "kthw: the managed tunnel keeps its control socket under $XDG_STATE_HOME or $HOME/.local/state, "
                "and neither is set to an absolute path"
            )
        state_home = os.path.join(home, ".local", "state")
    key = hashlib.sha256(f"{project_dir}\0{stack}".encode()).hexdigest()[:12]
    directory = os.path.join(state_home, "kthw", key)
    length = len(os.fsencode(os.path.join(directory, CONTROL_SOCKET)))
    if length > MAX_CONTROL_PATH_BYTES:
        raise TunnelDirectoryError(
            f"kthw: the managed tunnel's control socket {directory}/{CONTROL_SOCKET} is {length} bytes long, more "
            f"than ssh can use ({MAX_CONTROL_PATH_BYTES}); set XDG_STATE_HOME to a shorter directory"
        )
    return directory


def find_command_outputs(resources: Mapping[str, Any], name: str) -> dict[str, Any] | None:
    """The outputs of the Command called ``name`` among a stack's resources (URN -> {type, outputs})."""
    for urn, entry in resources.items():
        if isinstance(entry, Mapping) and entry.get("type") == COMMAND_TYPE and urn.endswith(f"::{name}"):
            outputs = entry.get("outputs")
            return dict(outputs) if isinstance(outputs, Mapping) else {}
    return None


def read_previous_command(name: str) -> dict[str, Any] | None:
    """The last deployment's Command ``name`` (its stdout and triggers), or None when the stack has none."""
    stack = own_stack_name()
    for attempt in range(READ_ATTEMPTS):
        try:
            result = pulumi.runtime.invoke(READ_STACK_RESOURCE_OUTPUTS, {"stackName": stack})
            break
        except Exception as error:
            # The file backend may be writing this very checkpoint as the update starts: read again shortly.
            if attempt == READ_ATTEMPTS - 1:
                raise pulumi.RunError(f"cannot read the previous resources of stack {stack}: {error}") from None
            time.sleep(READ_RETRY_SECONDS)
    return find_command_outputs((result.value or {}).get("outputs") or {}, name)


def project_directory() -> str:
    """The project directory (Pulumi runs the program there)."""
    return str(Path.cwd())
