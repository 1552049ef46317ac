"""Where the managed tunnel keeps its control socket and record on this machine.

Under the user's state directory (``$XDG_STATE_HOME``, else ``~/.local/state``), in ``kthw/<key>/`` where the key
stands for this project directory and stack: tmp cleaners do not reach it, and two stacks never share it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

import pulumi

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


def project_directory() -> str:
    """The project directory (Pulumi runs the program there)."""
    return str(Path.cwd())
