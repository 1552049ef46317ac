"""The pod networks and the cluster DNS as objects: what each applies, made from the plan, and what is refused."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.config.errors import AnyConfigError, ConfigError
from components.config.shown import hiding_values
from components.dns.coredns import coredns_objects, corefile
from components.dns.options import parse_dns
from components.dns.rules import moved_dns_warning
from components.kubernetes.existing import PLURALS, api_path, owned, refusal, someone_elses
from components.kubernetes.objects import MANAGED_BY_LABEL, SKIP_AWAIT_ANNOTATION, STACK_ANNOTATION, ClusterObject
from components.kubernetes.options import parse_cluster_objects
from components.kubernetes.resources import RESOURCE_TYPES
from components.podnetwork.bridge import bridge_conf
from components.podnetwork.flannel import flannel_objects, net_conf
from components.podnetwork.node_cidrs import node_objects
from components.podnetwork.options import PodNetworkOptions, WeaveOptions, parse_pod_network
from components.podnetwork.rules import pod_network_problems, switch_warning, weave_range_problem
from components.podnetwork.weave import weave_objects
from components.users.component import access_objects
from components.users.options import AccessOptions, parse_users

STACK = "organization/kthw/dev"


def by_reference(objects: list[ClusterObject]) -> dict[str, ClusterObject]:
    return {item.reference: item for item in objects}


def container_env(daemon_set: ClusterObject, container: str) -> dict[str, str]:
    spec = daemon_set.body["spec"]["template"]["spec"]
    (found,) = [item for item in spec["containers"] if item["name"] == container]
    return {variable["name"]: variable.get("value") for variable in found.get("env", [])}


def test_weave_sets_its_range_to_the_cluster_range_and_disables_its_checkpoint() -> None:
    objects = by_reference(weave_objects("10.200.0.0/16"))
    assert set(objects) == {
        "ServiceAccount/kube-system/weave-net", "ClusterRole/weave-net", "ClusterRoleBinding/weave-net",
        "Role/kube-system/weave-net", "RoleBinding/kube-system/weave-net", "DaemonSet/kube-system/weave-net"}
    env = container_env(objects["DaemonSet/kube-system/weave-net"], "weave")
    assert env["IPALLOC_RANGE"] == "10.200.0.0/16" and env["CHECKPOINT_DISABLE"] == "1"
    spec = objects["DaemonSet/kube-system/weave-net"].body["spec"]["template"]["spec"]
    assert spec["hostNetwork"] is True
    assert all(container["securityContext"]["privileged"] for container in spec["containers"])
    images = {container["image"] for container in [*spec["containers"], *spec["initContainers"]]}
    assert images == {"docker.io/rajchaudhuri/weave-kube:2.9.0", "docker.io/rajchaudhuri/weave-npc:2.9.0"}


def test_flannel_net_conf_is_the_plan_for_each_family() -> None:
    assert net_conf({4: "10.200.0.0/16"}, {4: 24}, "vxlan") == {
        "EnableIPv4": True, "EnableIPv6": False, "Network": "10.200.0.0/16", "SubnetLen": 24,
        "EnableNFTables": False, "Backend": {"Type": "vxlan"}}
    dual = net_conf({4: "10.200.0.0/16", 6: "fd00:10:244::/56"}, {4: 24, 6: 64}, "host-gw")
    assert dual["IPv6Network"] == "fd00:10:244::/56" and dual["IPv6SubnetLen"] == 64 and dual["EnableIPv6"]
    only6 = net_conf({6: "fd00:10:244::/56"}, {6: 64}, "vxlan")
    assert only6["EnableIPv4"] is False and "Network" not in only6


def test_flannel_objects_carry_the_net_conf_in_their_config_map() -> None:
    objects = by_reference(flannel_objects({4: "10.200.0.0/16"}, {4: 24}, backend="wireguard"))
    config = objects["ConfigMap/kube-flannel/kube-flannel-cfg"].body["data"]
    assert json.loads(config["net-conf.json"])["Backend"] == {"Type": "wireguard"}
    assert json.loads(config["cni-conf.json"])["plugins"][0]["type"] == "flannel"
    assert "Namespace/kube-flannel" in objects and "DaemonSet/kube-flannel/kube-flannel-ds" in objects
    args = objects["DaemonSet/kube-flannel/kube-flannel-ds"].body["spec"]["template"]["spec"]["containers"][0]["args"]
    assert "--kube-subnet-mgr" in args


def test_coredns_serves_the_plan_s_dns_ip_and_domain() -> None:
    objects = by_reference(coredns_objects("10.32.0.10", "cluster.local"))
    service = objects["Service/kube-system/kube-dns"].body["spec"]
    assert service["clusterIP"] == "10.32.0.10"
    assert {(port["port"], port["protocol"]) for port in service["ports"]} == {(53, "UDP"), (53, "TCP"), (9153, "TCP")}
    assert "kubernetes cluster.local in-addr.arpa ip6.arpa {" in corefile("cluster.local")
    rules = objects["ClusterRole/system:coredns"].body["rules"]
    assert any("endpointslices" in rule["resources"] for rule in rules)


def test_a_bridge_conf_hands_out_the_node_s_pod_cidrs() -> None:
    conf = bridge_conf(["10.200.1.0/24", "fd00:10:244:1::/64"])
    assert conf["ipam"]["ranges"] == [[{"subnet": "10.200.1.0/24"}], [{"subnet": "fd00:10:244:1::/64"}]]
    assert conf["ipam"]["routes"] == [{"dst": "0.0.0.0/0"}, {"dst": "::/0"}]
    assert conf["bridge"] == "cni0" and conf["ipMasq"] is True


def test_node_objects_set_pod_cidrs_of_the_nodes_that_run_pods() -> None:
    objects = node_objects({"worker-0": ("10.200.0.0/24", "fd00::/64"), "server": ()})
    assert [item.reference for item in objects] == ["Node/worker-0"]
    assert objects[0].body == {"spec": {"podCIDR": "10.200.0.0/24", "podCIDRs": ["10.200.0.0/24", "fd00::/64"]}}


def test_every_object_carries_kthw_s_marks_and_skips_waits_when_asked() -> None:
    (item,) = [item for item in weave_objects("10.200.0.0/16") if item.kind == "DaemonSet"]
    metadata = item.metadata(STACK, skip_await=True)
    assert metadata["labels"][MANAGED_BY_LABEL] == "kthw" and metadata["annotations"][STACK_ANNOTATION] == STACK
    assert metadata["annotations"][SKIP_AWAIT_ANNOTATION] == "true"
    assert api_path(item) == "/apis/apps/v1/namespaces/kube-system/daemonsets/weave-net"


def test_every_kind_kthw_makes_has_an_api_path_and_a_typed_resource() -> None:
    users = parse_users([{"name": "alice", "clusterRole": "view", "roles": {"team-a": {"role": "deployer"}}}])
    made = [*weave_objects("10.200.0.0/16"), *flannel_objects({4: "10.200.0.0/16"}, {4: 24}),
            *coredns_objects("10.32.0.10", "cluster.local"), *node_objects({"w": ("10.200.0.0/24",)}),
            *access_objects(users, AccessOptions(admin_access="rbac", kubelet_api_user="kubernetes"))]
    kinds = {(item.api_version, item.kind) for item in made}
    assert {kind for _, kind in kinds} <= set(PLURALS)
    assert kinds <= set(RESOURCE_TYPES)
    assert set(PLURALS) == {kind for _, kind in RESOURCE_TYPES}


def test_only_someone_else_s_objects_are_refused_and_adopt_lets_them_through() -> None:
    found = {"DaemonSet/kube-system/weave-net": {}, "ServiceAccount/kube-system/weave-net": {STACK_ANNOTATION: STACK},
             "ClusterRole/weave-net": None, "Role/kube-system/weave-net": {STACK_ANNOTATION: "other/kthw/dev"}}
    foreign = someone_elses(found, STACK)
    assert foreign == ["DaemonSet/kube-system/weave-net", "Role/kube-system/weave-net"]
    text = refusal(foreign, ("ClusterRole/x",)) or ""
    assert "pulumi config set --path 'clusterObjects.adopt[1]' DaemonSet/kube-system/weave-net" in text
    assert refusal(foreign, tuple(foreign)) is None
    assert all(item.kind != "Node" for item in owned(node_objects({"w": ("10.200.0.0/24",)})))


@pytest.mark.parametrize(("raw", "key"), [
    ({"podNetwork": "calico"}, "podNetwork"),
    ({"podNetwork": "weave", "weave": {"kubeImage": "weave kube:1"}}, "weave.kubeImage"),
    ({"podNetwork": "flannel", "flannel": {"backend": "udp"}}, "flannel.backend"),
    ({"podNetwork": "weave", "weave": {"kubeimage": "x:1"}}, "weave.kubeimage"),
])
def test_pod_network_config_is_refused_naming_the_key(raw: dict[str, Any], key: str) -> None:
    with pytest.raises(AnyConfigError) as caught:
        parse_pod_network(raw.get("podNetwork"), raw.get("weave"), raw.get("flannel"))
    assert key in [error.key for error in caught.value.errors]


def test_dns_and_cluster_objects_config() -> None:
    assert parse_dns(None, None).mode == "none" and parse_dns("coredns", {"replicas": 3}).coredns.replicas == 3
    with pytest.raises(ConfigError):
        parse_dns("kube-dns", None)
    assert parse_cluster_objects({"waitSeconds": 0}).wait_seconds == 0
    with pytest.raises(AnyConfigError):
        parse_cluster_objects({"adopt": ["daemonset weave-net"]})


def test_weave_is_ipv4_only_and_keeps_a_deployed_range() -> None:
    weave = PodNetworkOptions(mode="weave")
    (problem,) = pod_network_problems(weave, [4, 6], nodes_secret=False)
    assert problem.key == "podNetwork" and "IPv4 only" in str(problem)
    moved = weave_range_problem(weave, "weave", "10.200.0.0/16", "10.201.0.0/16")
    assert moved is not None and moved.key == "network.clusterCidr"
    assert "Incompatible IP allocation ranges" in str(moved)
    asked = PodNetworkOptions(mode="weave", weave=WeaveOptions(change_range=True))
    assert weave_range_problem(asked, "weave", "10.200.0.0/16", "10.201.0.0/16") is None
    assert weave_range_problem(weave, "flannel", "10.200.0.0/16", "10.201.0.0/16") is None
    with hiding_values():
        hidden = weave_range_problem(weave, "weave", "10.200.0.0/16", "10.201.0.0/16")
    assert "10.20" not in str(hidden)


def test_node_applies_refuse_a_secret_node_list() -> None:
    for mode in ("flannel", "bridge"):
        (problem,) = pod_network_problems(PodNetworkOptions(mode=mode), [4], nodes_secret=True)
        assert problem.key == "podNetwork"
    assert pod_network_problems(PodNetworkOptions(mode="weave"), [4], nodes_secret=True) == []


def test_switching_networks_and_moving_the_dns_ip_warn() -> None:
    assert "weave's CNI config and interfaces stay on every node" in (switch_warning("flannel", "weave") or "")
    assert switch_warning("flannel", "none") is None and switch_warning("weave", "weave") is None
    warning = moved_dns_warning("coredns", "coredns", "10.32.0.10", "10.32.0.11") or ""
    assert "from 10.32.0.10 to 10.32.0.11" in warning and "deletes the kube-dns Service" in warning
    assert "10.32" not in (moved_dns_warning("coredns", "coredns", "10.32.0.10", "10.32.0.11", hide_values=True) or "")
    assert moved_dns_warning("coredns", "none", "10.32.0.10", "10.32.0.11") is None
