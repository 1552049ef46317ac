"""The toolchain scripts: the plugin versions they build are the ones the Python SDKs ask for, long steps show
progress, and a failed step says where its log is."""

from __future__ import annotations

import json
import re
import subprocess
from importlib import resources
from pathlib import Path

import pytest

from tests.helpers.engine import script_constant

ROOT = Path(__file__).resolve().parent.parent
TOOLCHAIN = ROOT / "toolchain"


@pytest.mark.parametrize(
    ("package", "script", "constant"),
    [("pulumi_tls", "pulumi.sh", "TLS_VERSION"), ("pulumi_command", "pulumi.sh", "COMMAND_VERSION"),
     ("pulumi_kubernetes", "kubernetes.sh", "VERSION")],
)
def test_built_plugin_version_is_the_one_the_sdk_asks_for(package: str, script: str, constant: str) -> None:
    plugin = json.loads(resources.files(package).joinpath("pulumi-plugin.json").read_text())
    assert plugin["version"] == script_constant(constant, script)


def test_the_kubernetes_sdk_pin_is_the_plugin_the_toolchain_builds() -> None:
    """requirements.txt pins the SDK; toolchain/kubernetes.sh builds that version's commit and labels it so."""
    pin = re.search(r"^pulumi-kubernetes==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert pin and pin.group(1) == script_constant("VERSION", "kubernetes.sh")


def run_steps(*commands: str, heartbeat: int = 1) -> subprocess.CompletedProcess[str]:
    """Source toolchain/lib.sh and run each command as one step of ``run_step``."""
    steps = "; ".join(f"run_step {command}" for command in commands)
    script = f'KTHW_TOOL=test; . "{TOOLCHAIN}/lib.sh"; STEPS={len(commands)}; {steps}; echo finished'
    return subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "KTHW_HEARTBEAT": str(heartbeat), "HOME": "/tmp"})


def test_a_long_step_says_which_of_how_many_and_keeps_a_heartbeat(tmp_path: Path) -> None:
    result = run_steps(f"'quick one' 5 {tmp_path}/a.log true", f"'slow one' 120 {tmp_path}/b.log sleep 3")
    assert result.returncode == 0, result.stderr
    log = result.stderr
    assert "[test] step 1/2: quick one (usually ~5s on 2 cores" in log
    assert "[test] step 2/2: slow one (usually ~2m00s on 2 cores" in log
    assert re.search(r"step 2/2: slow one: still working, \d+s elapsed \(usually ~2m00s\)", log)
    assert re.search(r"step 2/2: slow one done in \d+s", log)
    assert result.stdout.strip() == "finished"


def test_a_failed_step_shows_its_log_and_stops(tmp_path: Path) -> None:
    result = run_steps(f"'broken' 5 {tmp_path}/c.log sh -c 'echo compiler says no; exit 3'", "'never' 5 x true")
    assert result.returncode == 1
    assert "compiler says no" in result.stderr
    failure = rf"error: step 1/2: broken failed \(exit 3\) after \d+s; whole log: {tmp_path}/c.log"
    assert re.search(failure, result.stderr)
    assert "never" not in result.stderr and "finished" not in result.stdout


def test_toolchain_scripts_embed_no_programs() -> None:
    """Go, Python and config files live in files of their own language, never in heredocs of the scripts."""
    heredoc = re.compile(r"(?<!<)<<-?\s*['\"]?\w+['\"]?\s*$", re.MULTILINE)
    for script in TOOLCHAIN.glob("*.sh"):
        assert not heredoc.search(script.read_text()), f"{script.name} writes a file from a heredoc"
