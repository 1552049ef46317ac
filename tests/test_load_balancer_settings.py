"""``loadBalancer``: its ports reach the tunnel, their bounds, and the addresses refused, with whole messages, plain
and for secret config."""

from __future__ import annotations

from typing import Any

import pytest

from components.config.errors import AnyConfigError
from components.config.shown import SECRET_VALUES, hiding_values
from components.tunnel.options import LoadBalancer, parse_load_balancer

ADDRESS = "invalid config kthw:loadBalancer.address"
PORT_ACCEPTED = "expected an integer from 1 to 65535"
LONGEST_NAME = ".".join(["a" * 60] * 4) + ".abcdefghi"
"""A DNS name of 253 characters, the most there can be."""


def refusals(value: dict[str, Any]) -> list[tuple[str, str]]:
    """(plain, secret) of every problem."""
    messages = []
    for hidden in (False, True):
        with pytest.raises(AnyConfigError) as caught:
            if hidden:
                with hiding_values():
                    parse_load_balancer(value)
            else:
                parse_load_balancer(value)
        messages.append([str(error) for error in caught.value.errors])
    return list(zip(*messages))


def test_the_ports_and_names_given_are_the_ones_used() -> None:
    given = {"address": LONGEST_NAME, "user": "ops", "sshPort": 2222, "apiPort": 8443}
    assert parse_load_balancer(given) == LoadBalancer(address=LONGEST_NAME, user="ops", ssh_port=2222, api_port=8443)
    assert parse_load_balancer({**given, "sshPort": 1, "apiPort": 65535}).api_port == 65535


@pytest.mark.parametrize(("ssh_port", "api_port"), [(0, 65536), (65536, 0)])
def test_ports_outside_1_to_65535_are_refused(ssh_port: int, api_port: int) -> None:
    assert refusals({"address": "lb.example", "user": "ops", "sshPort": ssh_port, "apiPort": api_port}) == [
        (f"invalid config kthw:loadBalancer.sshPort: {ssh_port} is out of range; {PORT_ACCEPTED}",
         f"invalid config kthw:loadBalancer.sshPort: a secret value is out of range; {PORT_ACCEPTED}"),
        (f"invalid config kthw:loadBalancer.apiPort: {api_port} is out of range; {PORT_ACCEPTED}",
         f"invalid config kthw:loadBalancer.apiPort: a secret value is out of range; {PORT_ACCEPTED}"),
    ]


@pytest.mark.parametrize("address", ["255.255.255.255", "0.0.0.0", "224.0.0.1", "ff02::1"])
def test_an_address_no_host_holds_is_refused(address: str) -> None:
    assert refusals({"address": address, "user": "ops"}) == [(
        f"{ADDRESS}: {address} is an unspecified, multicast or broadcast address; expected an IP address or a DNS name",
        f"{ADDRESS}: is an unspecified, multicast or broadcast address ({SECRET_VALUES})",
    )]


def test_a_dns_name_longer_than_253_characters_is_refused() -> None:
    assert refusals({"address": LONGEST_NAME + "j", "user": "ops"}) == [(
        f"{ADDRESS}: has 254 characters; a DNS name has at most 253; expected an IP address or a DNS name",
        f"{ADDRESS}: is longer than a DNS name can be (253) ({SECRET_VALUES})",
    )]
