"""The plan carried into a real cluster, end to end: the real CLI and plugins, an sshd as the load balancer and the
managed tunnel, and kube-apiserver and kube-controller-manager started with the flags of the stack's own
``network.flags`` output (the lab adds only its PKI, ports and paths). No kubelet runs here, and no image can be
pulled: what is checked is what the API server holds, with the readiness wait skipped (clusterObjects.waitSeconds 0).

Weave, Flannel, the bridge network and CoreDNS are applied; a renewed admin certificate replaces no cluster object; a
switch of pod network previews readably; an object made by hand beforehand is refused, not taken over; destroy
removes what kthw made and nothing else; nodes that register in any order carry the plan's podCIDRs with the
controller manager's allocator off; and the configuration files kube-proxy and the kubelets read are taken strictly
by the real binaries, single- and dual-stack.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.network.tables import nodes_of
from tests.helpers.cluster import KubeApiserver, tool_env, wait_until
from tests.helpers.cluster_stack import Shared, Stack, admin_kubectl, get_json, shared_lab
from tests.helpers.engine import ADMIN_CERT_TYPE
from tests.helpers.server_process import RunAs

pytestmark = pytest.mark.e2e

OBJECTS = ("daemonset weave-net -n kube-system", "deployment coredns -n kube-system",
           "service kube-dns -n kube-system", "clusterrole system:coredns")
"""kubectl get arguments of some of the objects of the weave and coredns stack."""
DESTROYED = ("daemonset/weave-net", "deployment/coredns", "service/kube-dns")
"""Objects of the weave and coredns stack that destroy deletes."""


@pytest.fixture(scope="module")
def shared() -> Iterator[Shared]:
    with shared_lab() as lab:
        yield lab


def test_weave_and_coredns_reach_the_cluster_as_planned_and_leave_with_destroy(shared: Shared,
                                                                               tmp_path: Path) -> None:
    stack = Stack(shared, tmp_path, "w", podNetwork="weave", dns="coredns")
    network = stack.first_up_without_a_cluster()
    assert "--allow-privileged=true" in network["flags"]["kubeApiserver"]
    apiserver = stack.start_control_plane(network["flags"], "weave")
    stack.project.up()  # the next update applies: nothing was lost

    daemon_set = get_json(apiserver, "daemonset", "weave-net", "-n", "kube-system")
    (weave,) = [item for item in daemon_set["spec"]["template"]["spec"]["containers"] if item["name"] == "weave"]
    env = {item["name"]: item.get("value") for item in weave["env"]}
    assert env["IPALLOC_RANGE"] == network["clusterCidrs"][0] == "10.200.0.0/16"
    assert daemon_set["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "kthw"
    service = get_json(apiserver, "service", "kube-dns", "-n", "kube-system")
    assert service["spec"]["clusterIP"] == network["clusterDnsIp"] == "10.32.0.10"
    assert stack.project.preview_changes() == {}, "the next preview is empty"

    stack.project.age_certificate(ADMIN_CERT_TYPE, 12)  # inside its renewal window
    # The provider's kubeconfig is unknown until the new certificate exists, so the preview lists the objects as
    # updates through the new provider; none is replaced, and the update changes none.
    ops = stack.kubernetes_ops()
    assert all(op == {"update"} for op in ops.values()), ops
    before = {name: get_json(apiserver, *name.split())["metadata"]["resourceVersion"] for name in OBJECTS}
    stack.project.up()
    after = {name: get_json(apiserver, *name.split())["metadata"]["resourceVersion"] for name in OBJECTS}
    assert after == before, "a renewed admin certificate replaced or changed a cluster object"
    assert stack.project.preview_changes() == {}

    stack.project.update_config(podNetwork="flannel")
    switch = stack.access.pulumi("preview", "--diff")
    said = switch.stdout + switch.stderr
    assert switch.returncode == 0, said
    assert "podNetwork changes from weave to flannel" in said
    ops = stack.project.preview_changes()
    assert ops["kube-system.weave-net"] == {"delete"} and ops["kube-flannel.kube-flannel-ds"] == {"create"}
    assert ops["worker-0"] == {"create"}, "flannel reads node podCIDRs: kthw applies them"

    by_hand = admin_kubectl(apiserver, "create", "clusterrole", "flannel", "--verb=get", "--resource=pods")
    assert by_hand.returncode == 0, by_hand.stderr
    refused = stack.access.pulumi("up", "--yes", "--skip-preview")
    assert refused.returncode != 0
    assert "this stack did not make: ClusterRole/flannel" in refused.stdout + refused.stderr
    assert "pulumi config set --path 'clusterObjects.adopt[0]' ClusterRole/flannel" in refused.stdout
    assert get_json(apiserver, "daemonset", "weave-net", "-n", "kube-system"), "nothing changed"

    stack.project.update_config(podNetwork="weave")
    stack.project.destroy()
    # With the readiness wait skipped, pulumi-kubernetes does not wait out a deletion either: what destroy leaves is
    # being deleted (a Deployment, deleted in the foreground, goes once kube-controller-manager's garbage collector
    # has removed its ReplicaSets), and is gone soon after.
    assert [item["metadata"] for item in still_there(apiserver, DESTROYED)
            if "deletionTimestamp" not in item["metadata"]] == []
    wait_until(lambda: still_there(apiserver, DESTROYED) == [], 120, "kthw's objects deleted")
    assert get_json(apiserver, "clusterrole", "flannel"), "what kthw did not make is left"
    assert get_json(apiserver, "service", "kubernetes", "-n", "default")


def still_there(apiserver: KubeApiserver, names: Sequence[str]) -> list[dict[str, Any]]:
    """Of ``names`` (kubectl's kind/name in kube-system), the objects the API server still holds."""
    found = admin_kubectl(apiserver, "get", *names, "-n", "kube-system", "--ignore-not-found", "-o", "json")
    assert found.returncode == 0, found.stderr
    # kubectl prints a List for several names, and nothing at all when none is found.
    items: list[dict[str, Any]] = json.loads(found.stdout)["items"] if found.stdout else []
    return items


def register_node(apiserver: KubeApiserver, name: str) -> subprocess.CompletedProcess[str]:
    """What a kubelet does when it starts: create its Node object, without podCIDRs."""
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name}}}
    return admin_kubectl(apiserver, "create", "-f", "-", stdin=json.dumps(node))


def pod_cidrs(apiserver: KubeApiserver) -> dict[str, list[str]]:
    nodes = get_json(apiserver, "nodes")["items"]
    return {item["metadata"]["name"]: item["spec"].get("podCIDRs", []) for item in nodes}


def test_nodes_carry_the_plan_s_pod_cidrs_whatever_order_they_register_in(shared: Shared, tmp_path: Path) -> None:
    nodes = [{"name": f"worker-{index}", "address": f"172.31.101.{60 + index}"} for index in range(3)]
    stack = Stack(shared, tmp_path, "b", podNetwork="bridge", nodes=nodes)
    network = stack.first_up_without_a_cluster()
    assert "--allocate-node-cidrs=false" in network["flags"]["kubeControllerManager"]
    planned = {name: node["podCidrs"] for name, node in nodes_of(network).items()}
    apiserver = stack.start_control_plane(network["flags"], "bridge")

    for name in ("worker-2", "worker-0"):  # before the update, in another order than the list
        assert register_node(apiserver, name).returncode == 0
    time.sleep(5)  # kube-controller-manager's node controllers have seen them
    assert pod_cidrs(apiserver) == {"worker-2": [], "worker-0": []}, "the allocator is off: nothing gives a block"
    stack.project.up()
    late = register_node(apiserver, "worker-1")  # kthw made its Node object: the kubelet finds it
    assert late.returncode != 0 and "AlreadyExists" in late.stderr
    time.sleep(5)
    assert pod_cidrs(apiserver) == planned
    bridge = dict(line.split(" ", 1) for line in network["bridgeConfTable"].splitlines()[1:])
    assert json.loads(bridge["worker-1"])["ipam"]["ranges"] == [[{"subnet": planned["worker-1"][0]}]]
    assert stack.project.preview_changes() == {}

    stack.project.destroy()
    assert pod_cidrs(apiserver) == planned, "destroy never deletes a Node, nor takes its podCIDRs back"


def strict_decoding(program: str, flag: str, document: dict[str, Any], directory: Path, run_as: RunAs) -> str:
    """What ``program`` says, run as an unprivileged user with ``document`` as its configuration file, about
    reading it: its validation errors and the fields it could not read strictly ("" when none)."""
    path = directory / f"{program}.yaml"
    path.write_text(yaml.safe_dump(document))
    path.chmod(0o644)
    found = shutil.which(program, path=tool_env()["PATH"])
    assert found is not None
    binary = directory / program if (directory / program).exists() else run_as.reachable_copy(Path(found), directory)
    result = subprocess.run([str(binary), f"{flag}={path}", "--v=1"], capture_output=True, text=True, timeout=60,
                            check=False, cwd=directory, **run_as.popen_options())  # type: ignore[call-overload]
    said = result.stdout + result.stderr
    return "\n".join(line for line in said.splitlines()
                     if "strict decoding" in line or "failed validate" in line or "failed to validate" in line)


@pytest.mark.parametrize(("cluster", "service", "nodes"), [
    ("10.200.0.0/16", "10.32.0.0/24", [{"name": "worker-0", "address": "172.31.101.60"}]),
    ("10.200.0.0/16,fd00:10:244::/56", "10.32.0.0/24,fd00:10:96::/112",
     [{"name": "worker-0", "address": "172.31.101.60,2001:db8::60"}]),
], ids=["single-stack", "dual-stack"])
def test_every_flag_and_configuration_field_of_the_plan_is_taken_by_the_real_binaries(
    shared: Shared, tmp_path: Path, cluster: str, service: str, nodes: list[dict[str, str]]
) -> None:
    stack = Stack(shared, tmp_path, "f", network={"clusterCidr": cluster, "serviceCidr": service}, nodes=nodes,
                  podNetwork="flannel")
    network = stack.first_up_without_a_cluster()
    apiserver = stack.start_control_plane(network["flags"], f"flags{len(network['clusterCidrs'])}")
    assert apiserver.kubernetes_service_ip() == network["kubernetesServiceIp"]
    stack.project.up()
    assert pod_cidrs(apiserver) == {name: node["podCidrs"] for name, node in nodes_of(network).items()}

    run_as = RunAs.unprivileged()
    directory = run_as.private_directory("kthw-configs-")
    directory.chmod(0o755)  # the configuration files in it are read by the unprivileged user
    try:
        kubeconfig = directory / "kubeconfig"
        kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
        kubeconfig.chmod(0o644)
        proxy = {**network["kubeProxyConfiguration"], "clientConnection": {"kubeconfig": str(kubeconfig)}}
        kubelet = {**network["kubeletConfiguration"], "failCgroupV1": False}  # this machine's cgroups, not ours
        assert strict_decoding("kube-proxy", "--config", proxy, directory, run_as) == ""
        assert strict_decoding("kubelet", "--config", kubelet, directory, run_as) == ""
        typo = {**network["kubeletConfiguration"], "clusterDns": ["10.32.0.10"]}
        assert "strict decoding" in strict_decoding("kubelet", "--config", typo, directory, run_as), (
            "the check sees a field the kubelet cannot read")
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    stack.project.destroy()
