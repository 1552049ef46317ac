"""The tunnel's commands: the seed's exact ssh line, quoting of every config value, and the managed tunnel's
create and delete scripts run by /bin/sh against a stand-in ssh that records its arguments."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
from pathlib import Path

import pytest

from components.settings import LoadBalancer, TunnelOptions, parse_tunnel
from components.tunnel import close_script, open_script, tunnel_command

TUTORIAL_LB = LoadBalancer(address="172.31.108.99", user="cloud_user")
HOSTILE_PATH = "/tmp/known;touch${IFS}PWNED`id`$(id)&|"
ACCEPTED_HOSTILE_PATH = "/tmp/known;touch`id`(id)&|<>*?{}"
"""Shell syntax that settings accept in a path ('$' is refused there: ssh expands ${...} itself)."""

FAKE_SSH = """#!/bin/sh
for arg in "$@"; do printf '%s\\n' "$arg"; done >> "$SSH_ARGV_LOG"
echo --- >> "$SSH_ARGV_LOG"
if [ -n "${SSH_FAIL:-}" ]; then echo "bind [127.0.0.1]:6443: Address already in use" >&2; exit 255; fi
exit 0
"""


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


@pytest.fixture
def fake_ssh(tmp_path: Path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    ssh = bin_dir / "ssh"
    ssh.write_text(FAKE_SSH)
    ssh.chmod(ssh.stat().st_mode | stat.S_IXUSR)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return {"PATH": f"{bin_dir}:/usr/bin:/bin", "SSH_ARGV_LOG": str(tmp_path / "argv"), "TMPDIR": str(tmp)}


def run_sh(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", "-c", script], env=env, cwd=cwd, capture_output=True, text=True, timeout=30)


def recorded_calls(env: dict[str, str]) -> list[list[str]]:
    text = Path(env["SSH_ARGV_LOG"]).read_text()
    return [call.strip("\n").split("\n") for call in text.split("---\n") if call.strip()]


def test_open_script_starts_ssh_in_the_background_with_a_private_control_socket(
    fake_ssh: dict[str, str], tmp_path: Path
) -> None:
    tunnel = TunnelOptions(local_port=16443, known_hosts_file=HOSTILE_PATH, manage=True)
    result = run_sh(open_script(TUTORIAL_LB, tunnel), fake_ssh, tmp_path)
    assert result.returncode == 0, result.stderr
    directory = Path(result.stdout.strip())
    assert directory.parent == Path(fake_ssh["TMPDIR"]) and directory.name.startswith("kthw-tunnel.")
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    (argv,) = recorded_calls(fake_ssh)
    assert argv == [
        "-f", "-N", "-M", "-S", f"{directory}/control",
        "-o", "ExitOnForwardFailure=yes", "-o", "ConnectTimeout=10", "-o", "BatchMode=yes",
        "-o", "ServerAliveInterval=30", "-L", "127.0.0.1:16443:localhost:6443",
        "-o", f"UserKnownHostsFile={HOSTILE_PATH}", "-o", "StrictHostKeyChecking=yes",
        "cloud_user@172.31.108.99",
    ]
    assert not list(tmp_path.glob("PWNED*"))


def test_open_script_reports_ssh_errors_and_leaves_nothing_behind(fake_ssh: dict[str, str], tmp_path: Path) -> None:
    result = run_sh(open_script(TUTORIAL_LB, TunnelOptions(manage=True)), {**fake_ssh, "SSH_FAIL": "1"}, tmp_path)
    assert result.returncode == 255
    assert "kthw: could not open the tunnel ssh -N -L 6443:localhost:6443 cloud_user@172.31.108.99" in result.stderr
    assert "Address already in use" in result.stderr
    assert result.stdout == ""
    assert list(Path(fake_ssh["TMPDIR"]).iterdir()) == []


def test_close_script_exits_the_control_master_and_removes_its_directory(
    fake_ssh: dict[str, str], tmp_path: Path
) -> None:
    opened = run_sh(open_script(TUTORIAL_LB, TunnelOptions(manage=True)), fake_ssh, tmp_path)
    directory = opened.stdout.strip()
    closed = run_sh(close_script(TUTORIAL_LB), {**fake_ssh, "PULUMI_COMMAND_STDOUT": directory}, tmp_path)
    assert closed.returncode == 0, closed.stderr
    assert recorded_calls(fake_ssh)[1] == ["-S", f"{directory}/control", "-O", "exit", "cloud_user@172.31.108.99"]
    assert not os.path.exists(directory)


def test_close_script_with_a_dead_tunnel_still_succeeds(fake_ssh: dict[str, str], tmp_path: Path) -> None:
    directory = Path(fake_ssh["TMPDIR"]) / "kthw-tunnel.deadbeef"
    directory.mkdir()
    env = {**fake_ssh, "PULUMI_COMMAND_STDOUT": str(directory), "PATH": "/usr/bin:/bin"}
    closed = run_sh(close_script(TUTORIAL_LB), env, tmp_path)
    assert closed.returncode == 0
    assert "not running" in closed.stderr
    assert not directory.exists()


@pytest.mark.parametrize("recorded", ["", "/", "/home", "../kthw"])
def test_close_script_never_removes_a_directory_it_did_not_make(
    fake_ssh: dict[str, str], tmp_path: Path, recorded: str
) -> None:
    closed = run_sh(close_script(TUTORIAL_LB), {**fake_ssh, "PULUMI_COMMAND_STDOUT": recorded}, tmp_path)
    assert closed.returncode == 0
    assert "nothing to close" in closed.stderr
    assert not Path(fake_ssh["SSH_ARGV_LOG"]).exists()
