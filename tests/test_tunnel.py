"""The tunnel's commands: the seed's exact ssh line and the documented way to run it (through the real ssh client),
and the managed tunnel's open and close, run by /bin/sh as pulumi-command runs them, against a stand-in ssh that
records its arguments and starts a real background process named ssh holding a real control socket."""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pytest

from components.tunnel.command import interpreter, tunnel_command
from components.tunnel.component import ApiTunnel, TunnelError, fail_unless_opened
from components.tunnel.options import LoadBalancer, TunnelOptions, parse_tunnel
from components.tunnel.preflight import SSH_MISSING
from components.tunnel.record import (
    MachineIdentity,
    TunnelRecord,
    down_reason,
    is_recorded_ssh,
    machine_hash,
    opened,
    parse_record,
    read_local_record,
    start_time,
    this_machine,
    tunnel_trigger,
)
from components.tunnel.socket_directory import TunnelDirectoryError, tunnel_directory
from tests.helpers.host_faults import bound_by_mode_bits, path_without
from tests.helpers.named_process import sleeping_as

TUTORIAL_LB = LoadBalancer(address="172.31.108.99", user="cloud_user")
HOSTILE_PATH = "/tmp/known;touch${IFS}PWNED`id`$(id)&|"
REPO = Path(__file__).resolve().parent.parent
TRIGGER = "tunnel 0a1b2c on laptop: opened because no tunnel of this stack is recorded on this machine"
ACCEPTED_HOSTILE_PATH = "/tmp/known;touch`id`(id)&|<>*?{}"
"""Shell syntax that settings accept in a path ('$' is refused there: ssh expands ${...} itself)."""

# The stand-in ssh: `-M` starts a background process whose argv[0] is "ssh" and whose command line carries the
# control socket, bound for real; `-O check` answers like ssh ("Master running (pid=N)\r"); `-O exit` stops it.
FAKE_SSH = r"""#!/bin/bash
printf '%s\n' "$@" >> "$SSH_ARGV_LOG"; echo --- >> "$SSH_ARGV_LOG"
if [ -n "${SSH_FAIL:-}" ]; then echo "bind [127.0.0.1]:6443: Address already in use" >&2; exit 255; fi
sock= op=
while [ $# -gt 0 ]; do case "$1" in -S) sock=$2; shift ;; -O) op=$2; shift ;; esac; shift; done
case "$op" in
check)
  [ -z "${SSH_CHECK_FAIL:-}" ] || { echo "Control socket connect($sock): Connection refused" >&2; exit 255; }
  [ -S "$sock" ] && [ -f "$sock.pid" ] || { echo "Control socket connect($sock): No such file" >&2; exit 255; }
  printf 'Master running (pid=%s)\r\n' "$(cat "$sock.pid")" >&2 ;;
exit) kill "$(cat "$sock.pid")" ;;
*)
  serve='import socket, sys, time; s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[2]); s.listen(); time.sleep(600)'
  (exec -a ssh "$FAKE_SSH_PYTHON" -c "$serve" -S "$sock" </dev/null >/dev/null 2>&1) &
  echo $! > "$sock.pid"
  for _ in $(seq 100); do [ -S "$sock" ] && exit 0; sleep 0.05; done
  exit 1 ;;
esac
"""


@dataclass
class Shell:
    """/bin/sh running the managed tunnel's program with the stand-in ssh first on PATH."""

    env: dict[str, str]
    directory: Path
    log: Path
    cwd: Path

    def run(self, verb: str, tunnel: TunnelOptions | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        argv = [*interpreter(TUTORIAL_LB, tunnel or TunnelOptions(manage=True)), verb]
        env = {**self.env, "KTHW_TUNNEL_TRIGGER": TRIGGER, **extra}
        return subprocess.run(argv, env=env, cwd=self.cwd, capture_output=True, text=True, timeout=30)

    def calls(self) -> list[list[str]]:
        text = self.log.read_text() if self.log.exists() else ""
        return [call.strip("\n").split("\n") for call in text.split("---\n") if call.strip()]

    def open(self, tunnel: TunnelOptions | None = None) -> str:
        opened = self.run("open", tunnel)
        assert opened.returncode == 0, opened.stderr
        return opened.stdout


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[Shell]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ssh = bin_dir / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(ssh.stat().st_mode | stat.S_IXUSR)
    directory = tmp_path / "state" / "kthw" / "0123456789ab"
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "SSH_ARGV_LOG": str(tmp_path / "argv"),
           "KTHW_TUNNEL_DIR": str(directory), "FAKE_SSH_PYTHON": sys.executable}
    yield Shell(env, directory, tmp_path / "argv", tmp_path)
    for pid_file in tmp_path.rglob("control.pid"):
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_file.read_text()), signal.SIGKILL)


def wait_gone(pid: int | None) -> bool:
    assert pid is not None
    for _ in range(100):
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()[0]
        except (OSError, IndexError):
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


# --- the command a person runs ------------------------------------------------------------------------------------


def test_tutorial_command_is_reproduced_exactly() -> None:
    assert tunnel_command(TUTORIAL_LB, TunnelOptions()) == "ssh -N -L 6443:localhost:6443 cloud_user@172.31.108.99"


def test_options_are_added_in_order_and_quoted() -> None:
    lb = LoadBalancer(address="lb.example.com", user="ops", ssh_port=2222, api_port=8443)
    tunnel = parse_tunnel({"localPort": 16443, "identityFile": "~/.ssh/id_kthw",
                           "knownHostsFile": ACCEPTED_HOSTILE_PATH, "strictHostKeyChecking": "accept-new"})
    assert shlex.split(tunnel_command(lb, tunnel)) == [
        "ssh", "-N", "-L", "16443:localhost:8443", "-p", "2222", "-i", "~/.ssh/id_kthw", "-o", "IdentitiesOnly=yes",
        "-o", f"UserKnownHostsFile={ACCEPTED_HOSTILE_PATH}", "-o", "StrictHostKeyChecking=accept-new",
        "ops@lb.example.com",
    ]


def documented_line() -> str:
    """The README's line that runs tunnelCommand, without its trailing ``&``."""
    code_lines, in_code = [], False
    for text in (REPO / "README.md").read_text().splitlines():
        if text.startswith("```"):
            in_code = not in_code
        elif in_code:
            code_lines.append(text)
    (line,) = [text for text in code_lines if "pulumi stack output tunnelCommand" in text]
    command = line.split("#")[0].strip()
    assert command.endswith("&")
    return command.removesuffix("&").strip()


@pytest.mark.parametrize("identity_in_home", [True, False], ids=["tilde", "absolute"])
def test_the_documented_line_hands_ssh_exactly_the_configured_values(tmp_path: Path, identity_in_home: bool) -> None:
    """The README's line, run by bash with ``pulumi stack output`` answering tunnelCommand, reaches the real ssh
    client (``-G`` prints the configuration it resolved): quotes removed, ``~`` expanded by ssh as in a shell."""
    home = Path(pwd.getpwuid(os.getuid()).pw_dir)  # ssh expands ~ from the password database
    key = tmp_path / "keys" / "id_kthw"
    key.parent.mkdir()
    key.write_text("not a key\n")
    identity = f"~/{os.path.relpath(key, home)}" if identity_in_home else str(key)
    tunnel = parse_tunnel({"localPort": 16443, "identityFile": identity, "knownHostsFile": "~/.ssh/kthw_hosts",
                           "strictHostKeyChecking": "accept-new"})
    lb = LoadBalancer(address="lb.example.com", user="ops", ssh_port=2222)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "pulumi").write_text(f"#!/bin/sh\nprintf '%s\\n' {shlex.quote(tunnel_command(lb, tunnel))}\n")
    # ssh as a person's shell finds it, but asked only to print its resolved configuration.
    (bin_dir / "ssh").write_text('#!/bin/sh\nexec /usr/bin/ssh -G "$@"\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    result = subprocess.run(["bash", "-c", documented_line()], cwd=tmp_path, capture_output=True, text=True,
                            env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(home)}, timeout=30, check=False)
    assert result.returncode == 0, result.stderr
    resolved = [line.split(" ", 1) for line in result.stdout.splitlines()]
    settings = {name: value for name, value in resolved if name != "identityfile"}
    expanded = f"{home}/{os.path.relpath(key, home)}" if identity_in_home else str(key)
    assert [value for name, value in resolved if name == "identityfile"] == [expanded]
    assert settings["userknownhostsfile"] == f"{home}/.ssh/kthw_hosts"
    assert settings["localforward"] == "16443 [localhost]:6443"
    assert (settings["user"], settings["hostname"], settings["port"]) == ("ops", "lb.example.com", "2222")
    assert settings["stricthostkeychecking"] == "accept-new"


# --- the managed tunnel's open and close ---------------------------------------------------------------------------


def test_open_starts_ssh_in_the_background_and_records_it(shell: Shell) -> None:
    tunnel = TunnelOptions(local_port=16443, known_hosts_file=HOSTILE_PATH, manage=True)
    stdout = shell.open(tunnel)
    record = parse_record(stdout)
    assert record is not None
    assert record.socket == f"{shell.directory}/control"
    assert stat.S_IMODE(shell.directory.stat().st_mode) == 0o700
    (argv, check) = shell.calls()
    assert argv == [
        "-f", "-N", "-M", "-S", f"{shell.directory}/control",
        "-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=10", "-o", "BatchMode=yes",
        "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=3", "-L", "127.0.0.1:16443:localhost:6443",
        "-o", f"UserKnownHostsFile={HOSTILE_PATH}", "-o", "StrictHostKeyChecking=yes",
        "cloud_user@172.31.108.99",
    ]
    assert check == ["-S", f"{shell.directory}/control", "-O", "check", "kthw-tunnel"]
    assert not list(shell.cwd.glob("PWNED*"))
    # What the shell recorded is what the program recognises as open, on this machine.
    assert record.machine == this_machine().machine and record.boot == this_machine().boot
    assert is_recorded_ssh(record)
    assert down_reason(stdout, this_machine()) is None
    # The same record is kept beside the socket: the next preview keeps the trigger it was opened with.
    assert read_local_record(str(shell.directory)) == stdout
    assert record.trigger == TRIGGER and tunnel_trigger(stdout, None) == TRIGGER


def test_open_failure_prints_ssh_s_message_and_nothing_else(shell: Shell) -> None:
    result = shell.run("open", SSH_FAIL="1")
    # open records the failed attempt and succeeds, so the engine saves the outputs; the program then fails.
    assert result.returncode == 0
    assert result.stderr == "bind [127.0.0.1]:6443: Address already in use\n"
    record = parse_record(result.stdout)
    assert record is not None and (record.failed, record.pid) == ("ssh exited with status 255", None)
    assert sorted(path.name for path in shell.directory.iterdir()) == ["record"]
    assert down_reason(result.stdout, this_machine()) == "the last `pulumi up` could not open it"
    with pytest.raises(TunnelError) as error:
        fail_unless_opened(result.stdout.rstrip("\n"), result.stderr.rstrip("\n"), TRIGGER)
    assert str(error.value) == "bind [127.0.0.1]:6443: Address already in use"
    closed = shell.run("close", PULUMI_COMMAND_STDOUT=result.stdout)
    assert (closed.returncode, closed.stderr, len(shell.calls())) == (0, "", 1)
    assert list(shell.directory.iterdir()) == []


def assert_recorded_failure(result: subprocess.CompletedProcess[str], why: str, message: str) -> TunnelRecord:
    """open succeeded (so the engine saves every output) with a record of the failed attempt, and the program's
    check fails with the script's one message."""
    assert result.returncode == 0, result.stderr
    assert result.stderr == f"{message}\n"
    record = parse_record(result.stdout)
    assert record is not None and (record.failed, record.pid, record.trigger) == (why, None, TRIGGER)
    assert not opened(result.stdout, TRIGGER)
    with pytest.raises(TunnelError) as error:
        fail_unless_opened(result.stdout, result.stderr, TRIGGER)
    assert str(error.value) == message
    return record


def test_open_without_ssh_on_path_records_the_failure_and_says_what_to_install(shell: Shell, tmp_path: Path) -> None:
    no_ssh = path_without("ssh", "/usr/bin:/bin", tmp_path / "links")
    result = shell.run("open", PATH=no_ssh)
    message = ("kthw:tunnel.manage: the managed tunnel runs ssh, which is not on PATH; install the OpenSSH client or "
               "put its directory on PATH, or set tunnel.manage to false")
    assert_recorded_failure(result, "ssh is not on PATH", message)
    # Worded as the program's check at its start words it (that adds where Debian has the client).
    assert SSH_MISSING.split(";")[0] == message.split(";")[0]
    # Kept beside the socket too: the next preview says the last `pulumi up` could not open it.
    kept = read_local_record(str(shell.directory))
    assert down_reason(kept, this_machine()) == "the last `pulumi up` could not open it"
    assert shell.calls() == []


@pytest.mark.parametrize("blocked", ["read-only", "a file"])
def test_open_with_a_directory_it_cannot_make_records_the_failure_and_names_xdg_state_home(
    shell: Shell, tmp_path: Path, blocked: str
) -> None:
    home = tmp_path / "home"
    if blocked == "read-only":
        home.mkdir(mode=0o555)
    else:
        home.write_text("")
    directory = home / ".local" / "state" / "kthw" / "0123456789ab"
    argv = [*bound_by_mode_bits(), *interpreter(TUTORIAL_LB, TunnelOptions(manage=True)), "open"]
    env = {**shell.env, "KTHW_TUNNEL_DIR": str(directory), "KTHW_TUNNEL_TRIGGER": TRIGGER}
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=30)
    assert_recorded_failure(result, "its directory cannot be written", "kthw:tunnel.manage: the managed tunnel keeps "
                            f"its control socket in {directory}, which cannot be made or written; set XDG_STATE_HOME "
                            "to a writable directory")
    assert shell.calls() == [] and not directory.exists()


def test_open_without_a_directory_records_the_failure_and_writes_no_file(shell: Shell) -> None:
    result = shell.run("open", KTHW_TUNNEL_DIR="")
    record = assert_recorded_failure(result, "no directory for the control socket", "kthw: KTHW_TUNNEL_DIR is not set")
    assert record.socket == "/control" and not Path("/record").exists()


def test_open_whose_control_socket_does_not_answer_stops_ssh_and_records_the_failure(shell: Shell) -> None:
    result = shell.run("open", SSH_CHECK_FAIL="1")
    socket_path = shell.directory / "control"
    assert_recorded_failure(result, "its control socket does not answer", "kthw: ssh started but its control socket "
                            f"does not answer: Control socket connect({socket_path}): Connection refused")
    assert [call[-2:] for call in shell.calls()[1:]] == [["check", "kthw-tunnel"], ["exit", "kthw-tunnel"]]
    assert wait_gone(int((shell.directory / "control.pid").read_text()))


# --- what the program makes of the Command's record ----------------------------------------------------------------


def test_only_a_record_of_this_run_s_trigger_tells_whether_the_tunnel_opened(shell: Shell) -> None:
    stdout = shell.open()
    assert opened(stdout, TRIGGER)
    fail_unless_opened(stdout, "", TRIGGER)
    # Under `pulumi refresh --run-program` the engine runs no Command and hands back the state's record: no news of
    # the tunnel this run asked for (a new trigger, since it is not open), whether that record says open or failed.
    failed = stdout.replace("pid=", "failed=ssh exited with status 255\npid=")
    for stale in (stdout, failed, "", "not a record"):
        assert not opened(stale, "tunnel 9f8e7d on laptop: opened because its ssh process (pid 1) has exited")
        fail_unless_opened(stale, "bind [127.0.0.1]:6443: Address already in use", "tunnel 9f8e7d on laptop")


def test_a_failed_attempt_that_said_nothing_fails_with_its_recorded_reason(shell: Shell) -> None:
    failed = shell.run("open", SSH_FAIL="1").stdout
    with pytest.raises(TunnelError, match=r"^the managed tunnel could not be opened \(ssh exited with status 255\)$"):
        fail_unless_opened(failed, "\n", TRIGGER)


def test_close_stops_the_recorded_ssh_and_removes_its_socket(shell: Shell) -> None:
    stdout = shell.open()
    record = parse_record(stdout)
    assert record is not None
    closed = shell.run("close", PULUMI_COMMAND_STDOUT=stdout.rstrip("\n"))
    assert closed.returncode == 0, closed.stderr
    assert closed.stderr == ""
    assert wait_gone(record.pid)
    assert down_reason(stdout, this_machine()) == f"its ssh process (pid {record.pid}) has exited"
    assert sorted(path.name for path in shell.directory.iterdir()) == ["control.pid"]


def test_close_after_a_cleaner_removed_the_socket_still_stops_ssh(shell: Shell) -> None:
    stdout = shell.open()
    record = parse_record(stdout)
    assert record is not None
    os.unlink(record.socket)
    assert down_reason(stdout, this_machine()) == f"its control socket {record.socket} is gone"
    closed = shell.run("close", PULUMI_COMMAND_STDOUT=stdout)
    assert closed.returncode == 0, closed.stderr
    assert wait_gone(record.pid)


def test_close_leaves_a_tunnel_of_another_machine_or_boot_alone(shell: Shell) -> None:
    stdout = shell.open()
    record = parse_record(stdout)
    assert record is not None
    other_machine = stdout.replace(f"machine={record.machine}", "machine=0000000000000000").replace(
        f"host={record.host}", "host=laptop-7")
    other_boot = stdout.replace(f"boot={record.boot}", "boot=00000000-0000-0000-0000-000000000000")
    closed = shell.run("close", PULUMI_COMMAND_STDOUT=other_machine)
    assert (closed.returncode, closed.stderr) == (
        0, "kthw: the tunnel was opened on another machine (laptop-7); nothing to close here\n")
    assert down_reason(other_machine, this_machine()) == "it was opened on another machine (laptop-7), not on this one"
    closed = shell.run("close", PULUMI_COMMAND_STDOUT=other_boot)
    assert "this machine has restarted since the tunnel was opened" in closed.stderr
    assert down_reason(other_boot, this_machine()) == "this machine has restarted since it was opened"
    assert is_recorded_ssh(record) and (shell.directory / "record").exists()


def test_close_never_stops_a_process_the_record_does_not_describe(shell: Shell, tmp_path: Path) -> None:
    stdout = shell.open()
    record = parse_record(stdout)
    assert record is not None
    # A process that reuses the recorded pid's place: not an ssh with our socket, or not started at that time.
    stranger = subprocess.Popen(["sleep", "60"])
    try:
        start = start_time(stranger.pid)
        for forged in (
            stdout.replace(f"pid={record.pid}", f"pid={stranger.pid}").replace(f"start={record.start}",
                                                                                 f"start={start}"),
            stdout.replace(f"start={record.start}", "start=1"),
            stdout.replace(f"socket={record.socket}", f"socket={tmp_path}/kthw/other/control"),
        ):
            closed = shell.run("close", PULUMI_COMMAND_STDOUT=forged)
            assert closed.returncode == 0
            assert "the tunnel was not running" in closed.stderr
        assert stranger.poll() is None and is_recorded_ssh(record)
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.parametrize(
    ("argv0", "socket_argument", "counts"),
    [
        pytest.param("ssh", "control", True, id="ssh-with-the-socket"),
        pytest.param("/usr/bin/ssh", "control", True, id="ssh-by-path-with-the-socket"),
        pytest.param("python3", "control", False, id="not-ssh-with-the-socket"),
        pytest.param("sshd", "control", False, id="sshd-with-the-socket"),
        pytest.param("/usr/bin/ssh-agent", "control", False, id="ssh-agent-with-the-socket"),
        pytest.param("/usr/bin/autossh", "control", False, id="autossh-with-the-socket"),
        pytest.param("ssh", None, False, id="ssh-without-a-socket"),
        pytest.param("ssh", "control.old", False, id="ssh-with-another-socket"),
    ],
)
def test_only_an_ssh_with_the_recorded_socket_is_the_recorded_tunnel(
    shell: Shell, argv0: str, socket_argument: str | None, counts: bool
) -> None:
    """A process with the recorded pid and start time is the tunnel only if it is an ssh (argv[0] ``ssh`` or
    ``.../ssh``) with the recorded control socket as one of its arguments: the program's check (open or not) and
    the close script's (stop it or leave it) agree."""
    shell.directory.mkdir(parents=True)
    control = f"{shell.directory}/control"
    extra = [] if socket_argument is None else ["-S", f"{shell.directory}/{socket_argument}"]
    process = sleeping_as(argv0, *extra)
    try:
        here = this_machine()
        recorded = "\n".join([
            "kthw-tunnel=1", "host=laptop", f"machine={here.machine}", f"boot={here.boot}", f"socket={control}",
            f"trigger={TRIGGER}", f"pid={process.pid}", f"start={start_time(process.pid)}"]) + "\n"
        record = parse_record(recorded)
        assert record is not None
        assert is_recorded_ssh(record) is counts
        closed = shell.run("close", PULUMI_COMMAND_STDOUT=recorded)
        assert closed.returncode == 0
        if counts:
            assert closed.stderr == ""
            assert process.wait(timeout=10) == -signal.SIGTERM
        else:
            assert closed.stderr == (f"kthw: the tunnel was not running (ssh process {process.pid} has exited); "
                                     "nothing to close\n")
            assert process.poll() is None
    finally:
        process.kill()
        process.wait()


@pytest.mark.parametrize("recorded", ["", "/", "/home", "../kthw", "kthw-tunnel=1\npid=1\nsocket=/etc/passwd"])
def test_close_with_no_valid_record_touches_nothing(shell: Shell, recorded: str) -> None:
    closed = shell.run("close", PULUMI_COMMAND_STDOUT=recorded)
    assert closed.returncode == 0
    assert "nothing to close" in closed.stderr
    assert shell.calls() == []


def test_open_closes_a_tunnel_this_stack_left_open_here(shell: Shell) -> None:
    first = parse_record(shell.open())
    second = parse_record(shell.open())
    assert first is not None and second is not None
    assert wait_gone(first.pid)
    assert is_recorded_ssh(second)


def test_unknown_verb_is_refused(shell: Shell) -> None:
    result = shell.run("reopen")
    assert (result.returncode, result.stderr) == (2, "kthw: usage: open | close\n")


class CommandMocks(pulumi.runtime.Mocks):
    """Answers for the managed tunnel's Command: ``stdout(trigger)`` is its stdout, given the trigger it was asked to
    open with (a real create records that one; `pulumi refresh --run-program` hands back the state's)."""

    def __init__(self, stdout: Callable[[str], str], stderr: str = "") -> None:
        self.stdout = stdout
        self.stderr = stderr

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        if args.typ == "command:local:Command":
            state.update(stdout=self.stdout(args.inputs["environment"]["KTHW_TUNNEL_TRIGGER"]), stderr=self.stderr)
        return f"{args.name}-id", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, []


def run_api_tunnel(mocks: CommandMocks) -> tuple[bool, Exception | None]:
    """An ApiTunnel with tunnel.manage under ``mocks`` (and a state home of its own, short enough for a socket path):
    whether it says the tunnel opened, and its check's error."""
    seen: dict[str, bool] = {}

    @pulumi.runtime.test  # type: ignore[untyped-decorator]
    def program() -> Any:
        tunnel = ApiTunnel("api-tunnel", load_balancer=TUTORIAL_LB, tunnel=TunnelOptions(manage=True))
        assert tunnel.check is not None
        return pulumi.Output.all(tunnel.opened, tunnel.check).apply(lambda values: seen.update(opened=values[0]))

    pulumi.runtime.set_mocks(mocks, project="kthw", stack="dev", organization="organization")
    with tempfile.TemporaryDirectory(prefix="kthw-") as state_home, \
            mock.patch.dict(os.environ, {"XDG_STATE_HOME": state_home}):
        try:
            program()
        except TunnelError as error:
            return False, error
    return seen["opened"], None


def record_of(trigger: str, *extra: str) -> str:
    return "\n".join(["kthw-tunnel=1", "host=laptop", "machine=0123456789abcdef", "boot=b", "pid=4711", "start=1",
                      "socket=/home/ops/.local/state/kthw/0123456789ab/control", f"trigger={trigger}", *extra])


def test_the_tunnel_an_update_opens_is_what_verify_waits_for() -> None:
    assert run_api_tunnel(CommandMocks(record_of)) == (True, None)


def test_an_attempt_that_failed_in_this_run_fails_the_update_with_its_message() -> None:
    mocks = CommandMocks(lambda trigger: record_of(trigger, "failed=ssh exited with status 255"),
                         stderr="ssh: connect to host 172.31.108.99 port 22: Connection refused\n")
    _, error = run_api_tunnel(mocks)
    assert str(error) == "ssh: connect to host 172.31.108.99 port 22: Connection refused"


@pytest.mark.parametrize("recorded", ["open", "failed"])
def test_a_record_the_engine_hands_back_without_running_the_command_is_no_tunnel_and_no_error(recorded: str) -> None:
    """`pulumi refresh --run-program` runs the program as an update (is_dry_run() is False) but runs no Command: its
    outputs are the state's, a record of an earlier trigger. verify must not read the cluster through it, and the
    update's check must not fail on it."""
    extra = ["failed=ssh exited with status 255"] if recorded == "failed" else []
    stale = record_of("tunnel 0a1b2c on laptop: opened because no tunnel of this stack is recorded on this machine",
                      *extra)
    assert run_api_tunnel(CommandMocks(lambda trigger: stale, stderr="old message")) == (False, None)


# --- where the control socket lives ------------------------------------------------------------------------------


def test_control_directory_is_under_the_state_home_and_differs_per_stack() -> None:
    first = tunnel_directory({"XDG_STATE_HOME": "/var/state"}, "/src/kthw", "organization/kthw/dev")
    assert first.startswith("/var/state/kthw/") and len(first.rsplit("/", 1)[1]) == 12
    assert first != tunnel_directory({"XDG_STATE_HOME": "/var/state"}, "/src/kthw", "organization/kthw/prod")
    assert tunnel_directory({"HOME": "/home/ops", "XDG_STATE_HOME": "relative"}, "/src/kthw", "o/k/dev").startswith(
        "/home/ops/.local/state/kthw/")


def test_a_control_socket_path_ssh_cannot_bind_is_refused_with_the_fix() -> None:
    with pytest.raises(TunnelDirectoryError, match="set XDG_STATE_HOME to a shorter directory"):
        tunnel_directory({"HOME": "/home/" + "x" * 60}, "/src/kthw", "o/k/dev")
    with pytest.raises(TunnelDirectoryError, match="neither is set"):
        tunnel_directory({}, "/src/kthw", "o/k/dev")


def test_no_record_reads_as_not_open() -> None:
    here = MachineIdentity("0" * 16, "boot")
    assert down_reason(None, here) == "no tunnel of this stack is recorded on this machine"
    assert down_reason("/tmp/kthw-tunnel.abcdefgh", here) == "no tunnel of this stack is recorded on this machine"


# --- triggers ----------------------------------------------------------------------------------------------------


def test_an_open_tunnel_keeps_the_trigger_it_was_opened_with(shell: Shell) -> None:
    stdout = shell.open()
    assert tunnel_trigger(stdout, down_reason(stdout, this_machine())) == TRIGGER


def test_a_tunnel_that_is_not_open_gets_a_new_trigger_naming_the_machine_and_the_reason(shell: Shell) -> None:
    stdout = shell.open()
    reason = "its ssh process (pid 99) has exited"
    first, second = tunnel_trigger(stdout, reason, "laptop-3"), tunnel_trigger(stdout, reason, "laptop-3")
    assert first.startswith("tunnel ") and first.endswith(" on laptop-3: opened because " + reason)
    assert len({first, second, TRIGGER}) == 3  # never the recorded one, so the Command is replaced


# --- this machine, as the open and close scripts see it ---------------------------------------------------------


@pytest.mark.parametrize(("files", "machine_id", "boot"), [
    ({"etc/machine-id": "aaa\n", "var/lib/dbus/machine-id": "bbb\n", "proc/sys/kernel/random/boot_id": "b1\n"},
     "aaa", "b1"),
    ({"var/lib/dbus/machine-id": "bbb\n", "proc/sys/kernel/random/boot_id": "b1\n"}, "bbb", "b1"),
    ({"etc/machine-id": "aaa\n"}, "aaa", "unknown"),
    ({}, None, "unknown"),
])
def test_this_machine_falls_back_as_the_scripts_do(tmp_path: Path, files: dict[str, str], machine_id: str | None,
                                                   boot: str) -> None:
    """tunnel.sh's machine_id: /etc/machine-id, else /var/lib/dbus/machine-id, else `uname -n`; boot_id: the
    kernel's, else "unknown"."""
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    expected = machine_hash(machine_id if machine_id is not None else os.uname().nodename)
    assert this_machine(tmp_path) == MachineIdentity(expected, boot)


def test_down_reason_reads_the_processes_of_the_proc_it_is_given(tmp_path: Path) -> None:
    # A pid no process can have here (above the kernel's pid_max limit): only the given /proc knows it.
    pid = 2**22 + 1
    socket_path = tmp_path / "kthw" / "0123456789ab" / "control"
    socket_path.parent.mkdir(parents=True)
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(socket_path))
    proc = tmp_path / "proc"
    (proc / str(pid)).mkdir(parents=True)
    (proc / str(pid) / "stat").write_text(f"{pid} (ssh) S " + " ".join(["0"] * 18) + " 4242 0\n")
    (proc / str(pid) / "cmdline").write_bytes(b"ssh\0-S\0" + str(socket_path).encode() + b"\0")
    here = MachineIdentity("0123456789abcdef", "b1")
    recorded = "\n".join(["kthw-tunnel=1", "host=laptop", f"machine={here.machine}", f"boot={here.boot}",
                          f"socket={socket_path}", "trigger=t", f"pid={pid}", "start=4242"])
    try:
        assert down_reason(recorded, here, proc) is None
        assert down_reason(recorded, here) == f"its ssh process (pid {pid}) has exited"
    finally:
        listener.close()


def test_a_new_trigger_names_the_tunnel_with_six_hex_digits() -> None:
    # The README's example: "tunnel 81d0e4 on laptop: opened because ...".
    trigger = tunnel_trigger(None, "no tunnel of this stack is recorded on this machine", "laptop")
    assert re.fullmatch(r"tunnel [0-9a-f]{6} on laptop: opened because no tunnel of this stack is recorded on this "
                        r"machine", trigger)


def test_without_a_state_or_home_directory_the_message_says_where_the_socket_lives() -> None:
    with pytest.raises(TunnelDirectoryError) as caught:
        tunnel_directory({"HOME": "relative"}, "/src/kthw", "o/k/dev")
    assert str(caught.value) == (
        "kthw:tunnel.manage: the managed tunnel keeps its control socket under $XDG_STATE_HOME or $HOME/.local/state, "
        "and neither is set to an absolute path; set XDG_STATE_HOME to a writable directory")
