"""The whole program under Pulumi mocks: outputs, secrets, parenting, TLS inputs, CA modes, tunnel, verify, and
bad config stopping the program before any resource is registered."""

from __future__ import annotations

import copy
import re
from typing import Any

import pulumi
import pytest

from components.network.tables import nodes_of, routes_of
from tests.helpers.mock_program import DEV_CONFIG, config_with, run_program
from tests.helpers.pki import make_ca

COMPONENT_PARENTS = {
    "kthw:index:ClusterNetwork": "pulumi:pulumi:Stack",
    "kthw:index:AdminCredentials": "pulumi:pulumi:Stack",
    "kthw:index:ApiTunnel": "pulumi:pulumi:Stack",
    "kthw:index:Kubeconfig": "pulumi:pulumi:Stack",
    "kthw:index:ClusterVerification": "kthw:index:ClusterNetwork",
}
"""Each component and the type of its parent (a URN names the parent's type alone): verify is part of the network."""
CONTRACT_OUTPUTS = {
    "kubeconfig", "tunnelCommand", "apiServerUrl", "clusterName", "contextName", "adminUser", "caCertPem",
    "adminCertPem", "adminKeyPem", "apiServerCertSans", "network", "caCertNotAfter", "adminCertNotAfter",
    "kubeconfigSummary", "secretConfigFingerprints", "caSource",
}


def test_dev_stack_exports_every_output_of_the_contract() -> None:
    run = run_program(DEV_CONFIG)
    assert set(run.outputs) == CONTRACT_OUTPUTS
    assert run.outputs["tunnelCommand"] == "ssh -N -L 6443:localhost:6443 cloud_user@172.31.108.99"
    assert run.outputs["apiServerUrl"] == "https://localhost:6443"
    assert run.outputs["clusterName"] == run.outputs["contextName"] == "kubernetes-the-hard-way"
    assert run.outputs["adminUser"] == "admin"
    assert "172.31.108.99" in run.outputs["apiServerCertSans"]
    assert "10.32.0.1" in run.outputs["apiServerCertSans"]
    network = run.outputs["network"]
    assert network["kubernetesServiceIp"] == "10.32.0.1"
    assert network["clusterDnsIp"] == "10.32.0.10"
    assert nodes_of(network)["worker-0"] == {"address": "172.31.101.60", "podCidrs": ["10.200.0.0/24"]}
    assert nodes_of(network)["worker-1"] == {"address": "172.31.104.202", "podCidrs": ["10.200.1.0/24"]}
    assert routes_of(network)["worker-1"] == [{"destination": "10.200.1.0/24", "via": "172.31.104.202"}]


def test_kubeconfig_and_private_key_are_secret_and_nothing_else_is() -> None:
    run = run_program(DEV_CONFIG)
    assert {name for name, secret in run.secret.items() if secret} == {"kubeconfig", "adminKeyPem"}


def test_kubeconfig_embeds_the_credentials_of_the_stack() -> None:
    import base64

    import yaml

    run = run_program(DEV_CONFIG)
    config = yaml.safe_load(run.outputs["kubeconfig"])
    user = config["users"][0]["user"]
    assert base64.b64decode(user["client-key-data"]).decode() == run.outputs["adminKeyPem"]
    assert base64.b64decode(user["client-certificate-data"]).decode() == run.outputs["adminCertPem"]
    cluster = config["clusters"][0]["cluster"]
    assert base64.b64decode(cluster["certificate-authority-data"]).decode() == run.outputs["caCertPem"]
    assert cluster["server"] == "https://localhost:6443"


def test_every_resource_is_parented_to_a_component() -> None:
    run = run_program(config_with(tunnel={"manage": True}, verify=True))
    for urn in run.urns:
        qualified_type = urn.split("::")[2]
        own_type = qualified_type.split("$")[-1]
        if own_type in COMPONENT_PARENTS:
            assert qualified_type == f"{COMPONENT_PARENTS[own_type]}${own_type}", urn
        else:
            parent_type = qualified_type.split("$")[-2]
            assert parent_type in COMPONENT_PARENTS, urn


def test_admin_certificate_subject_and_allowed_uses() -> None:
    run = run_program(DEV_CONFIG)
    (request,) = run.of_type("tls:index/certRequest:CertRequest")
    assert request.inputs["subject"] == {"commonName": "admin", "organization": "system:masters"}
    admin_cert = run.of_type("tls:index/locallySignedCert:LocallySignedCert")[0]
    assert sorted(admin_cert.inputs["allowedUses"]) == ["client_auth", "digital_signature", "key_encipherment"]
    assert admin_cert.inputs["validityPeriodHours"] == 8760
    assert admin_cert.inputs["earlyRenewalHours"] == 720


def test_generated_ca_is_a_ca_and_signs_the_admin_certificate() -> None:
    run = run_program(DEV_CONFIG)
    (ca,) = run.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert ca.inputs["isCaCertificate"] is True
    assert ca.inputs["subject"] == {
        "commonName": "Kubernetes", "organization": "Kubernetes", "organizationalUnit": "CA",
    }
    assert "cert_signing" in ca.inputs["allowedUses"]
    (admin_cert,) = run.of_type("tls:index/locallySignedCert:LocallySignedCert")
    assert admin_cert.inputs["caCertPem"] == run.outputs["caCertPem"]
    keys = run.of_type("tls:index/privateKey:PrivateKey")
    assert [key.inputs for key in keys] == [{"algorithm": "RSA", "rsaBits": 2048}] * 2


def test_ecdsa_keys_follow_pki_config() -> None:
    run = run_program(config_with(pki={"algorithm": "ECDSA", "ecdsaCurve": "P384"}))
    keys = run.of_type("tls:index/privateKey:PrivateKey")
    assert [key.inputs for key in keys] == [{"algorithm": "ECDSA", "ecdsaCurve": "P384"}] * 2


def test_existing_ca_signs_and_no_ca_resource_is_created() -> None:
    ca = make_ca()
    ca_cert, ca_key = ca.cert, ca.key
    run = run_program(config_with(caCertPem=ca_cert, caKeyPem=ca_key), secret_keys=("caKeyPem",))
    assert run.of_type("tls:index/selfSignedCert:SelfSignedCert") == []
    assert len(run.of_type("tls:index/privateKey:PrivateKey")) == 1
    (admin_cert,) = run.of_type("tls:index/locallySignedCert:LocallySignedCert")
    assert admin_cert.inputs["caCertPem"] == ca_cert
    secret_marker = "4dabf18193072939515e22adb298388d"  # how the Pulumi wire format marks a secret value
    assert admin_cert.inputs["caPrivateKeyPem"] == {secret_marker: "1b47061264138c4ac30d75fd1eb44270", "value": ca_key}
    assert run.outputs["caCertPem"] == ca_cert
    assert all(ca_key not in str(value) for value in run.outputs.values())


def test_unmanaged_tunnel_registers_no_command() -> None:
    run = run_program(DEV_CONFIG)
    assert run.of_type("command:local:Command") == []


def test_managed_tunnel_is_one_command_that_opens_and_closes_ssh() -> None:
    run = run_program(config_with(tunnel={"manage": True, "localPort": 16443, "knownHostsFile": "/etc/kthw/hosts"}))
    (command,) = run.of_type("command:local:Command")
    assert (command.inputs["create"], command.inputs["delete"]) == ("open", "close")
    shell, dash_c, script, name = command.inputs["interpreter"]
    assert (shell, dash_c, name) == ("/bin/sh", "-c", "kthw-tunnel")
    assert 'ssh -f -N -M -S "$1" -o ExitOnForwardFailure=yes' in script
    assert "-L 127.0.0.1:16443:localhost:6443" in script
    assert "-o StrictHostKeyChecking=yes" in script and "-o UserKnownHostsFile=/etc/kthw/hosts" in script
    assert "BatchMode=yes" in script and "ServerAliveInterval=15" in script
    assert "PULUMI_COMMAND_STDOUT" in script
    environment = command.inputs["environment"]
    assert environment["KTHW_TUNNEL_DIR"].endswith(tuple("0123456789abcdef"))
    (trigger,) = command.inputs["triggers"]
    assert trigger == environment["KTHW_TUNNEL_TRIGGER"]
    assert trigger.endswith(": opened because no tunnel of this stack is recorded on this machine")
    assert run.outputs["apiServerUrl"] == "https://localhost:16443"


def test_verify_reads_the_kubernetes_service_and_nodes_with_the_kubeconfig_and_registers_nothing() -> None:
    listed: list[str] = []

    def list_nodes(kubeconfig: str) -> dict[str, list[str]]:
        listed.append(kubeconfig)
        return {"worker-0": ["10.200.0.0/24"], "controller-0": []}

    run = run_program(config_with(verify=True), list_nodes=list_nodes)
    assert [typ for typ in run.types() if typ.startswith(("kubernetes:", "pulumi:providers:kubernetes"))] == []
    assert run.outputs["verification"] == {"kubernetesServiceIp": "10.32.0.1", "registeredNodeCount": 1,
                                           "registeredNodeTable": "NAME\nworker-0\n"}
    assert listed == [run.outputs["kubeconfig"]]
    assert run.secret["verification"] is False


def test_verify_names_the_missing_service_cluster_ip_range_flag() -> None:
    with pytest.raises(pulumi.RunError) as error:
        run_program(config_with(verify=True), service_cluster_ip="10.0.0.1")
    message = str(error.value)
    assert "--service-cluster-ip-range=10.32.0.0/24" in message
    assert "10.0.0.1" in message and "expects 10.32.0.1" in message


def test_verify_keeps_the_pod_cidr_a_registered_node_carries() -> None:
    # The cluster, not the state, is the truth: the network output records what the node carries.
    run = run_program(config_with(verify=True), list_nodes=lambda kubeconfig: {"worker-1": ["10.200.7.0/24"]})
    assert nodes_of(run.outputs["network"])["worker-1"]["podCidrs"] == ["10.200.7.0/24"]
    assert nodes_of(run.outputs["network"])["worker-0"]["podCidrs"] == ["10.200.0.0/24"]
    assert run.outputs["verification"] == {"kubernetesServiceIp": "10.32.0.1", "registeredNodeCount": 1,
                                           "registeredNodeTable": "NAME\nworker-1\n"}


def test_verify_refuses_a_config_the_cluster_contradicts() -> None:
    first = run_program(config_with())
    moved = config_with(verify=True, network={"clusterCidr": "10.200.0.0/16", "serviceCidr": "10.32.0.0/24",
                                              "nodeCidrMaskSize": 25})
    expected = re.escape("invalid config kthw:network.nodeCidrMaskSize: 25 is not the size of the podCIDRs")
    with pytest.raises(pulumi.RunError, match=expected):
        run_program(moved, last_outputs={}, list_nodes=lambda kubeconfig: {
            name: entry["podCidrs"] for name, entry in nodes_of(first.outputs["network"]).items()})


def test_verify_lets_the_cluster_settle_a_state_that_disagrees_with_the_config(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The state was recorded without verify under a wrong clusterCidr; the config now has the cluster's.
    wrong = run_program(config_with(network={"clusterCidr": "10.100.0.0/16", "serviceCidr": "10.32.0.0/24"}))
    fixed = config_with(verify=True)
    carried = {"worker-0": ["10.200.1.0/24"], "worker-1": ["10.200.0.0/24"]}
    run_program(fixed, last_outputs=wrong.outputs, preview=True)
    assert any(record.getMessage().startswith("the config contradicts the pod CIDRs the stack's state records "
                                              "(network.clusterCidr); with verify") for record in caplog.records)
    run = run_program(fixed, last_outputs=wrong.outputs, list_nodes=lambda kubeconfig: carried)
    assert {name: node["podCidrs"] for name, node in nodes_of(run.outputs["network"]).items()} == carried


def test_a_secret_node_list_s_state_refusal_names_keys_only() -> None:
    first = run_program(config_with())
    pinned = config_with(nodes=[{"name": "worker-0", "address": "172.31.101.60", "podCidr": "10.200.1.0/24"},
                                {"name": "worker-1", "address": "172.31.104.202"}])
    with pytest.raises(pulumi.RunError) as error:
        run_program(pinned, secret_keys=("nodes",), last_outputs=first.outputs)
    message = str(error.value)
    assert message.startswith("invalid config kthw:nodes[0].podCidr: would move the pod CIDR the last deployment")
    assert "worker" not in message and "10.200" not in message


def test_verify_does_not_read_the_cluster_in_preview() -> None:
    def unreachable(kubeconfig: str) -> dict[str, list[str]]:
        raise AssertionError("preview must not contact the cluster")

    run_program(config_with(verify=True), preview=True, service_cluster_ip="10.0.0.1", list_nodes=unreachable)


def test_previous_deployment_keeps_each_nodes_block() -> None:
    first = run_program(config_with(nodes=[
        {"name": "worker-0", "address": "172.31.101.60"},
        {"name": "worker-1", "address": "172.31.104.202"},
        {"name": "worker-2", "address": "172.31.104.203"},
    ]))
    second = run_program(
        config_with(nodes=[
            {"name": "worker-2", "address": "172.31.104.203"},
            {"name": "worker-0", "address": "172.31.101.60"},
            {"name": "worker-3", "address": "172.31.104.204"},
        ]),
        last_outputs=first.outputs,
    )
    (read,) = second.mocks.calls
    assert (read.token, read.args) == ("pulumi:pulumi:readStackOutputs", {"name": "organization/kthw/dev"})
    nodes = nodes_of(second.outputs["network"])
    assert nodes["worker-0"]["podCidrs"] == ["10.200.0.0/24"]
    assert nodes["worker-2"]["podCidrs"] == ["10.200.2.0/24"]
    assert nodes["worker-3"]["podCidrs"] == ["10.200.1.0/24"]


def test_pin_on_a_block_another_node_holds_is_refused() -> None:
    first = run_program(DEV_CONFIG)
    nodes = [
        {"name": "worker-0", "address": "172.31.101.60"},
        {"name": "worker-1", "address": "172.31.104.202"},
        {"name": "worker-2", "address": "172.31.104.203", "podCidr": "10.200.1.0/24"},
    ]
    with pytest.raises(pulumi.RunError, match=r"kthw:nodes\[2\]\.podCidr: 10.200.1.0/24 is already assigned"):
        run_program(config_with(nodes=nodes), last_outputs=first.outputs)


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"network": {"serviceCidr": "10.32.0.5/24"}}, "network.serviceCidr"),
        ({"nodes": [{"name": "Worker_0", "address": "172.31.101.60"}]}, "nodes[0].name"),
        ({"loadBalancer": {"address": "172.31.108.99", "user": "cloud_user;id"}}, "loadBalancer.user"),
        ({"tunnel": {"strictHostKeyChecking": "no"}}, "tunnel.strictHostKeyChecking"),
        ({"caCertPem": "-----BEGIN CERTIFICATE-----\n"}, "caKeyPem"),
        ({"clustername": "lab"}, "clustername"),
        ({"tunnel.localPort": "7000"}, "tunnel.localPort"),
        ({"adminUser": "a" * 65}, "adminUser"),
    ],
)
def test_bad_config_stops_before_any_resource(changes: dict[str, Any], key: str) -> None:
    from tests.helpers import mock_program

    recorded: list[Any] = []
    original = mock_program.RecordingMocks.new_resource

    def spy(self: mock_program.RecordingMocks, args: Any) -> Any:
        recorded.append(args)
        return original(self, args)

    from unittest import mock

    with mock.patch.object(mock_program.RecordingMocks, "new_resource", spy), pytest.raises(pulumi.RunError) as error:
        run_program(config_with(**changes))
    assert str(error.value).startswith(f"invalid config kthw:{key}: ")
    assert recorded == []


def test_missing_load_balancer_is_named() -> None:
    config = config_with()
    del config["loadBalancer"]
    with pytest.raises(pulumi.RunError, match=r"kthw:loadBalancer: is required"):
        run_program(config)


def test_every_problem_is_reported_in_one_run() -> None:
    with pytest.raises(pulumi.RunError) as error:
        run_program(config_with(clusterName="lab one", verify="maybe", tunnel={"knownHostsFile": "/dev/null"}))
    lines = str(error.value).splitlines()
    assert [line.split(": ")[0] for line in lines] == [
        "invalid config kthw:clusterName", "invalid config kthw:tunnel.knownHostsFile", "invalid config kthw:verify",
    ]


def test_an_absolute_load_balancer_name_is_a_san_without_its_dot() -> None:
    run = run_program(config_with(loadBalancer={"address": "lb.example.com.", "user": "cloud_user"}))
    assert "lb.example.com" in run.outputs["apiServerCertSans"]
    assert run.outputs["tunnelCommand"].endswith("cloud_user@lb.example.com.")


def test_a_block_handed_on_in_one_update_is_one_warning(caplog: pytest.LogCaptureFixture) -> None:
    # A clone without worker-1 adds worker-2: the plan gives it worker-1's block, which the cluster may not.
    first = run_program(DEV_CONFIG)
    stale = config_with(nodes=[{"name": "worker-0", "address": "172.31.101.60"},
                               {"name": "worker-2", "address": "172.31.104.203"}])
    run = run_program(stale, last_outputs=first.outputs, preview=True)
    assert nodes_of(run.outputs["network"])["worker-2"]["podCidrs"] == ["10.200.1.0/24"]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    handovers = [message for message in warnings if message.startswith("the plan hands ")]
    assert len(handovers) == 1
    assert "10.200.1.0/24 from worker-1 to worker-2" in handovers[0]


def test_a_handover_of_a_secret_node_list_names_nothing(caplog: pytest.LogCaptureFixture) -> None:
    first = run_program(DEV_CONFIG, secret_keys=("nodes",))
    stale = config_with(nodes=[{"name": "worker-0", "address": "172.31.101.60"},
                               {"name": "secret-new", "address": "172.31.104.203"}])
    run_program(stale, secret_keys=("nodes",), last_outputs=first.outputs)
    (handover,) = [record.getMessage() for record in caplog.records if record.getMessage().startswith("the plan ")]
    assert "(not named: nodes or network is secret config)" in handover
    assert "secret-new" not in handover and "worker" not in handover and "10.200" not in handover


def test_the_program_refuses_a_shared_block_naming_no_secret_node() -> None:
    # The last deployment is read before the settings: what is secret is known first, so no node is named.
    first = run_program(DEV_CONFIG)
    damaged = copy.deepcopy(first.outputs)
    damaged["network"]["nodeTable"] = damaged["network"]["nodeTable"].replace(
        "worker-1 172.31.104.202 10.200.1.0/24", "worker-1 172.31.104.202 10.200.0.0/24")
    with pytest.raises(pulumi.RunError, match="gives one pod CIDR to two nodes") as caught:
        run_program(DEV_CONFIG, secret_keys=("nodes",), last_outputs=damaged)
    assert "worker" not in str(caught.value) and "10.200" not in str(caught.value)
    with pytest.raises(pulumi.RunError) as named:
        run_program(DEV_CONFIG, last_outputs=damaged)
    assert "nodeTable worker-0 POD_CIDRS[0] and nodeTable worker-1 POD_CIDRS[0] are both 10.200.0.0/24" in str(
        named.value)


def test_a_family_added_to_a_deployed_stack_gives_only_new_nodes_its_blocks() -> None:
    first = run_program(DEV_CONFIG)
    dual = config_with(
        network={"clusterCidr": "10.200.0.0/16,fd00:10:244::/56", "serviceCidr": "10.32.0.0/24,fd00:10:96::/112"},
        nodes=[*DEV_CONFIG["nodes"], {"name": "worker-2", "address": "172.31.104.203,2001:db8::203"}],
    )
    network = run_program(dual, last_outputs=first.outputs).outputs["network"]
    assert {name: node["podCidrs"] for name, node in nodes_of(network).items()} == {
        "worker-0": ["10.200.0.0/24"], "worker-1": ["10.200.1.0/24"],
        "worker-2": ["10.200.2.0/24", "fd00:10:244::/64"]}
    assert routes_of(network)["worker-2"][1] == {"destination": "fd00:10:244::/64", "via": "2001:db8::203"}


def test_a_load_balancer_inside_the_service_range_stops_the_program() -> None:
    with pytest.raises(pulumi.RunError, match=r"^invalid config kthw:loadBalancer\.address: 10\.32\.0\.1 lies inside "
                                              r"10\.32\.0\.0/24"):
        run_program(config_with(loadBalancer={"address": "10.32.0.1", "user": "cloud_user"}))
