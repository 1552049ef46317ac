"""The pod network, node podCIDRs and DNS through the whole program under Pulumi mocks: which objects each mode puts
into the cluster, through which provider, what the plan says, and what is refused before any resource."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.mock_program import DEV_CONFIG, SECRET_SIGNATURE, ProgramRun, config_with, run_program

PROVIDER = "pulumi:providers:kubernetes"
DAEMON_SET = "kubernetes:apps/v1:DaemonSet"
NODE_PATCH = "kubernetes:core/v1:NodePatch"


def kubernetes_types(run: ProgramRun) -> list[str]:
    return [typ for typ in run.types() if typ.startswith("kubernetes:")]


def test_none_puts_nothing_into_the_cluster_and_needs_no_provider() -> None:
    run = run_program(DEV_CONFIG)
    assert kubernetes_types(run) == [] and PROVIDER not in run.types()
    assert run.outputs["network"]["podNetwork"]["name"] == "none"
    assert "--allocate-node-cidrs=true" in run.outputs["network"]["flags"]["kubeControllerManager"]


def test_weave_applies_its_objects_through_one_provider_with_a_constant_identifier() -> None:
    run = run_program(config_with(podNetwork="weave"))
    (provider,) = run.of_type(PROVIDER)
    assert provider.inputs["clusterIdentifier"] == "kthw"
    assert provider.inputs["kubeconfig"][SECRET_SIGNATURE], "the provider's kubeconfig holds the admin key"
    assert provider.inputs["enableServerSideApply"] in (True, "true")
    (daemon_set,) = run.of_type(DAEMON_SET)
    assert daemon_set.provider is not None and daemon_set.provider.startswith("urn:pulumi:dev::kthw::")
    env = {item["name"]: item.get("value") for item in
           daemon_set.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["IPALLOC_RANGE"] == "10.200.0.0/16"
    assert run.of_type(NODE_PATCH) == [], "Weave ignores node podCIDRs: none are applied"
    network = run.outputs["network"]
    assert network["podNetwork"] == {"name": "weave", "podAddressesFromNodePodCidrs": False, "routesNeeded": False,
                                     "ipallocRange": "10.200.0.0/16"}
    assert network["routeTable"] == "NODE DESTINATION VIA\n"
    assert "--allow-privileged=true" in network["flags"]["kubeApiserver"]


def test_flannel_applies_the_plan_s_pod_cidrs_to_every_node_and_turns_the_allocator_off() -> None:
    run = run_program(config_with(podNetwork="flannel"))
    patches = {args.inputs["metadata"]["name"]: args.inputs["spec"] for args in run.of_type(NODE_PATCH)}
    assert patches == {"worker-0": {"podCIDR": "10.200.0.0/24", "podCIDRs": ["10.200.0.0/24"]},
                       "worker-1": {"podCIDR": "10.200.1.0/24", "podCIDRs": ["10.200.1.0/24"]}}
    assert "--allocate-node-cidrs=false" in run.outputs["network"]["flags"]["kubeControllerManager"]
    (config_map,) = [args for args in run.of_type("kubernetes:core/v1:ConfigMap")
                     if args.inputs["metadata"]["name"] == "kube-flannel-cfg"]
    assert '"Network": "10.200.0.0/16"' in config_map.inputs["data"]["net-conf.json"]


def test_bridge_applies_node_pod_cidrs_and_gives_each_node_its_bridge_conf() -> None:
    run = run_program(config_with(podNetwork="bridge"))
    assert run.of_type(DAEMON_SET) == [] and len(run.of_type(NODE_PATCH)) == 2
    table = run.outputs["network"]["bridgeConfTable"].splitlines()
    assert table[0] == "NODE 10-BRIDGE.CONF" and table[1].startswith('worker-0 {"cniVersion":"1.0.0"')
    assert '"subnet":"10.200.0.0/24"' in table[1]


def test_coredns_serves_at_the_plan_s_dns_ip() -> None:
    run = run_program(config_with(dns="coredns"))
    (service,) = run.of_type("kubernetes:core/v1:Service")
    assert service.inputs["spec"]["clusterIP"] == run.outputs["network"]["clusterDnsIp"] == "10.32.0.10"
    assert run.outputs["network"]["kubeletConfiguration"]["clusterDNS"] == ["10.32.0.10"]


def test_every_object_carries_this_stack_s_annotation_and_skips_waits_when_asked() -> None:
    run = run_program(config_with(podNetwork="weave", dns="coredns", clusterObjects={"waitSeconds": 0}))
    objects = [args for args in run.mocks.registered if args.typ.startswith("kubernetes:")]
    assert objects and all(args.inputs["metadata"]["annotations"]["kthw.dev/stack"] == "organization/kthw/dev"
                           for args in objects)
    waiting = [args for args in objects if args.typ in (DAEMON_SET, "kubernetes:apps/v1:Deployment",
                                                         "kubernetes:core/v1:Service")]
    assert waiting and all(args.inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
                           for args in waiting)


def test_someone_else_s_object_stops_the_update_unless_adopted() -> None:
    existing: dict[str, dict[str, str]] = {"DaemonSet/kube-system/weave-net": {}}
    with pytest.raises(Exception, match="kthw does not take over someone else's objects"):
        run_program(config_with(podNetwork="weave"), existing_objects=existing)
    adopted = config_with(podNetwork="weave", clusterObjects={"adopt": ["DaemonSet/kube-system/weave-net"]})
    assert run_program(adopted, existing_objects=existing).of_type(DAEMON_SET)


def test_a_preview_of_an_unreachable_cluster_goes_on_from_the_config() -> None:
    run = run_program(config_with(podNetwork="weave"), preview=True, cluster_reachable=False)
    assert run.of_type(DAEMON_SET)


def test_an_update_of_an_unreachable_cluster_fails_naming_the_tunnel() -> None:
    with pytest.raises(Exception, match="the SSH tunnel to the API server is not open"):
        run_program(config_with(podNetwork="weave"), cluster_reachable=False)


@pytest.mark.parametrize(("config", "secret", "message"), [
    (config_with(podNetwork="weave", network={"clusterCidr": "10.200.0.0/16,fd00:10:244::/56",
                                              "serviceCidr": "10.32.0.0/24,fd00:10:96::/112"},
                 nodes=[{"name": "worker-0", "address": "172.31.101.60,2001:db8::60"}]), (), "IPv4 only"),
    (config_with(podNetwork="flannel"), ("nodes",), "never encrypts a resource's name"),
    (config_with(podNetwork="calico"), (), "kthw:podNetwork"),
    (config_with(podNetwork="weave", weave={"kubeImage": "weave kube:1"}), (), "kthw:weave.kubeImage"),
])
def test_a_refused_pod_network_registers_no_resource(config: dict[str, Any], secret: tuple[str, ...],
                                                     message: str) -> None:
    with pytest.raises(Exception, match=message):
        run_program(config, secret_keys=secret)


def test_a_deployed_weave_range_is_kept_unless_asked_and_a_switch_warns(caplog: pytest.LogCaptureFixture) -> None:
    last = run_program(config_with(podNetwork="weave")).outputs
    # Widened: every node keeps its block, but Weave's peers would disagree on the range.
    moved = config_with(podNetwork="weave", network={"clusterCidr": "10.200.0.0/15", "serviceCidr": "10.32.0.0/24"})
    with pytest.raises(Exception, match="Incompatible IP allocation ranges"):
        run_program(moved, last_outputs=last, preview=True)
    run_program(config_with(podNetwork="flannel"), last_outputs=last, preview=True)
    assert any("podNetwork changes from weave to flannel" in record.getMessage() for record in caplog.records)
