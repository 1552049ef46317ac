"""Server processes for the test harness, run as an unprivileged user: ``nobody`` when the tests run as root
(initdb and postgres refuse root), otherwise the current user; each logs to a file and is stopped with its own
signal, then SIGKILL after a timeout."""

from __future__ import annotations

import contextlib
import http.client
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tests.cluster import wait_until

UNPRIVILEGED_USER = "nobody"
READY_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 15.0


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
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(text)
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


@dataclass
class ServerProcess:
    """A server writing to a log file; stopped with ``stop_signal``, then SIGKILL after a timeout."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    stop_signal: int = signal.SIGTERM

    @classmethod
    def start(cls, name: str, argv: Sequence[str], log: Path, run_as: RunAs, env: dict[str, str],
              stop_signal: int = signal.SIGTERM) -> ServerProcess:
        with log.open("wb") as handle:
            popen = subprocess.Popen(
                list(argv), stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT, env=env,
                cwd=log.parent, start_new_session=True, **run_as.popen_options(),  # type: ignore[call-overload]
            )
        return cls(name, popen, log, stop_signal)

    def log_tail(self, lines: int = 30) -> str:
        status = "running" if self.popen.poll() is None else f"exited with {self.popen.returncode}"
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return f"--- {self.name} ({status}), last lines of {self.log}:\n" + "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, check: Callable[[], bool]) -> None:
        def ready() -> bool:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited before it was ready\n{self.log_tail()}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                return check()
            return False

        wait_until(ready, READY_TIMEOUT_SECONDS, self.name, self.log_tail)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(self.stop_signal)
            try:
                self.popen.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(STOP_TIMEOUT_SECONDS)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signal.SIGKILL)
