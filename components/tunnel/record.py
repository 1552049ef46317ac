"""The managed tunnel's record: whether the tunnel is open on this machine, the Command ``triggers`` that follow
from it, and whether this run's attempt opened it.

pulumi-command cannot read a command back, so ``pulumi refresh`` never sees a dead tunnel. Instead the program
reads the record the open script kept beside the control socket (machine, boot, ssh pid and start time, socket,
and the trigger it was opened with) before it registers anything: while that very ssh process runs here, the
triggers are the recorded one and the stack previews with no changes; otherwise they name a new tunnel and the
reason, so ``pulumi preview`` shows the Command as to be replaced and ``pulumi up`` reopens it. A local file, not
the state: reading the stack's resources back from the backend costs the whole state (0.5 s at 2,000 nodes), this
costs a file and a few /proc reads. Everything here is plain data.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import socket
import stat
from dataclasses import dataclass
from pathlib import Path

RECORD_VERSION = "1"


@dataclass(frozen=True)
class TunnelRecord:
    """What the open script (tunnel.sh) recorded about one attempt to open the tunnel."""

    host: str
    """uname -n of the machine that opened it, for messages."""
    machine: str
    """machine_id(): a hash of /etc/machine-id, so no machine's identifier is written to state."""
    boot: str
    """/proc/sys/kernel/random/boot_id when it was opened: a pid means nothing after a restart."""
    socket: str
    """Its control socket (its -S argument)."""
    trigger: str
    """The Command's trigger when it was opened: the triggers to keep while it runs."""
    pid: int | None
    """The ssh master's pid; None when the attempt failed."""
    start: str | None
    """The ssh master's start time (/proc/PID/stat field 22): with the pid, one process for the whole boot."""
    failed: str | None
    """Why the attempt failed (ssh's message went to the Command's stderr); None when ssh runs."""


@dataclass(frozen=True)
class MachineIdentity:
    """This machine and boot, as the open and close scripts compute them."""

    machine: str
    boot: str


def machine_hash(machine_id: str) -> str:
    """What tunnel.sh's machine_id prints for the same /etc/machine-id content."""
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
    """The record in a Command's stdout (or the file beside the socket), or None when it is not one."""
    fields: dict[str, str] = {}
    for line in stdout.splitlines():
        key, sep, value = line.partition("=")
        if sep and key not in fields:
            fields[key] = value
    try:
        if fields["kthw-tunnel"] != RECORD_VERSION:
            return None
        failed = fields.get("failed")
        return TunnelRecord(
            host=fields["host"], machine=fields["machine"], boot=fields["boot"], socket=fields["socket"],
            trigger=fields["trigger"], failed=failed,
            pid=None if failed else int(fields["pid"]), start=None if failed else fields["start"],
        )
    except (KeyError, ValueError):
        return None


def read_local_record(directory: str) -> str | None:
    """The record kept in this stack's tunnel directory on this machine, or None."""
    try:
        return (Path(directory) / "record").read_text()
    except OSError:
        return None


def start_time(pid: int, proc: Path = Path("/proc")) -> str | None:
    """When process ``pid`` started (field 22 of /proc/PID/stat, in clock ticks since boot): with the boot id, what
    tells this process from a later one with the same pid. None when there is no such process."""
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
    if record.pid is None or start_time(record.pid, proc) != record.start:
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


def down_reason(text: str | None, here: MachineIdentity, proc: Path = Path("/proc")) -> str | None:
    """Why the recorded tunnel is not open on this machine, in words for the user; None while it is."""
    record = None if text is None else parse_record(text)
    if record is None:
        return "no tunnel of this stack is recorded on this machine"
    if record.machine != here.machine:
        return f"it was opened on another machine ({record.host}), not on this one"
    if record.boot != here.boot:
        return "this machine has restarted since it was opened"
    if record.failed is not None:
        return "the last `pulumi up` could not open it"
    if not is_recorded_ssh(record, proc):
        return f"its ssh process (pid {record.pid}) has exited"
    if not _is_socket(record.socket):
        return f"its control socket {record.socket} is gone"
    return None


def tunnel_trigger(text: str | None, reason: str | None, host: str | None = None) -> str:
    """The Command's trigger: the recorded one while the tunnel is open (no change), else a new tunnel's, which
    says where and why and carries a random name, so it never equals the one in the state."""
    record = None if text is None else parse_record(text)
    if reason is None and record is not None and record.trigger:
        return record.trigger
    return f"tunnel {secrets.token_hex(3)} on {host or socket.gethostname()}: opened because {reason}"


def this_run_s_attempt(stdout: str, trigger: str) -> TunnelRecord | None:
    """The record in the Command's stdout when it is of the tunnel this run asked for (opened with ``trigger``);
    None for a record the engine handed back without running the Command, or no record at all."""
    record = parse_record(stdout)
    return record if record is not None and record.trigger == trigger else None


def opened(stdout: str, trigger: str) -> bool:
    """Whether the Command's stdout records a running tunnel opened with ``trigger`` (not a failed attempt, and not
    a tunnel of an earlier run that this run did not open)."""
    record = this_run_s_attempt(stdout, trigger)
    return record is not None and record.failed is None
