"""A machine that lacks what the managed tunnel needs, for tests: a PATH on which one program is missing, and a
process that a directory of mode 0555 stops as it stops any user but root."""

from __future__ import annotations

import os
from pathlib import Path

OVERRIDE_DROPPED = ["setpriv", "--bounding-set=-dac_override", "--"]
"""Runs a program as root without CAP_DAC_OVERRIDE (util-linux setpriv): file mode bits then bind it as they bind
any other user, so a directory of mode 0555 is read-only to it and everything it starts."""


def bound_by_mode_bits() -> list[str]:
    """The argv prefix under which a program cannot write where the mode bits say no: none for a user other than
    root, OVERRIDE_DROPPED for root."""
    return OVERRIDE_DROPPED if os.geteuid() == 0 else []


def path_without(program: str, path: str, links: Path) -> str:
    """``path`` with every directory that holds ``program`` replaced by a directory in ``links`` of symbolic links to
    all its other entries: the same machine, without that one program."""
    directories = []
    for index, directory in enumerate(path.split(os.pathsep)):
        if not (Path(directory) / program).exists():
            directories.append(directory)
            continue
        copy = links / str(index)
        copy.mkdir(parents=True)
        for entry in Path(directory).iterdir():
            if entry.name != program:
                (copy / entry.name).symlink_to(entry)
        directories.append(str(copy))
    return os.pathsep.join(directories)
