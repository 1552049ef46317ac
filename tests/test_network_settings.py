"""Reading the ``network`` and ``nodes`` keys: every problem of every key reported at once."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from components.config.errors import AnyConfigError, ConfigError
from components.config.shown import shown
from components.network.addresses import parse_cidr, parse_ip
from components.network.blocks import PodBlock
from components.network.node_fields import parse_addresses, parse_pod_blocks
from components.network.options import parse_network


def keys_refused(network: object, nodes: object) -> list[str]:
    """The keys parse_network blames, in order."""
    with pytest.raises(AnyConfigError) as caught:
        parse_network(network, nodes)
    return [error.key for error in caught.value.errors]


def test_a_node_with_several_problems_does_not_hide_the_next_node_s() -> None:
    # One node's problems come together (a misspelt key and the key it should be); the next node's still show.
    nodes = [{"nme": "worker-0", "address": "172.31.0.1"}, {"name": "worker-1", "address": "172.31.0.256"}]
    refused = keys_refused(None, nodes)
    assert len(refused) > 2 and refused[-1] == "nodes[1].address"


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


ADDRESS_TEXTS = st.one_of(
    st.builds(lambda octets: ".".join(octets), st.lists(st.sampled_from(
        ["0", "1", "00", "01", "9", "10", "99", "100", "255", "256", "1000", "", " 1", "a", "٣"]), min_size=3,
        max_size=5)),
    st.integers(0, 2**128 - 1).map(lambda value: str(ipaddress.IPv6Address(value))),
    st.integers(0, 2**128 - 1).map(lambda value: ipaddress.IPv6Address(value).exploded.upper()),
    st.integers(0, 2**32 - 1).map(lambda value: f"::ffff:{ipaddress.IPv4Address(value)}"),
    st.integers(0, 2**32 - 1).map(lambda value: f"::{ipaddress.IPv4Address(value)}"),
    st.text(alphabet="0123456789abcdef:.%/ ", max_size=20),
)


@settings(max_examples=500, deadline=None)
@given(ADDRESS_TEXTS)
def test_the_fast_address_reader_agrees_with_parse_ip(text: str) -> None:
    """parse_addresses takes glibc's inet_pton where it can; it accepts and refuses exactly what parse_ip does,
    with the same canonical text."""
    try:
        expected: object = str(parse_ip(text, "k"))
    except ConfigError as error:
        expected = str(error)
    try:
        (address,) = parse_addresses(text, "k") if "," not in text else (None,)
        actual: object = address.text if address is not None else expected
    except ConfigError as error:
        actual = str(error)
    assert actual == expected


POD_BLOCK_TEXTS = st.one_of(
    st.builds(lambda address, prefix: f"{address}/{prefix}", ADDRESS_TEXTS,
              st.sampled_from(["0", "8", "24", "32", "33", "64", "120", "128", "129", "024", "", "-1", "2 "])),
    st.integers(0, 2**32 - 1).flatmap(lambda value: st.integers(0, 32).map(
        lambda prefix: str(ipaddress.IPv4Network((value >> (32 - prefix) << (32 - prefix), prefix))))),
    st.integers(0, 2**128 - 1).flatmap(lambda value: st.integers(0, 128).map(
        lambda prefix: str(ipaddress.IPv6Network((value >> (128 - prefix) << (128 - prefix), prefix))))),
    ADDRESS_TEXTS,
)
"""Canonical blocks of every size, and texts near them: host bits, odd prefixes, mapped and dotted IPv6."""


@settings(max_examples=300, deadline=None)
@given(POD_BLOCK_TEXTS)
@example("10.200.0.0/24")
@example("10.200.1.0/24")
@example("10.200.0.1/24")
@example("10.200.0.0/33")
@example("fd00:10:244:1::/64")
@example("fd00:10:244:1::1/64")
@example("fd00::/129")
@example("::ffff:10.200.0.0/120")
@example("::10.200.0.0/120")
@example("::/0")
@example("0.0.0.0/0")
@example("10.200.0.0")
def test_the_fast_pod_cidr_reader_agrees_with_parse_cidr(text: str) -> None:
    """parse_pod_blocks takes glibc's inet_pton for a canonical block; it accepts and refuses exactly what
    parse_cidr does, with the same block and text."""
    if "," in text:
        return
    try:
        expected: object = (PodBlock.of(parse_cidr(text, "k")),)
    except ConfigError as error:
        expected = str(error)
    try:
        actual: object = parse_pod_blocks(text, "k")
    except ConfigError as error:
        actual = str(error)
    assert actual == expected


@pytest.mark.parametrize("pin", [24, ["10.200.0.0/24"], None, True])
def test_a_pod_cidr_that_is_not_a_string_is_refused(pin: object) -> None:
    node = {"name": "worker-0", "address": "172.31.0.1", "podCidr": pin}
    if pin is None:
        assert parse_network(None, [node]).nodes[0].pinned == ()
        return
    with pytest.raises(ConfigError) as caught:
        parse_network(None, [node])
    assert str(caught.value) == (f"invalid config kthw:nodes[0].podCidr: {shown(pin)} is not a string; expected one "
                                 "CIDR, or two separated by a comma")
