"""A file of the project, named by a config value and read only when it lies inside the project directory.

A config value that names a file is read at every preview, also of a pull request on a CI runner: resolved as the
kernel resolves it (every symbolic link and ``..``, component by component), it must stay inside the real path of
the project directory, or any file the runner can read could end up in a message.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from components.config.errors import ConfigError
from components.config.shown import shown

_CHUNK_BYTES = 2**20
"""Read in chunks: one read of the whole limit would allocate all of it for a small file."""


def real_project_path(path_text: str, project_dir: Path, key: str, accepted: str) -> Path:
    """The real path of the relative ``path_text`` in ``project_dir``; refused when it leads outside the project
    directory's real path, whether or not it exists there (no message tells what exists outside)."""
    root = Path(os.path.realpath(project_dir))
    real = Path(os.path.realpath(root / path_text))
    if not real.is_relative_to(root):
        raise ConfigError(key, f"{shown(path_text)} leads outside the project directory {root} (through '..' or a "
                          "symbolic link)", accepted, safe=True)
    return real


def read_project_file(path_text: str, project_dir: Path, key: str, accepted: str, max_bytes: int) -> bytes:
    """The bytes of the project's file ``path_text``, refusing what is outside the project, missing, not a regular
    file or larger than ``max_bytes``. What is opened is the checked real path, not following a link at its end
    (a link swapped in after the check), nor blocking on a FIFO."""
    real = real_project_path(path_text, project_dir, key, accepted)
    name = shown(path_text)
    try:
        if not stat.S_ISREG(os.stat(real).st_mode):
            raise ConfigError(key, f"{name} is not a regular file", accepted, safe=True)
        descriptor = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(descriptor, "rb", buffering=0) as file:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                raise ConfigError(key, f"{name} is not a regular file", accepted, safe=True)
            chunks: list[bytes] = []
            size = 0
            while size <= max_bytes and (chunk := file.read(_CHUNK_BYTES)):
                chunks.append(chunk)
                size += len(chunk)
    except FileNotFoundError:
        raise ConfigError(key, f"{name} does not exist in the project directory {os.path.realpath(project_dir)}",
                          accepted, safe=True) from None
    except OSError as error:
        raise ConfigError(key, f"{name} cannot be read ({error.strerror})", "a readable file", safe=True) from None
    if size > max_bytes:
        raise ConfigError(key, f"{name} is larger than {max_bytes // 2**20} MiB", accepted, safe=True)
    return b"".join(chunks)
