"""A Python process that runs under another program's name (argv[0]), as the tunnel's checks see a process."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def sleeping_as(argv0: str, *arguments: str) -> subprocess.Popen[bytes]:
    """Python sleeping for a minute with ``argv0`` and ``arguments`` as its command line. Popen can return before
    the child has exec'd (its /proc cmdline is still empty then), so this waits, for at most 10 s, until /proc shows
    the command line."""
    process = subprocess.Popen([argv0, "-c", "import time; time.sleep(60)", *arguments], executable=sys.executable)
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    deadline = time.monotonic() + 10
    while not cmdline.read_bytes().startswith(argv0.encode() + b"\0"):
        if time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"{argv0} did not start within 10 s")
        time.sleep(0.01)
    return process
