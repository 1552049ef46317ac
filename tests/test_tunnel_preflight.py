"""What the tunnel needs of this machine, checked at program start: ssh on PATH and a state directory that can be
made (with tunnel.manage), a tunnel.localPort ssh can listen on and keep; the kernel rules the warnings follow, read
from the kernel itself; and the program stopping, or warning, before it registers anything."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
import pytest

from components.tunnel.local_port import (
    PortSettings,
    local_port_warnings,
    port_ranges,
    read_port_settings,
    suggested_port,
)
from components.tunnel.preflight import SSH_MISSING, host_problems
from components.tunnel.socket_directory import unwritable_reason
from tests.helpers import mock_program
from tests.helpers.host_faults import path_without

LINUX_DEFAULTS = PortSettings()
SSH_DIRECTORY = str(Path(shutil.which("ssh") or "/usr/bin/ssh").parent)

# --- tunnel.localPort -------------------------------------------------------------------------------------------


def test_the_default_port_draws_no_warning() -> None:
    assert local_port_warnings(6443, LINUX_DEFAULTS) == []


def test_a_port_below_the_unprivileged_start_is_warned_about_with_a_port_that_would_do() -> None:
    assert local_port_warnings(443, LINUX_DEFAULTS) == [
        "kthw:tunnel.localPort: 443 is below 1024 (net.ipv4.ip_unprivileged_port_start), where only root may listen: "
        "ssh run by any other user cannot bind it; choose another port: pulumi config set --path tunnel.localPort 6443"
    ]


def test_a_kernel_that_lets_everyone_bind_low_ports_draws_no_warning_for_them() -> None:
    assert local_port_warnings(443, PortSettings(unprivileged_start=0)) == []


def test_a_port_in_the_ephemeral_range_is_warned_about_with_a_port_that_would_do() -> None:
    assert local_port_warnings(40000, LINUX_DEFAULTS) == [
        "kthw:tunnel.localPort: 40000 is in the kernel's ephemeral port range 32768-60999 "
        "(net.ipv4.ip_local_port_range), from which outgoing connections take their local port: one may hold it when "
        "the tunnel opens; choose another port: pulumi config set --path tunnel.localPort 6443; or add it to "
        "net.ipv4.ip_local_reserved_ports"
    ]


@pytest.mark.parametrize("port", [32767, 61000])
def test_the_ports_just_outside_the_ephemeral_range_draw_no_warning(port: int) -> None:
    assert local_port_warnings(port, LINUX_DEFAULTS) == []


def test_a_reserved_port_in_the_ephemeral_range_draws_no_warning() -> None:
    kernel = PortSettings(reserved=port_ranges("40000-40010,50000"))
    assert local_port_warnings(40005, kernel) == [] and local_port_warnings(50000, kernel) == []
    assert len(local_port_warnings(40011, kernel)) == 1


@pytest.mark.parametrize("port", [999, 40000])
def test_a_port_from_secret_config_is_not_shown(port: int) -> None:
    (warning,) = local_port_warnings(port, LINUX_DEFAULTS, hide_values=True)
    assert warning.startswith("kthw:tunnel.localPort: is ")
    assert str(port) not in warning and warning.endswith(("tunnel.localPort 6443", "ip_local_reserved_ports"))


@pytest.mark.parametrize(
    ("kernel", "port"),
    [
        (LINUX_DEFAULTS, 6443),
        (PortSettings(ephemeral=range(5000, 7001)), 4999),
        (PortSettings(unprivileged_start=5000, ephemeral=range(5000, 7001)), 7001),
    ],
    ids=["the default", "below the ephemeral range", "above it"],
)
def test_the_suggested_port_is_one_the_kernel_leaves_alone(kernel: PortSettings, port: int) -> None:
    assert suggested_port(kernel) == port
    assert local_port_warnings(port, kernel) == []


def test_reserved_port_lists_are_read_as_the_kernel_writes_them() -> None:
    assert port_ranges("") == ()
    assert port_ranges("8000-8010,9000\n") == (range(8000, 8011), range(9000, 9001))


def test_port_settings_are_read_from_sysctl_files(tmp_path: Path) -> None:
    (tmp_path / "ip_unprivileged_port_start").write_text("80\n")
    (tmp_path / "ip_local_port_range").write_text("20000\t29999\n")
    (tmp_path / "ip_local_reserved_ports").write_text("22000-22001\n")
    assert read_port_settings(tmp_path) == PortSettings(80, range(20000, 30000), (range(22000, 22002),))


def test_settings_that_cannot_be_read_or_parsed_are_linux_s_defaults(tmp_path: Path) -> None:
    assert read_port_settings(tmp_path / "absent") == LINUX_DEFAULTS
    (tmp_path / "ip_local_port_range").write_text("many\n")
    assert read_port_settings(tmp_path) == LINUX_DEFAULTS


def test_outgoing_connections_take_their_local_port_from_the_ephemeral_range_the_warning_names() -> None:
    """The rule the ephemeral-range warning follows, checked against this machine's kernel: a connection made
    without bind gets a local port inside ip_local_port_range and outside ip_local_reserved_ports."""
    kernel = read_port_settings()
    with socket.create_server(("127.0.0.1", 0)) as server:
        clients = [socket.create_connection(server.getsockname()) for _ in range(20)]
        try:
            local_ports = [client.getsockname()[1] for client in clients]
        finally:
            for client in clients:
                client.close()
    assert all(kernel.picked_for_connections(port) for port in local_ports), (local_ports, kernel)


# --- what this machine needs for a managed tunnel -------------------------------------------------------------


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A directory with a path short enough for a control socket below it (pytest's tmp_path is too long)."""
    with tempfile.TemporaryDirectory(prefix="kthw-") as directory:
        yield Path(directory)


def test_a_machine_with_ssh_and_a_writable_state_home_needs_nothing(short_tmp: Path) -> None:
    env = {"PATH": SSH_DIRECTORY, "XDG_STATE_HOME": str(short_tmp / "state")}
    assert host_problems(env, "/src/kthw", "organization/kthw/dev") == []


def test_ssh_missing_from_path_is_named_with_the_key_and_the_fix(short_tmp: Path) -> None:
    env = {"PATH": path_without("ssh", SSH_DIRECTORY, short_tmp / "links"), "XDG_STATE_HOME": str(short_tmp)}
    assert host_problems(env, "/src/kthw", "organization/kthw/dev") == [SSH_MISSING]
    assert SSH_MISSING.startswith("kthw:tunnel.manage: ") and "install the OpenSSH client" in SSH_MISSING


def test_every_problem_is_named_at_once(short_tmp: Path) -> None:
    blocker = short_tmp / "s"
    blocker.write_text("")  # a file where the state home's directories would go
    env = {"PATH": path_without("ssh", SSH_DIRECTORY, short_tmp / "links"), "XDG_STATE_HOME": str(blocker)}
    ssh, directory = host_problems(env, "/src/kthw", "organization/kthw/dev")
    assert ssh == SSH_MISSING
    assert directory.startswith(f"kthw:tunnel.manage: the managed tunnel keeps its control socket in {blocker}/kthw/")
    assert directory.endswith(f"which cannot be made ({blocker} is not a directory); set XDG_STATE_HOME to a writable "
                              "directory (the default is ~/.local/state)")


def test_no_state_home_at_all_is_named_with_the_fix() -> None:
    (problem,) = host_problems({"PATH": SSH_DIRECTORY}, "/src/kthw", "organization/kthw/dev")
    assert problem.startswith("kthw:tunnel.manage: the managed tunnel keeps its control socket under $XDG_STATE_HOME")
    assert problem.endswith("set XDG_STATE_HOME to a writable directory")


def test_a_directory_that_exists_or_can_be_made_is_writable(tmp_path: Path) -> None:
    assert unwritable_reason(str(tmp_path)) is None
    assert unwritable_reason(str(tmp_path / "a" / "b")) is None
    assert not (tmp_path / "a").exists(), "nothing is made"


def test_the_nearest_existing_part_of_the_path_decides(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    (tmp_path / "linked").symlink_to(tmp_path)
    assert unwritable_reason(str(tmp_path / "file" / "kthw")) == f"{tmp_path / 'file'} is not a directory"
    assert unwritable_reason(str(tmp_path / "dangling" / "kthw")) == f"{tmp_path / 'dangling'} is a symbolic link to " \
        "nothing"
    assert unwritable_reason(str(tmp_path / "linked" / "kthw")) is None
    read_only = tmp_path / "ro"
    read_only.mkdir()
    assert unwritable_reason(str(read_only / "a" / "b"), writable=lambda path: path != read_only) == \
        f"{read_only} is not writable"


# --- the program: checked at start, before any resource ------------------------------------------------------


ProgramOutcome = tuple[mock_program.ProgramRun | None, list[Any], Exception | None]


def run_with(tunnel: dict[str, Any], **options: Any) -> ProgramOutcome:
    """The program under mocks with ``tunnel`` config: its run (None when it stopped), every resource it registered,
    and the error it stopped with."""
    registered: list[Any] = []
    original = mock_program.RecordingMocks.new_resource

    def spy(self: mock_program.RecordingMocks, args: Any) -> Any:
        registered.append(args)
        return original(self, args)

    with mock.patch.object(mock_program.RecordingMocks, "new_resource", spy):
        try:
            return mock_program.run_program({**mock_program.DEV_CONFIG, "tunnel": tunnel}, **options), registered, None
        except pulumi.RunError as error:
            return None, registered, error


def test_a_managed_tunnel_on_a_machine_without_ssh_stops_the_program_before_any_resource(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", path_without("ssh", os.environ["PATH"], tmp_path / "links"))
    run, registered, error = run_with({"manage": True})
    assert (run, registered, str(error)) == (None, [], SSH_MISSING)
    run, _, error = run_with({"manage": False})
    assert error is None and run is not None and "tunnelCommand" in run.outputs


@pytest.mark.parametrize("preview", [True, False], ids=["preview", "up"])
def test_a_local_port_ssh_may_not_get_is_warned_about_at_preview_and_up(
    caplog: pytest.LogCaptureFixture, preview: bool
) -> None:
    run, _, error = run_with({"localPort": 443}, preview=preview)
    assert error is None and run is not None
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert [warning for warning in warnings if warning.startswith("kthw:tunnel.localPort: 443 is below")] != []


@pytest.mark.parametrize("secret_key", ["tunnel", "loadBalancer"])
def test_the_warning_about_a_secret_tunnel_config_shows_no_port(
    caplog: pytest.LogCaptureFixture, secret_key: str
) -> None:
    run_with({"localPort": 999}, secret_keys=(secret_key,))
    (warning,) = [record.getMessage() for record in caplog.records
                  if record.getMessage().startswith("kthw:tunnel.localPort")]
    assert "999" not in warning and warning.startswith("kthw:tunnel.localPort: is below 1024")
