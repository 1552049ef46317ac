"""Reading the ``network`` and ``nodes`` keys: every problem of every key reported at once."""

from __future__ import annotations

import pytest

from components.errors import CollectedConfigError, ConfigError
from components.network_settings import parse_network


def keys_refused(network: object, nodes: object) -> list[str]:
    """The keys parse_network blames, in order."""
    with pytest.raises((ConfigError, CollectedConfigError)) as caught:
        parse_network(network, nodes)
    if isinstance(caught.value, CollectedConfigError):
        return [error.key for error in caught.value.errors]
    assert isinstance(caught.value, ConfigError)
    return [caught.value.key]


def test_every_unreadable_key_and_node_is_reported_together() -> None:
    # cmd/kube-apiserver/app/options/validation.go Validate: all errors in one report.
    network = {"clusterCidr": "10.200.0.1/16", "dnsServiceIndex": "ten"}
    nodes = [
        {"name": "worker-0", "address": "172.31.0.1"},
        {"name": "worker-1", "address": "172.31.0.256"},
        {"name": "worker-2"},
        {"name": "worker-3", "address": "172.31.0.4", "podCidr": "10.200.3.0"},
    ]
    assert keys_refused(network, nodes) == [
        "network.clusterCidr", "network.dnsServiceIndex", "nodes[1].address", "nodes[2].address", "nodes[3].podCidr",
    ]


def test_rules_between_keys_wait_until_every_key_reads() -> None:
    # A node list read in part would make the capacity and uniqueness rules blame the wrong nodes.
    nodes = [{"name": "a", "address": "172.31.0.1"}, {"name": "a", "address": "not an address"}]
    assert keys_refused(None, nodes) == ["nodes[1].address"]


def test_rules_between_keys_are_all_reported() -> None:
    # Once everything reads, every rule's problem is reported together.
    nodes = [{"name": "a", "address": "172.31.0.1"}, {"name": "a", "address": "127.0.0.1"}]
    assert keys_refused({"serviceCidr": "10.200.0.0/24"}, nodes) == [
        "network.serviceCidr", "nodes[1].name", "nodes[1].address",
    ]


def test_a_valid_network_reads() -> None:
    # The dev stack's values.
    spec = parse_network({"clusterCidr": "10.200.0.0/16"}, '[{"name": "worker-0", "address": "172.31.101.60"}]')
    assert [node.name for node in spec.nodes] == ["worker-0"]
