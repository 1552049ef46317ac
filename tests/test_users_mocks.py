"""Users, the admin two ways, the break-glass credential and the kubelets' RBAC through the whole program under
Pulumi mocks: which certificates and bindings each setting makes, which identity the provider uses, what is recorded
of removed users, and what is refused before any resource."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest
import yaml

from components.users.csr import request_identity
from tests.helpers.mock_program import (
    SECRET_SIGNATURE,
    ProgramRun,
    RecordingMocks,
    config_with,
    run_program,
    unwrap_secret,
)
from tests.helpers.pki import csr_pem, ec_key

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert"
PROVIDER = "pulumi:providers:kubernetes"
CLUSTER_ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding"
ROLE_BINDING = "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding"
ALICE = {"name": "alice", "groups": ["dev", "oncall"], "clusterRole": "view", "roles": {"team-a": "edit"}}


def named(run: ProgramRun, typ: str, name: str) -> dict[str, Any]:
    (args,) = [args for args in run.of_type(typ) if args.name == name]
    return {key: unwrap_secret(value) for key, value in args.inputs.items()}


def own_request(name: str, groups: list[str]) -> str:
    return csr_pem(ec_key(), name, groups)


def test_a_user_gets_a_key_a_certificate_for_their_name_and_groups_and_a_kubeconfig_of_their_own() -> None:
    run = run_program(config_with(users=[ALICE]))
    assert named(run, PRIVATE_KEY, "alice-key")["algorithm"] == "RSA"
    cert = named(run, SIGNED_CERT, "alice-cert")
    assert request_identity(cert["certRequestPem"])[:2] == ("alice", ("dev", "oncall"))
    assert cert["allowedUses"] == ["client_auth", "digital_signature", "key_encipherment"]
    assert (cert["validityPeriodHours"], cert["earlyRenewalHours"]) == (2160, 240)
    assert run.secret["userKubeconfigs"]
    config = yaml.safe_load(run.outputs["userKubeconfigs"]["alice"])
    assert config["current-context"] == "alice@kubernetes-the-hard-way"
    assert config["users"][0]["name"] == "alice" and "client-key-data" in config["users"][0]["user"]
    assert not run.secret["users"]
    assert run.outputs["users"]["alice"] == {
        "groups": ["dev", "oncall"],
        "bindings": ["ClusterRoleBinding/kthw:user:alice:ClusterRole:view",
                     "RoleBinding/team-a/kthw:user:alice:ClusterRole:edit"],
        "certNotAfter": "2027-02-24T10:00:00Z", "keyHeldBy": "kthw"}  # 2160 hours after the mocks' now


def test_a_user_s_bindings_grant_exactly_their_roles_to_their_name() -> None:
    run = run_program(config_with(users=[ALICE]))
    cluster = named(run, CLUSTER_ROLE_BINDING, "kthw:user:alice:ClusterRole:view")
    assert cluster["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}
    assert cluster["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}]
    namespaced = named(run, ROLE_BINDING, "team-a.kthw:user:alice:ClusterRole:edit")
    assert namespaced["metadata"]["namespace"] == "team-a"
    (provider,) = run.of_type(PROVIDER)
    user = yaml.safe_load(unwrap_secret(provider.inputs["kubeconfig"]))["users"][0]
    assert user["name"] == "admin", "with the tutorial's admin, the provider is the admin"


def test_a_user_with_their_own_request_gets_no_key_and_a_kubeconfig_without_one() -> None:
    request = own_request("robot", ["ci"])
    run = run_program(config_with(users=[{"name": "robot", "groups": ["ci"], "csr": request}]))
    assert [args.name for args in run.of_type(PRIVATE_KEY) if args.name.startswith("robot")] == []
    assert named(run, SIGNED_CERT, "robot-cert")["certRequestPem"] == request
    config = yaml.safe_load(run.outputs["userKubeconfigs"]["robot"])
    assert "client-key-data" not in config["users"][0]["user"]
    assert run.outputs["users"]["robot"]["keyHeldBy"] == "user"


def test_the_rbac_admin_is_bound_and_the_provider_has_an_identity_of_its_own() -> None:
    run = run_program(config_with(adminAccess="rbac"))
    assert named(run, CERT_REQUEST, "admin-admin-csr")["subject"]["organization"] == "kthw:cluster-admins"
    binding = named(run, CLUSTER_ROLE_BINDING, "kthw:cluster-admins")
    assert binding["roleRef"]["name"] == "cluster-admin"
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                    "name": "kthw:cluster-admins"}]
    assert named(run, CERT_REQUEST, "admin-provider-csr")["subject"] == {"commonName": "kthw:provider",
                                                                         "organization": "system:masters"}
    (provider,) = run.of_type(PROVIDER)
    config = yaml.safe_load(unwrap_secret(provider.inputs["kubeconfig"]))
    assert provider.inputs["kubeconfig"][SECRET_SIGNATURE]
    assert config["users"][0]["name"] == "kthw:provider"
    cert = base64.b64decode(config["users"][0]["user"]["client-certificate-data"]).decode()
    assert "admin-provider-cert" in base64.b64decode(cert.splitlines()[1]).decode()


def test_the_tutorial_s_admin_stays_system_masters_with_no_cluster_object() -> None:
    run = run_program(config_with())
    assert named(run, CERT_REQUEST, "admin-admin-csr")["subject"]["organization"] == "system:masters"
    assert PROVIDER not in run.types() and "userKubeconfigs" not in run.outputs and "users" not in run.outputs


def test_break_glass_is_a_day_long_system_masters_kubeconfig_on_request() -> None:
    run = run_program(config_with(breakGlass=True))
    assert named(run, CERT_REQUEST, "admin-break-glass-csr")["subject"] == {"commonName": "kthw:break-glass",
                                                                            "organization": "system:masters"}
    cert = named(run, SIGNED_CERT, "admin-break-glass-cert")
    assert (cert["validityPeriodHours"], cert["earlyRenewalHours"]) == (24, 0)
    assert run.secret["breakGlassKubeconfig"] and not run.secret["breakGlassCertNotAfter"]
    assert yaml.safe_load(run.outputs["breakGlassKubeconfig"])["current-context"] == \
        "kthw:break-glass@kubernetes-the-hard-way"
    assert PROVIDER not in run.types(), "break-glass needs no cluster"


def test_the_kubelet_api_rbac_binds_the_tutorial_s_role_to_the_api_server_s_user() -> None:
    run = run_program(config_with(kubeletApiUser="kubernetes"))
    (role,) = [args for args in run.of_type("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole")]
    assert role.name == "system:kube-apiserver-to-kubelet"
    assert "nodes/proxy" in unwrap_secret(role.inputs["rules"])[0]["resources"]
    binding = named(run, CLUSTER_ROLE_BINDING, "system:kube-apiserver")
    assert binding["subjects"][0]["name"] == "kubernetes"


def test_a_removed_user_is_recorded_until_their_certificate_expires_and_a_reused_name_warns(
        caplog: pytest.LogCaptureFixture) -> None:
    valid = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    expired = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    last = {"users": {"alice": {"groups": [], "bindings": [], "certNotAfter": valid, "keyHeldBy": "kthw"},
                      "carol": {"groups": [], "bindings": [], "certNotAfter": expired, "keyHeldBy": "kthw"}},
            "revokedUsers": {"bob": {"removedAt": "2026-01-01T00:00:00Z", "certNotAfter": expired}}}
    run = run_program(config_with(users=[{"name": "dave"}]), last_outputs=last)
    assert set(run.outputs["revokedUsers"]) == {"alice", "carol"}, "bob's certificate has expired: forgotten"
    assert run.outputs["revokedUsers"]["alice"]["certNotAfter"] == valid
    later = run_program(config_with(users=[{"name": "dave"}, {"name": "alice"}]), last_outputs=run.outputs)
    assert "alice" not in later.outputs.get("revokedUsers", {})
    warnings = [record.getMessage() for record in caplog.records if "users[1].name" in record.getMessage()]
    assert len(warnings) == 1 and f"valid until {valid}" in warnings[0]


def test_a_missing_namespace_stops_the_update_naming_the_user_and_a_missing_role_warns(
        caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(Exception, match=r"users\[0\] \(alice\): the cluster has no Namespace team-a"):
        run_program(config_with(users=[ALICE]), missing_objects={"Namespace/team-a"})
    run_program(config_with(users=[ALICE]), missing_objects={"ClusterRole/view"})
    assert any("users[0] (alice): the cluster has no ClusterRole view" in record.getMessage()
               for record in caplog.records)


def test_a_preview_without_the_cluster_shows_the_users_bindings() -> None:
    run = run_program(config_with(users=[ALICE]), preview=True, cluster_reachable=False)
    assert len(run.of_type(CLUSTER_ROLE_BINDING)) == 1 and len(run.of_type(ROLE_BINDING)) == 1


@pytest.mark.parametrize("name", ["ci:deploy::bot", "jane.doe@example.com", "a_b-9"])
def test_user_names_kubernetes_accepts_are_resource_names_too(name: str) -> None:
    run = run_program(config_with(users=[{"name": name, "clusterRole": "view"}]))
    assert named(run, SIGNED_CERT, f"{name}-cert")
    assert named(run, CLUSTER_ROLE_BINDING, f"kthw:user:{name}:ClusterRole:view")


@pytest.mark.parametrize(("config", "secret", "message"), [
    (config_with(users=[ALICE]), ("users",), "kthw:users: is secret config"),
    (config_with(users=[{"name": "system:alice"}]), (), r"kthw:users\[0\].name"),
    (config_with(users=[{"name": "alice", "groups": ["system:masters"]}]), (), r"kthw:users\[0\].groups\[0\]"),
    (config_with(users=[{"name": "alice", "validityHours": 100}]), (), r"kthw:users\[0\].earlyRenewalHours"),
    (config_with(adminAccess="root"), (), "kthw:adminAccess"),
    (config_with(breakGlass="yes"), (), "kthw:breakGlass"),
])
def test_refused_access_config_registers_no_resource(config: dict[str, Any], secret: tuple[str, ...],
                                                     message: str) -> None:
    with pytest.raises(Exception, match=message):
        run_program(config, secret_keys=secret)


def test_a_secret_admin_user_does_not_show_through_a_user_of_the_same_name() -> None:
    with pytest.raises(Exception) as caught:
        run_program(config_with(adminUser="root-ops", users=[{"name": "root-ops"}]), secret_keys=("adminUser",))
    assert "is the admin's name" in str(caught.value) and "root-ops" not in str(caught.value)


def test_the_provider_s_cluster_check_runs_under_the_harness_s_cluster_however_late_it_comes() -> None:
    """The provider's identity is exported by nothing, so its check may run after the program's exports resolve: a
    slow certificate makes it come last, and it still sees the mocks' cluster, never a real one."""
    new_resource = RecordingMocks.new_resource

    def slow_provider_certificate(self: RecordingMocks, args: Any) -> Any:
        if args.name == "admin-provider-cert":
            time.sleep(0.5)
        return new_resource(self, args)

    with mock.patch.object(RecordingMocks, "new_resource", slow_provider_certificate):
        run = run_program(config_with(adminAccess="rbac"))
    (provider,) = run.of_type(PROVIDER)
    assert yaml.safe_load(unwrap_secret(provider.inputs["kubeconfig"]))["users"][0]["name"] == "kthw:provider"
