"""Fingerprints of secret config: they change exactly when a secret value changes, and reveal nothing without the
stack's CA key."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from components.config.fingerprints import canonical_value, fingerprint, fingerprints
from tests.helpers.mock_program import DEV_CONFIG, config_with, plain_places, run_program

KEY = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKc\n-----END PRIVATE KEY-----\n"
LOAD_BALANCER = {"address": "172.31.108.99", "user": "cloud_user"}


def test_the_same_value_written_another_way_has_the_same_fingerprint() -> None:
    # Pulumi hands structured values over as JSON text; key order and spacing are not the value.
    as_text = json.dumps({"user": "cloud_user", "address": "172.31.108.99"}, indent=2)
    assert fingerprint(KEY, "loadBalancer", as_text) == fingerprint(KEY, "loadBalancer", LOAD_BALANCER)


def test_any_change_of_the_value_changes_the_fingerprint() -> None:
    changed = {**LOAD_BALANCER, "address": "172.31.108.98"}
    assert fingerprint(KEY, "loadBalancer", changed) != fingerprint(KEY, "loadBalancer", LOAD_BALANCER)


def test_another_ca_key_gives_other_fingerprints() -> None:
    assert fingerprint(KEY + " ", "loadBalancer", LOAD_BALANCER) != fingerprint(KEY, "loadBalancer", LOAD_BALANCER)


def test_the_same_value_under_another_key_has_another_fingerprint() -> None:
    assert fingerprint(KEY, "clusterName", "lab") != fingerprint(KEY, "adminUser", "lab")


def test_a_fingerprint_is_no_plain_digest_of_the_value() -> None:
    """An unkeyed digest could be reversed by hashing candidate addresses."""
    digest = fingerprint(KEY, "clusterName", "lab").removeprefix("hmac-sha256:")
    for candidate in ("lab", canonical_value("lab"), f"clusterName\0{canonical_value('lab')}"):
        assert hashlib.sha256(candidate.encode()).hexdigest()[:32] != digest


def test_fingerprints_name_only_the_keys_given() -> None:
    assert set(fingerprints(KEY, {"nodes": [], "loadBalancer": LOAD_BALANCER})) == {"loadBalancer", "nodes"}
    assert fingerprints(KEY, {}) == {}


def secret_run(config: dict[str, Any], *keys: str) -> dict[str, Any]:
    run = run_program(config, secret_keys=keys)
    assert not run.secret["secretConfigFingerprints"]
    fingerprints_output: dict[str, Any] = run.outputs["secretConfigFingerprints"]
    return fingerprints_output


def test_the_program_fingerprints_every_secret_key_and_nothing_else() -> None:
    assert secret_run(DEV_CONFIG) == {}
    assert set(secret_run(DEV_CONFIG, "loadBalancer", "nodes")) == {"loadBalancer", "nodes"}


def test_a_changed_secret_node_list_changes_its_fingerprint_alone() -> None:
    before = secret_run(DEV_CONFIG, "loadBalancer", "nodes")
    more = config_with(nodes=[*DEV_CONFIG["nodes"], {"name": "worker-2", "address": "172.31.104.203"}])
    after = secret_run(more, "loadBalancer", "nodes")
    assert after["nodes"] != before["nodes"] and after["loadBalancer"] == before["loadBalancer"]


def test_the_fingerprints_output_shows_no_secret_value() -> None:
    run = run_program(config_with(clusterName="secretlab"), secret_keys=("clusterName",))
    assert plain_places(run, "secretlab") == []
