"""File paths that ssh reads from config (``-i``, ``UserKnownHostsFile``): only values ssh takes as that one file.

ssh gives several values a meaning of their own (checked against OpenSSH's ``ssh -G``, which prints the resolved
settings): ``none`` turns the known-hosts file off, ``/dev/null`` (or any other non-file) makes every host key
unknown, so ``accept-new`` accepts whatever key answers; a leading ``#`` makes the rest a comment, so ssh falls back
to its default file; ``${VAR}`` and ``%`` tokens are expanded; ``~/`` is expanded to the user's home directory (from
the password database). Blanks separate several files, and quotes are removed. So a path is refused unless ssh is
certain to read exactly the file it names; ``~/`` is accepted and left to ssh to expand.
"""

from __future__ import annotations

import os
import pwd
import re
import stat

from components.config.errors import ConfigError
from components.config.shown import kind_of, shown

PATH_MAX = 4096
"""Linux's limit on a path's length."""

_SSH_SYNTAX = re.compile(r"[\s\"'\\%$#\x00-\x1f\x7f]")
_PSEUDO_FILESYSTEMS = ("/dev/", "/proc/", "/sys/")
ACCEPTED = (
    "an absolute path, or one starting with ~/ (ssh expands ~ to your home directory), of a regular file, without "
    "blanks, quotes, backslashes, '$', '%' or '#', e.g. ~/.ssh/known_hosts_kthw"
)


def home_directory() -> str:
    """Where ssh expands ``~``: the user's home in the password database (not $HOME)."""
    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return os.path.expanduser("~")


def expanded(path: str) -> str:
    """The file ssh opens for an accepted path."""
    return home_directory() + path[1:] if path.startswith("~/") else path


def _not_a_regular_file(path: str) -> str | None:
    """Why the file at ``path`` (when it exists on this machine) is not one ssh can use, or None."""
    normal = os.path.normpath(expanded(path))
    if normal.startswith(_PSEUDO_FILESYSTEMS) or normal in ("/dev", "/proc", "/sys"):
        return "is a device or system path, not a file"
    try:
        mode = os.stat(normal).st_mode
    except (OSError, ValueError):
        return None  # not there (yet): ssh refuses the host, or with accept-new records the key there
    if not stat.S_ISREG(mode):
        return "exists and is not a regular file"
    return None


def ssh_file_path(value: object, key: str) -> str:
    """A path ssh reads as exactly the one file it names; refused with the reason ssh would read it otherwise."""
    if not isinstance(value, str):
        raise ConfigError(key, f"is {kind_of(value)}, not a path", ACCEPTED, safe=True)
    if not value:
        raise ConfigError(key, "is empty", ACCEPTED, safe=True)
    if len(value) > PATH_MAX:
        raise ConfigError(key, f"is {shown(value)}, longer than a path can be ({PATH_MAX})", ACCEPTED, safe=True)
    if value.casefold() == "none":
        raise ConfigError(key, "'none' makes ssh use no file at all", ACCEPTED, safe=True)
    for home in ("$HOME/", "${HOME}/"):
        if value.startswith(home):
            raise ConfigError(key, f"starts with {home}, which the tunnel's ssh does not expand as your shell "
                                   "would; write ~/... instead", ACCEPTED, safe=True)
    syntax = _SSH_SYNTAX.search(value)
    if syntax is not None:
        raise ConfigError(
            key, f"{shown(value)} has {syntax.group()!r}, which ssh reads as syntax (a comment, a variable, a "
                 "token, a separator or a quote)", ACCEPTED,
            without_values="has a character ssh reads as syntax")
    if value.startswith("~") and not value.startswith("~/"):
        raise ConfigError(key, f"{shown(value)} is not a file in your home directory: write ~/...", ACCEPTED,
                          safe=True)
    if not value.startswith(("/", "~/")):
        raise ConfigError(
            key, f"{shown(value)} is relative: ssh would read it from whatever directory it runs in", ACCEPTED,
            safe=True)
    if value.endswith("/"):
        raise ConfigError(key, f"{shown(value)} names a directory", ACCEPTED, safe=True)
    problem = _not_a_regular_file(value)
    if problem is not None:
        raise ConfigError(key, f"{shown(value)} {problem}", ACCEPTED, safe=True)
    return value
