"""Reading CIDR text without ``ipaddress`` (for speed): the text a program wrote read back exactly, host bits
included, or refused saying why. (Writing address text as RFC 5952 does: test_network_rules.py.)"""

from __future__ import annotations

import ipaddress

import pytest

from components.network.addresses import cidr_parts


@pytest.mark.parametrize(("text", "parts"), [
    ("10.200.0.1/24", (4, int(ipaddress.IPv4Address("10.200.0.1")), 24)),
    ("10.200.0.0/32", (4, int(ipaddress.IPv4Address("10.200.0.0")), 32)),
    ("fd00::1/64", (6, int(ipaddress.IPv6Address("fd00::1")), 64)),
    ("fd00::/128", (6, int(ipaddress.IPv6Address("fd00::")), 128)),
])
def test_cidr_text_is_read_with_its_host_bits(text: str, parts: tuple[int, int, int]) -> None:
    assert cidr_parts(text) == parts


@pytest.mark.parametrize(("text", "problem"), [
    ("10.200.0.0", "is not a CIDR"),
    ("10.200.0.0/24/1", "is not a CIDR"),
    ("garbage/24", "is not a CIDR"),
    ("10.200.0.0/33", "has an invalid prefix length"),
    ("fd00::/129", "has an invalid prefix length"),
    ("10.200.0.0/255.255.0.0", "has an invalid prefix length"),
])
def test_cidr_text_that_is_not_one_says_why(text: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        cidr_parts(text)
    assert str(caught.value) == problem
