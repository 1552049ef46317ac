"""What the engine is told about each resource beyond its inputs (protection, ignored changes, replacement), which
keys sign what, and the names the README's procedures rely on: the whole program under Pulumi mocks."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pulumi
import pytest

from components.kubeconfig.render import render_kubeconfig
from components.pki.lifetimes import rfc3339
from components.tunnel.component import ApiTunnel, TunnelError
from components.tunnel.record import start_time, this_machine
from components.tunnel.socket_directory import tunnel_directory
from tests.helpers.mock_program import (
    DEV_CONFIG,
    MOCK_NOW,
    SECRET_SIGNATURE,
    fake_pem,
    real_private_key_pem,
    run_program,
    unwrap_secret,
)
from tests.helpers.named_process import sleeping_as


def test_the_generated_ca_is_protected_and_no_later_pki_change_reaches_it() -> None:
    # README "Certificates over time": a replacement or destroy stops at the CA; `pki` changes reach the admin key.
    run = run_program(DEV_CONFIG)
    ca_key, ca = run.requests["admin-ca-key"], run.requests["admin-ca"]
    assert ca_key.protect and set(ca_key.ignoreChanges) == {"algorithm", "rsaBits", "ecdsaCurve"}
    # Its earlyRenewalHours is always 0 and not ignored: a CA recorded with another window takes 0 in place.
    assert ca.protect and set(ca.ignoreChanges) == {"validityPeriodHours", "subject", "allowedUses"}
    for name in ("admin-admin-key", "admin-admin-csr", "admin-admin-cert"):
        assert not run.requests[name].protect and list(run.requests[name].ignoreChanges) == []


def test_the_generated_ca_key_has_the_urn_the_readme_replaces_to_rotate_it() -> None:
    run = run_program(DEV_CONFIG)
    assert "urn:pulumi:dev::kthw::kthw:index:AdminCredentials$tls:index/privateKey:PrivateKey::admin-ca-key" in run.urns
    assert "urn:pulumi:dev::kthw::kthw:index:AdminCredentials$tls:index/selfSignedCert:SelfSignedCert::admin-ca" in (
        run.urns)


def test_each_key_signs_what_it_should() -> None:
    run = run_program(DEV_CONFIG)
    by_name = {args.name: args for args in run.mocks.registered}
    assert unwrap_secret(by_name["admin-ca"].inputs["privateKeyPem"]) == real_private_key_pem("admin-ca-key")
    assert unwrap_secret(by_name["admin-admin-csr"].inputs["privateKeyPem"]) == real_private_key_pem("admin-admin-key")
    assert real_private_key_pem("admin-ca-key") != real_private_key_pem("admin-admin-key")
    certificate = by_name["admin-admin-cert"].inputs
    assert unwrap_secret(certificate["certRequestPem"]) == fake_pem("CERTIFICATE REQUEST", "admin-admin-csr")
    assert unwrap_secret(certificate["caCertPem"]) == fake_pem("CERTIFICATE", "admin-ca")
    assert certificate["caPrivateKeyPem"][SECRET_SIGNATURE]
    assert unwrap_secret(certificate["caPrivateKeyPem"]) == real_private_key_pem("admin-ca-key")
    assert run.outputs["adminKeyPem"] == real_private_key_pem("admin-admin-key")


def test_the_expiry_outputs_are_each_certificate_s_own() -> None:
    run = run_program(DEV_CONFIG)
    assert run.outputs["adminCertNotAfter"] == rfc3339(MOCK_NOW + timedelta(hours=8760))
    assert run.outputs["caCertNotAfter"] == rfc3339(MOCK_NOW + timedelta(hours=87600))


def test_the_managed_tunnel_closes_before_its_replacement_opens() -> None:
    # The new ssh binds the same local port; any change (a new trigger, another port) is a new tunnel.
    run = run_program({**DEV_CONFIG, "tunnel": {"manage": True}})
    command = run.requests["api-tunnel-ssh"]
    assert command.deleteBeforeReplace and "*" in command.replaceOnChanges
    (registered,) = run.of_type("command:local:Command")
    assert registered.inputs["logging"] == "none"  # ssh's message is the update's error, not also a log


def tunnel_run(record: Callable[[Path], str]) -> tuple[list[str], str]:
    """The warnings and the Command's trigger of a managed-tunnel run, with ``record`` kept on this machine."""
    with mock.patch.object(pulumi.log, "warn") as warn:
        run = run_program({**DEV_CONFIG, "tunnel": {"manage": True}}, tunnel_record=record)
    (command,) = run.of_type("command:local:Command")
    (trigger,) = command.inputs["triggers"]
    assert all(isinstance(call.args[1], ApiTunnel) for call in warn.call_args_list)  # shown under the tunnel
    return [call.args[0] for call in warn.call_args_list], trigger


def record_of(directory: Path, pid: int) -> str:
    here = this_machine()
    return "\n".join([
        "kthw-tunnel=1", "host=laptop", f"machine={here.machine}", f"boot={here.boot}", f"socket={directory}/control",
        "trigger=tunnel 0a1b2c on laptop: opened", f"pid={pid}", f"start={start_time(pid)}"]) + "\n"


def test_an_open_tunnel_keeps_its_trigger_and_previews_quietly() -> None:
    processes: list[subprocess.Popen[bytes]] = []
    listeners: list[socket.socket] = []

    def running_ssh(directory: Path) -> str:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(str(directory / "control"))
        listeners.append(listener)
        processes.append(sleeping_as("ssh", "-S", f"{directory}/control"))
        return record_of(directory, processes[0].pid)

    try:
        warnings, trigger = tunnel_run(running_ssh)
    finally:
        for process in processes:
            process.kill()
            process.wait()
        for listener in listeners:
            listener.close()
    assert (warnings, trigger) == ([], "tunnel 0a1b2c on laptop: opened")


def test_a_recorded_tunnel_that_died_warns_and_gets_a_new_trigger() -> None:
    exited = subprocess.Popen(["true"])
    exited.wait()
    warnings, trigger = tunnel_run(lambda directory: record_of(directory, exited.pid))
    reason = f"its ssh process (pid {exited.pid}) has exited"
    assert warnings == [f"the managed tunnel is not open: {reason}; `pulumi up` opens a new one"]
    assert trigger.startswith("tunnel ") and trigger.endswith(f": opened because {reason}")


def test_the_tunnel_directory_is_this_project_s_and_stack_s() -> None:
    run = run_program({**DEV_CONFIG, "tunnel": {"manage": True}})
    (command,) = run.of_type("command:local:Command")
    expected = tunnel_directory({"XDG_STATE_HOME": "/state"}, str(Path.cwd()), "organization/kthw/dev")
    assert command.inputs["environment"]["KTHW_TUNNEL_DIR"].rsplit("/", 1)[1] == expected.rsplit("/", 1)[1]


def reader(read: list[str]) -> Callable[[str], dict[str, list[str]]]:
    """The mocked cluster's node list (empty), noting each kubeconfig it is read with."""
    def list_nodes(kubeconfig: str) -> dict[str, list[str]]:
        read.append(kubeconfig)
        return {}

    return list_nodes


def test_a_tunnel_that_could_not_open_fails_the_update_with_ssh_s_message_and_reads_no_cluster() -> None:
    read: list[str] = []
    with pytest.raises(TunnelError) as caught:
        run_program({**DEV_CONFIG, "tunnel": {"manage": True}, "verify": True},
                    tunnel_failure="ssh: connect to host lb port 22: Connection refused", list_nodes=reader(read))
    assert str(caught.value) == "ssh: connect to host lb port 22: Connection refused"
    assert read == []


def test_verify_reads_the_cluster_through_an_opened_managed_tunnel() -> None:
    read: list[str] = []
    run = run_program({**DEV_CONFIG, "tunnel": {"manage": True}, "verify": True},
                      list_nodes=reader(read))
    assert len(read) == 1 and run.outputs["verification"] is not None


def test_the_api_server_certificate_names_every_way_it_is_reached() -> None:
    run = run_program(DEV_CONFIG)
    assert run.outputs["apiServerCertSans"] == [
        "localhost", "127.0.0.1", "172.31.108.99", "10.32.0.1", "kubernetes", "kubernetes.default",
        "kubernetes.default.svc", "kubernetes.default.svc.cluster", "kubernetes.default.svc.cluster.local"]


def test_a_secret_admin_user_reaches_the_certificate_request_as_a_secret_and_its_certificate_stays_secret() -> None:
    run = run_program({**DEV_CONFIG, "adminUser": "ops"}, secret_keys=("adminUser",))
    by_name = {args.name: args for args in run.mocks.registered}
    subject = by_name["admin-admin-csr"].inputs["subject"]
    assert subject[SECRET_SIGNATURE]
    assert unwrap_secret(subject) == {"commonName": "ops", "organization": "system:masters"}
    assert "certRequestPem" in run.requests["admin-admin-csr"].additionalSecretOutputs
    assert "certPem" in run.requests["admin-admin-cert"].additionalSecretOutputs


def test_the_kubeconfig_is_rendered_from_the_stack_s_own_names_server_and_credentials() -> None:
    run = run_program({**DEV_CONFIG, "clusterName": "lab", "adminUser": "ops", "tunnel": {"localPort": 16443}})
    outputs = run.outputs
    assert (outputs["clusterName"], outputs["adminUser"], outputs["apiServerUrl"]) == (
        "lab", "ops", "https://localhost:16443")
    assert outputs["kubeconfig"] == render_kubeconfig(
        cluster_name="lab", user="ops", server="https://localhost:16443", ca_cert_pem=outputs["caCertPem"],
        client_cert_pem=outputs["adminCertPem"], client_key_pem=outputs["adminKeyPem"])
