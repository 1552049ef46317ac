"""Every refusal that shows a value when the config is plain shows none when the key is set with --secret: no address,
prefix, name or suggestion derived from it ("did you mean 10.200.0.0/16?"). Each case is checked both ways, so the
table holds only refusals whose plain message does show a value."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import AnyConfigError
from components.config.settings import parse_settings
from tests.helpers.leaks import ADDRESS_LIKE, assert_shows_nothing_of
from tests.helpers.mock_program import DEV_CONFIG, config_with

NODES = DEV_CONFIG["nodes"]


CASES = [
    ("network", config_with(network={"clusterCidr": "10.200.0.1/16"}), "host bits: did you mean"),
    ("network", config_with(network={"clusterCidr": "10.200.0.0/255.255.0.0"}), "netmask notation: write it as"),
    ("network", config_with(network={"clusterCidr": "::ffff:10.0.0.0/112"}), "IPv4-mapped"),
    ("network", config_with(network={"serviceCidr": "10.0.0.0/8"}), "service range too large"),
    ("network", config_with(network={"serviceCidr": "10.200.0.0/24"}), "service range overlaps the cluster range"),
    ("network", config_with(network={"clusterCidr": "10.200.0.0/16", "nodeCidrMaskSize": 8}), "node mask"),
    ("network", config_with(network={"serviceCidr": "10.32.0.0/24", "dnsServiceIndex": 300}), "dns index"),
    ("nodes", config_with(nodes=[{"name": "worker-0", "address": "127.0.0.1"}]), "loopback node"),
    ("nodes", config_with(nodes=[{"name": "worker-0", "address": "10.200.3.4"}]), "node inside the cluster range"),
    ("nodes", config_with(nodes=[NODES[0], {"name": "worker-1", "address": NODES[0]["address"]}]), "duplicate address"),
    ("nodes", config_with(nodes=[{**NODES[0], "podCidr": "10.201.0.0/24"}]), "pin outside the range"),
    ("nodes", config_with(nodes=[{**NODES[0], "podCidr": "10.200.0.0/25"}]), "pin of another size"),
    ("nodes", config_with(nodes=[{**NODES[0], "podCidr": "10.200.0.0/24"}, {**NODES[1], "podCidr": "10.200.0.0/24"}]),
     "pin taken"),
    ("nodes", config_with(nodes=[{**NODES[0], "address": "fd00::1"}]), "no address of the cluster's family"),
    ("loadBalancer", config_with(loadBalancer={"address": "10.200.0.9", "user": "cloud_user"}),
     "inside the cluster range"),
    ("loadBalancer", config_with(loadBalancer={"address": "0x7f000001", "user": "cloud_user"}), "numeric spelling"),
    ("loadBalancer", config_with(loadBalancer={"address": "224.0.0.1", "user": "cloud_user"}), "multicast"),
]


def refusal(raw: dict[str, Any], secret_keys: tuple[str, ...]) -> str:
    with pytest.raises(AnyConfigError) as caught:
        parse_settings(raw, secret_keys)
    return str(caught.value)


@pytest.mark.parametrize(("key", "raw"), [pytest.param(key, raw, id=name) for key, raw, name in CASES])
def test_a_refusal_that_shows_a_value_shows_none_when_the_key_is_secret(key: str, raw: dict[str, Any]) -> None:
    assert ADDRESS_LIKE.search(refusal(raw, ())), "the plain message shows the value: the case is worth checking"
    for line in refusal(raw, (key,)).splitlines():
        problem = line.split(": ", 1)[1]
        assert "(the values come from secret config and are not shown)" in problem or "secret value" in problem
        assert_shows_nothing_of(problem, raw[key])
