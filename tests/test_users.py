"""Users: their config, what is refused naming the key, their certificate requests and their RBAC objects."""

from __future__ import annotations

from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from components.config.errors import AnyConfigError, ConfigError
from components.users.bindings import admin_binding, binding_name, kubelet_api_objects, user_bindings
from components.users.csr import certificate_request, request_identity
from components.users.options import Binding, UserOptions, parse_access, parse_users
from components.users.rules import user_problems

KEY = ec.generate_private_key(ec.SECP256R1()).private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode()


def problems_of(users: list[dict[str, Any]], *, secret: bool = False) -> list[ConfigError]:
    return user_problems(parse_users(users), "admin", users_secret=secret)


def test_a_user_s_grants_in_every_shape() -> None:
    roles = {"team-a": "edit", "team-b": {"role": "deployer"}, "team-c": {"clusterRole": "admin"}}
    (user,) = parse_users([{"name": "alice", "groups": ["dev"], "clusterRole": "view", "roles": roles}])
    assert user.bindings == (Binding("ClusterRole", "view"), Binding("ClusterRole", "edit", "team-a"),
                             Binding("Role", "deployer", "team-b"), Binding("ClusterRole", "admin", "team-c"))


@pytest.mark.parametrize(("users", "key"), [
    ([{"name": "system:alice"}], "users[0].name"),
    ([{"name": "kthw:provider"}], "users[0].name"),
    ([{"name": "admin"}], "users[0].name"),
    ([{"name": "al ice"}], "users[0].name"),
    ([{"name": "a" * 65}], "users[0].name"),
    ([{"name": "alice", "groups": ["system:masters"]}], "users[0].groups[0]"),
    ([{"name": "alice", "groups": ["system:monitoring"]}], "users[0].groups[0]"),
    ([{"name": "alice", "groups": ["kthw:cluster-admins"]}], "users[0].groups[0]"),
    ([{"name": "alice"}, {"name": "alice"}], "users[1].name"),
    ([{"name": "alice", "roles": {"Team_A": "view"}}], "users[0].roles.Team_A"),
    ([{"name": "alice", "clusterRole": "a/b"}], "users[0].clusterRole"),
    # Hostile names: what X.509's subject syntax, kubectl's config or a shell would read otherwise.
    ([{"name": "alice,O=system:masters"}], "users[0].name"),
    ([{"name": "alice/O=system:masters"}], "users[0].name"),
    ([{"name": "alice\nbob"}], "users[0].name"),
    ([{"name": "-alice"}], "users[0].name"),
    ([{"name": "alice."}], "users[0].name"),
    ([{"name": "al\u0456ce"}], "users[0].name"),  # a Cyrillic i
    ([{"name": "System:alice"}], None),  # not the system: prefix: Kubernetes compares case-sensitively
    ([{"name": "alice", "groups": ["dev,O=system:masters"]}], "users[0].groups[0]"),
    ([{"name": "alice", "groups": ["dev "]}], "users[0].groups[0]"),
    ([{"name": "alice", "groups": ["g" * 65]}], "users[0].groups[0]"),
    ([{"name": "alice", "roles": {"a" * 64: "view"}}], f"users[0].roles.{'a' * 64}"),
    ([{"name": "alice", "roles": {"-team": "view"}}], "users[0].roles.-team"),
    ([{"name": "alice", "roles": {"team.a": "view"}}], "users[0].roles.team.a"),
    ([{"name": "alice", "roles": {"..": "view"}}], "users[0].roles..."),
    ([{"name": "alice", "roles": {"team-a": ".."}}], "users[0].roles.team-a"),
    ([{"name": "alice", "roles": {"team-a": "x%2Fy"}}], "users[0].roles.team-a"),
])
def test_refused_users_name_the_key(users: list[dict[str, Any]], key: str | None) -> None:
    keys = [problem.key for problem in problems_of(users)]
    assert keys == [] if key is None else key in keys


@pytest.mark.parametrize(("users", "key"), [
    ([{"name": "alice", "roles": {"team-a": {"role": "x", "clusterRole": "y"}}}], "users[0].roles.team-a"),
    ([{"name": "alice", "colour": "blue"}], "users[0].colour"),
    ([{"name": "alice", "groups": "dev"}], "users[0].groups"),
    ([{"groups": ["dev"]}], "users[0].name"),
    ([{"name": ""}], "users[0].name"),
    ([{"name": "alice", "groups": [""]}], "users[0].groups[0]"),
    ([{"name": "alice", "validityHours": 0}], "users[0].validityHours"),
    ([{"name": "alice", "validityHours": 100, "earlyRenewalHours": 100}], "users[0].earlyRenewalHours"),
])
def test_malformed_users_are_refused_while_read(users: list[dict[str, Any]], key: str) -> None:
    with pytest.raises(AnyConfigError) as caught:
        parse_users(users)
    assert key in [error.key for error in caught.value.errors]


def test_a_secret_user_list_is_refused() -> None:
    (problem,) = problems_of([{"name": "alice"}], secret=True)
    assert problem.key == "users" and "never encrypts a resource's name" in str(problem)


def test_a_user_s_own_request_must_name_them_and_their_groups() -> None:
    good = certificate_request(KEY, "alice", ["dev"])
    assert problems_of([{"name": "alice", "groups": ["dev"], "csr": good}]) == []
    (wrong,) = problems_of([{"name": "alice", "groups": ["ops"], "csr": good}])
    assert wrong.key == "users[0].csr" and "names another user or other groups" in str(wrong)
    (garbage,) = problems_of([{"name": "alice", "csr": "-----BEGIN CERTIFICATE REQUEST-----\nx\n"}])
    assert "is not a PEM certificate request" in str(garbage)


def test_requests_are_the_same_for_the_same_key_and_subject() -> None:
    assert certificate_request(KEY, "alice", ["dev", "ops"]) == certificate_request(KEY, "alice", ["dev", "ops"])
    assert request_identity(certificate_request(KEY, "alice", ["dev", "ops"])) == ("alice", ("dev", "ops"), True)


def test_binding_names_carry_the_role_so_a_change_makes_a_new_one() -> None:
    view = UserOptions("alice", cluster_role="view")
    edit = UserOptions("alice", cluster_role="edit")
    assert binding_name("alice", view.bindings[0]) != binding_name("alice", edit.bindings[0])
    (binding,) = user_bindings(UserOptions("alice", roles=(Binding("Role", "deployer", "team-b"),)))
    assert binding.kind == "RoleBinding" and binding.namespace == "team-b"
    assert binding.body["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "deployer"}
    assert binding.body["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}]


def test_the_admin_and_kubelet_api_objects() -> None:
    assert admin_binding().body["subjects"][0] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group",
                                                   "name": "kthw:cluster-admins"}
    role, binding = kubelet_api_objects("kubernetes")
    assert role.name == "system:kube-apiserver-to-kubelet" and binding.body["subjects"][0]["name"] == "kubernetes"
    assert parse_access("rbac", True, "kubernetes").break_glass
    with pytest.raises(ConfigError):
        parse_access("root", None, None)
