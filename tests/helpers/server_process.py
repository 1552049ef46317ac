"""Who the test harness's server processes run as: ``nobody`` when the tests run as root (initdb and postgres
refuse root), otherwise the current user. The processes themselves are tests/helpers/cluster.py's Process."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.helpers.cluster import write_private

UNPRIVILEGED_USER = "nobody"


@dataclass(frozen=True)
class RunAs:
    """Who a server process runs as: ``nobody`` when the tests run as root, otherwise the current user."""

    uid: int
    gid: int

    @classmethod
    def unprivileged(cls) -> RunAs:
        if os.geteuid() != 0:
            return cls(os.getuid(), os.getgid())
        entry = pwd.getpwnam(UNPRIVILEGED_USER)
        return cls(entry.pw_uid, entry.pw_gid)

    def own(self, path: Path) -> None:
        if os.geteuid() == 0:
            os.chown(path, self.uid, self.gid)

    def private_directory(self, prefix: str) -> Path:
        """A new directory in the system's temporary directory, mode 700, owned by this user (a directory under
        pytest's tmp_path would not do: its parents are private to root)."""
        directory = Path(tempfile.mkdtemp(prefix=prefix))
        self.own(directory)
        return directory

    def write_private(self, path: Path, text: str) -> None:
        """``text`` in a new file of mode 600 that this user owns."""
        write_private(path, text)
        self.own(path)

    def reachable_copy(self, program: Path, directory: Path) -> Path:
        """``program`` as this user can run it: itself, or when the tests run as root (whose home, and so the build
        cache, is private) a hard link or copy in ``directory``."""
        if os.geteuid() != 0:
            return program
        target = directory / program.name
        try:
            os.link(program, target)
        except OSError:
            shutil.copy2(program, target)
        return target

    def popen_options(self) -> dict[str, object]:
        if os.geteuid() != 0:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}
