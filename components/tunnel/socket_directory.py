"""Where the managed tunnel keeps its control socket and record on this machine, and whether it can be made there.

Under the user's state directory (``$XDG_STATE_HOME``, else ``~/.local/state``), in ``kthw/<key>/`` where the key
stands for this project directory and stack: tmp cleaners do not reach it, and two stacks never share it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import pulumi

CONTROL_SOCKET = "control"
MAX_CONTROL_PATH_BYTES = 86
"""A unix socket path holds at most 103 bytes on macOS (107 on Linux), and ssh first binds the control socket
under a temporary name 17 bytes longer (``.`` and 16 random characters) before renaming it."""
MANAGE_KEY = "kthw:tunnel.manage"
"""The key every message about the managed tunnel's needs on this machine names: the fix may be to turn it off."""


class TunnelDirectoryError(pulumi.RunError):
    """The control socket cannot be placed where ssh accepts it."""


def tunnel_directory(env: Mapping[str, str], project_dir: str, stack: str) -> str:
    """``<state home>/kthw/<key>``: this project's and stack's directory for the control socket."""
    state_home = env.get("XDG_STATE_HOME", "")
    if not os.path.isabs(state_home):
        home = env.get("HOME", "")
        if not os.path.isabs(home):
            raise TunnelDirectoryError(
                f"{MANAGE_KEY}: the managed tunnel keeps its control socket under $XDG_STATE_HOME or "
                "$HOME/.local/state, and neither is set to an absolute path; set XDG_STATE_HOME to a writable "
                "directory"
            )
        state_home = os.path.join(home, ".local", "state")
    key = hashlib.sha256(f"{project_dir}\0{stack}".encode()).hexdigest()[:12]
    directory = os.path.join(state_home, "kthw", key)
    length = len(os.fsencode(os.path.join(directory, CONTROL_SOCKET)))
    if length > MAX_CONTROL_PATH_BYTES:
        raise TunnelDirectoryError(
            f"{MANAGE_KEY}: the managed tunnel's control socket {directory}/{CONTROL_SOCKET} is {length} bytes "
            f"long, more than ssh can use ({MAX_CONTROL_PATH_BYTES}); set XDG_STATE_HOME to a shorter directory"
        )
    return directory


def _writable(directory: Path) -> bool:
    """Whether this process may create entries in ``directory`` (access(2) with the effective ids: mode bits, a
    read-only mount, an immutable directory; root passes the mode bits, as it does when it makes the directory)."""
    return os.access(directory, os.W_OK | os.X_OK, effective_ids=os.access in os.supports_effective_ids)


def unwritable_reason(directory: str, writable: Callable[[Path], bool] = _writable) -> str | None:
    """Why this process cannot make ``directory`` (with its parents) and write in it, from the nearest part of the
    path that exists; None when it can. Nothing is made: a preview has no side effects."""
    path = Path(directory)
    for part in (path, *path.parents):
        if part.is_dir():
            return None if writable(part) else f"{part} is not writable"
        if part.is_symlink():
            return f"{part} is a symbolic link to nothing"
        if part.exists():
            return f"{part} is not a directory"
    return None


def project_directory() -> str:
    """The project directory (Pulumi runs the program there)."""
    return str(Path.cwd())
