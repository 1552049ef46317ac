"""Whether the managed tunnel recorded by the last deployment is open on this machine, and the Command ``triggers``
that follow from it.

pulumi-command cannot read a command back, so ``pulumi refresh`` never sees a dead tunnel. Instead the program
looks at the tunnel the last deployment recorded (the Command's stdout: machine, boot, ssh pid and start time,
control socket) before it registers anything: while that very ssh process runs here, the triggers stay what they
were and the stack previews with no changes; otherwise they name a new tunnel and the reason, so ``pulumi preview``
shows the Command as to be replaced and ``pulumi up`` reopens it. Everything here is plain data and /proc reads.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import stat
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RECORD_VERSION = "1"
_GENERATION = re.compile(r"^tunnel #(\d+)\b")


@dataclass(frozen=True)
class TunnelRecord:
    """What the open script printed about the ssh process it started (see components/tunnel.sh)."""

    host: str
    """uname -n of the machine that opened it, for messages."""
    machine: str
    """machine_id(): a hash of /etc/machine-id, so no machine's identifier is written to state."""
    boot: str
    """/proc/sys/kernel/random/boot_id when it was opened: a pid means nothing after a restart."""
    pid: int
    start: str
    """The ssh master's start time (/proc/PID/stat field 22): with the pid, one process for the whole boot."""
    socket: str
    """Its control socket (its -S argument)."""


@dataclass(frozen=True)
class MachineIdentity:
    """This machine and boot, as the open and close scripts compute them."""

    machine: str
    boot: str


def machine_hash(machine_id: str) -> str:
    """What components/tunnel.sh's machine_id prints for the same /etc/machine-id content."""
    return hashlib.sha256(f"kthw-machine:{machine_id}".encode()).hexdigest()[:16]


def this_machine(root: Path = Path("/")) -> MachineIdentity:
    """The identity of the machine running the program (falls back as the scripts do)."""
    machine_id = None
    for candidate in ("etc/machine-id", "var/lib/dbus/machine-id"):
        try:
            machine_id = (root / candidate).read_text().strip()
            break
        except OSError:
            continue
    try:
        boot = (root / "proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = "unknown"
    return MachineIdentity(machine_hash(machine_id if machine_id is not None else socket.gethostname()), boot)


def parse_record(stdout: str) -> TunnelRecord | None:
    """The record in a Command's stdout, or None when it is not one (an older kthw recorded a directory)."""
    fields: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key not in fields:
            fields[key] = value
    try:
        if fields["kthw-tunnel"] != RECORD_VERSION:
            return None
        return TunnelRecord(
            host=fields["host"], machine=fields["machine"], boot=fields["boot"], pid=int(fields["pid"]),
            start=fields["start"], socket=fields["socket"],
        )
    except (KeyError, ValueError):
        return None


def failed_attempt(stdout: str) -> bool:
    """Whether the Command's stdout records an attempt to open the tunnel that failed (ssh's message is its
    stderr)."""
    lines = stdout.splitlines()
    return bool(lines) and lines[0] == f"kthw-tunnel={RECORD_VERSION}" and any(
        line.startswith("failed=") for line in lines)


def _start_time(proc: Path, pid: int) -> str | None:
    try:
        return (proc / str(pid) / "stat").read_text().rsplit(") ", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def _argv(proc: Path, pid: int) -> list[str] | None:
    try:
        return [part.decode(errors="replace") for part in (proc / str(pid) / "cmdline").read_bytes().split(b"\0")]
    except OSError:
        return None


def is_recorded_ssh(record: TunnelRecord, proc: Path = Path("/proc")) -> bool:
    """The process the record names still runs: same pid and start time, an ssh with the recorded socket."""
    if _start_time(proc, record.pid) != record.start:
        return False
    argv = _argv(proc, record.pid)
    if not argv:
        return False
    return os.path.basename(argv[0]) == "ssh" and record.socket in argv


def _is_socket(path: str) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False


def down_reason(stdout: str | None, here: MachineIdentity, proc: Path = Path("/proc")) -> str | None:
    """Why the recorded tunnel is not open on this machine, in words for the user; None while it is."""
    if stdout is None:
        return "no tunnel is recorded"
    if failed_attempt(stdout):
        return "the last `pulumi up` could not open it"
    record = parse_record(stdout)
    if record is None:
        return "the recorded tunnel was opened by an older kthw"
    if record.machine != here.machine:
        return f"it was opened on another machine ({record.host}), not on this one"
    if record.boot != here.boot:
        return "this machine has restarted since it was opened"
    if not is_recorded_ssh(record, proc):
        return f"its ssh process (pid {record.pid}) has exited"
    if not _is_socket(record.socket):
        return f"its control socket {record.socket} is gone"
    return None


def generation(triggers: Sequence[Any] | None) -> int:
    """The number of the tunnel the triggers name (``tunnel #N: ...``), 0 when they name none."""
    if triggers and isinstance(triggers[0], str) and (match := _GENERATION.match(triggers[0])):
        return int(match.group(1))
    return 0


def tunnel_triggers(previous: Mapping[str, Any] | None, reason: str | None) -> list[str]:
    """The Command's triggers: the previous ones while the tunnel is open (no change), else a new tunnel's."""
    previous_triggers = (previous or {}).get("triggers")
    if reason is None and previous_triggers and generation(previous_triggers) > 0:
        return [str(value) for value in previous_triggers]
    number = generation(previous_triggers) + 1
    return [f"tunnel #{number}: opened because {reason or 'the recorded tunnel has no number'}"]
