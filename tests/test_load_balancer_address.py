"""loadBalancer.address: outside the cluster and service ranges, as node addresses are, and never a numeric spelling
ssh reads as an IPv4 address other than its dotted quad. The spellings are checked against the real ssh client:
ssh to a closed loopback port says "Connection refused" for a host it resolved and "Could not resolve hostname"
for one it did not, and with -v it names the address it tried."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config.errors import ConfigError
from components.config.settings import parse_settings
from components.network.addresses import format_ip, getaddrinfo_ipv4
from tests.helpers.cluster import free_port
from tests.helpers.mock_program import DEV_CONFIG

SSH = shutil.which("ssh")
CONNECTING = re.compile(r"^debug1: Connecting to .* \[([0-9a-fA-F.:]+)\] port \d+\.$", re.MULTILINE)


def config(address: str, **network: str) -> dict[str, Any]:
    """The dev config with this load balancer address and network fields."""
    raw = copy.deepcopy(DEV_CONFIG)
    raw["loadBalancer"]["address"] = address
    raw["network"].update(network)
    return raw


def refusal(raw: dict[str, Any], secret_keys: tuple[str, ...] = ()) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, secret_keys)
    return caught.value


def accepted(address: str) -> bool:
    try:
        parse_settings(config(address))
    except ConfigError:
        return False
    return True


# Inside the cluster or service ranges


@pytest.mark.parametrize(("address", "inside"), [
    ("10.200.3.4", "10.200.0.0/16"),
    ("10.32.0.1", "10.32.0.0/24"),
])
def test_a_load_balancer_inside_a_cluster_or_service_range_is_refused(address: str, inside: str) -> None:
    # The rule node addresses follow (network rules.validate_node_identities): inside the ranges, kube-proxy's
    # Service rules and the pod routes take the load balancer's packets.
    error = refusal(config(address))
    assert (error.key, error.problem, error.accepted) == (
        "loadBalancer.address", f"{address} lies inside {inside}",
        "an address outside network.clusterCidr and network.serviceCidr")


def test_an_ipv6_load_balancer_inside_the_ipv6_service_range_is_refused() -> None:
    raw = config("fd00:10:96::5", clusterCidr="10.200.0.0/16,fd00:10:244::/56",
                 serviceCidr="10.32.0.0/24,fd00:10:96::/112")
    assert refusal(raw).problem == "fd00:10:96::5 lies inside fd00:10:96::/112"


def test_a_load_balancer_outside_the_ranges_and_a_name_are_accepted() -> None:
    assert parse_settings(config("172.31.108.99")).load_balancer.address == "172.31.108.99"
    assert parse_settings(config("lb.example.com")).load_balancer.address == "lb.example.com"


@pytest.mark.parametrize("secret_key", ["loadBalancer", "network"])
def test_the_range_refusal_shows_no_value_when_either_key_is_secret(secret_key: str) -> None:
    # A rule between two keys: a secret value on either side stays out of the message.
    error = refusal(config("10.200.3.4"), (secret_key,))
    assert str(error) == ("invalid config kthw:loadBalancer.address: lies inside a cluster or service range (the "
                          "values come from secret config and are not shown)")


# Numeric spellings ssh reads as IPv4 addresses


@pytest.mark.parametrize(("spelling", "address"), [
    ("0x7f000001", "127.0.0.1"),
    ("0X7F000001", "127.0.0.1"),
    ("2130706433", "127.0.0.1"),
    ("127.1", "127.0.0.1"),
    ("127.0.1", "127.0.0.1"),
    ("0177.0.0.1", "127.0.0.1"),
    ("0x7f.1", "127.0.0.1"),
    ("0xac.31.108.99", "172.31.108.99"),
    ("172.31.0154.0143", "172.31.108.99"),
    ("2887740515", "172.31.108.99"),
])
def test_a_numeric_spelling_other_than_the_dotted_quad_is_refused_saying_the_address(spelling: str,
                                                                                      address: str) -> None:
    # glibc resolv/inet_addr.c inet_aton_end, which getaddrinfo uses for a numeric host before any lookup.
    error = refusal(config(spelling))
    assert (error.key, error.problem, error.accepted) == (
        "loadBalancer.address", f"{spelling!r} is read by ssh (getaddrinfo) as the IPv4 address {address}",
        f"the address as a dotted quad of decimal numbers: {address}")
    hidden = refusal(config(spelling), ("loadBalancer",))
    assert address not in str(hidden) and spelling not in str(hidden)


@pytest.mark.parametrize(("spelling", "address"), [("0", "0.0.0.0"), ("0xe0000001", "224.0.0.1"),
                                                   ("4294967295", "255.255.255.255")])
def test_a_numeric_spelling_of_an_unreachable_address_says_so(spelling: str, address: str) -> None:
    error = refusal(config(spelling))
    assert error.problem == (f"{spelling!r} is read by ssh (getaddrinfo) as the IPv4 address {address}, an "
                             "unspecified, multicast or broadcast address")
    assert error.accepted == "an IP address or a DNS name"


@pytest.mark.parametrize("name", ["0x7f00000g", "lb-0x7f000001", "0x7f000001.example", "127.1.example"])
def test_names_that_only_look_numeric_are_dns_names(name: str) -> None:
    assert getaddrinfo_ipv4(name) is None
    assert accepted(name)


def ssh_resolves(host: str, port: int) -> str | None:
    """The address ssh connects to for ``host`` (a closed loopback port refuses it at once), or None when ssh
    cannot resolve the name."""
    assert SSH, "ssh must be on PATH (openssh-client)"
    result = subprocess.run(
        [SSH, "-v", "-F", "/dev/null", "-o", "BatchMode=yes", "-o", "ConnectTimeout=2", "-p", str(port), host,
         "true"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 255, result.stderr
    if "Could not resolve hostname" in result.stderr:
        return None
    # Refused at once; 127.255.255.255, loopback's broadcast address, is "Network is unreachable".
    assert "Connection refused" in result.stderr or "Network is unreachable" in result.stderr, result.stderr
    connected = CONNECTING.search(result.stderr)
    assert connected, result.stderr
    return connected.group(1)


def check_against_ssh(spelling: str, port: int) -> None:
    """kthw's reading of ``spelling`` is ssh's: the same address or none, and kthw accepts a spelling ssh resolves
    only when it is the address's dotted quad."""
    resolved = ssh_resolves(spelling, port)
    numeric = getaddrinfo_ipv4(spelling)
    assert (None if numeric is None else format_ip(numeric, 4)) == resolved, spelling
    if resolved is not None:
        assert accepted(spelling) == (spelling == resolved), spelling


CORPUS = [
    "127.0.0.1", "127.0.0.2", "127.255.255.254", "0x7f000001", "0X7F000001", "0x7F000001", "2130706433", "127.1",
    "127.0.1", "0177.0.0.1", "0177.0.0.01", "0x7f.1", "0x7f.0x0.0x0.0x1", "0x7f.0.0.1", "017700000001",
    "0x00007f000001", "127.000.000.001", "127.0.0.0x1", "127.65535", "127.0.65535", "127.16777215", "0",
    # not numeric to getaddrinfo: looked up as names, which do not exist
    "127.1.", "127..1", "0x", "0x7f.0x", "08.0.0.1", "0128.0.0.1", "256.0.0.1", "127.256.0.1", "1.2.3.4.5",
    "4294967296", "0x100000000", "127.16777216", "127.65536.1", "00x7f.0.0.1",
]


@pytest.mark.parametrize("spelling", CORPUS)
def test_every_spelling_ssh_resolves_is_refused_unless_it_is_the_dotted_quad(spelling: str) -> None:
    check_against_ssh(spelling, free_port())


def _part(value: int, radix: str, zeros: int) -> str:
    if radix == "x":
        return "0x" + "0" * zeros + f"{value:x}"
    if radix == "o":
        return "0" + "0" * zeros + f"{value:o}"
    return str(value)


@st.composite
def loopback_spellings(draw: st.DrawFn) -> str:
    """A spelling of an address in 127.0.0.0/8 in one to four inet_aton parts, each decimal, octal or hexadecimal,
    sometimes with a digit inet_aton refuses (8 or 9 in an octal part)."""
    address = (127 << 24) | draw(st.integers(0, (1 << 24) - 1))
    count = draw(st.integers(1, 4))
    values = [(address >> (24 - 8 * i)) & 0xFF for i in range(count - 1)]
    values.append(address & ((1 << (8 * (5 - count))) - 1) if count > 1 else address)
    parts = [_part(value, draw(st.sampled_from("dox")), draw(st.integers(0, 2))) for value in values]
    if draw(st.integers(0, 9)) == 0:
        index = draw(st.integers(0, count - 1))
        parts[index] = "0" + parts[index].lstrip("0x") + "9"
    return ".".join(parts)


@settings(max_examples=40, deadline=None)
@given(loopback_spellings())
def test_random_loopback_spellings_read_as_ssh_reads_them(spelling: str) -> None:
    check_against_ssh(spelling, free_port())
