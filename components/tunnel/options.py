"""The tunnel's config: ``loadBalancer`` (where the tunnel lands) and ``tunnel`` (its local end and how ssh checks
the load balancer), parsed into LoadBalancer and TunnelOptions, whose fields declare every key and default."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from components.config.dns_names import DNS_NAME, DNS_NAME_MAX_LENGTH
from components.config.errors import ConfigError, Problems
from components.config.objects import OptionsObject
from components.config.shown import shown
from components.config.values import boolean, integer_in, matching_string, one_of
from components.network.addresses import format_ip, getaddrinfo_ipv4, parse_ip
from components.network.model import NetworkSpec
from components.tunnel.ssh_files import ssh_file_path

TUNNEL_KEYS = ("loadBalancer", "tunnel")
"""The top-level keys the tunnel's values come from: they are secret when one of these is set with --secret."""
HOST_KEY_CHECKING = ("yes", "accept-new")
"""The StrictHostKeyChecking values accepted: host keys are always verified."""
_SSH_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")


@dataclass(frozen=True)
class LoadBalancer:
    """``loadBalancer``: where the operator's SSH tunnel lands, and where kube-apiserver listens as seen from there."""

    address: str
    """An IP address or a DNS name."""
    user: str
    """The SSH user on it."""
    ssh_port: int = 22
    """Its SSH port."""
    api_port: int = 6443
    """Where kube-apiserver listens as seen from the load balancer: the tunnel's remote end."""


@dataclass(frozen=True)
class TunnelOptions:
    """``tunnel``: the local end of the tunnel and how ssh verifies the load balancer."""

    local_port: int = 6443
    """The tunnel's local port; the kubeconfig's server is https://localhost:<local_port>."""
    manage: bool = False
    """Whether `pulumi up` opens the tunnel in the background (and reopens it when it died)."""
    identity_file: str | None = None
    """ssh -i, with IdentitiesOnly=yes."""
    known_hosts_file: str | None = None
    """ssh's UserKnownHostsFile: where the load balancer's host key is pinned."""
    strict_host_key_checking: str | None = None
    """ssh's StrictHostKeyChecking, one of HOST_KEY_CHECKING (the managed tunnel takes "yes" when unset)."""


def required_load_balancer(value: Any) -> LoadBalancer:
    """``loadBalancer``, which has no default."""
    if value is None:
        raise ConfigError("loadBalancer", "is required", "an object {address, user, sshPort?, apiPort?}", safe=True)
    return parse_load_balancer(value)


def parse_load_balancer(value: Any) -> LoadBalancer:
    """``loadBalancer``: address (IP or DNS name), SSH user, SSH port and the API server port behind it."""
    problems = Problems()
    obj = OptionsObject.read(LoadBalancer, "loadBalancer", value, problems)
    options = LoadBalancer(
        address=obj.field("address", load_balancer_address, ""),
        user=obj.field("user", _ssh_user, ""),
        ssh_port=obj.field("ssh_port", _port),
        api_port=obj.field("api_port", _port),
    )
    problems.raise_any()
    return options


def load_balancer_address(address: Any, key: str) -> str:
    """An address ssh can connect to: an IP other than unspecified or multicast (loopback is fine: a load balancer
    can be reached through a local forward), or a DNS name, absolute (trailing dot) or not. A name ssh reads as an
    IPv4 address (getaddrinfo takes inet_aton's forms: ``0x7f000001``, ``2130706433``, ``127.1``, ``0177.0.0.1``)
    must be the address's dotted quad: the certificate SANs, routes and every other reader take the rest as a DNS
    name."""
    accepted = "an IP address or a DNS name"
    numeric = getaddrinfo_ipv4(address) if isinstance(address, str) else None
    if numeric is not None and address != (canonical := format_ip(numeric, 4)):
        unreachable = _unreachable(ipaddress.IPv4Address(numeric))
        raise ConfigError(key, f"{shown(address)} is read by ssh (getaddrinfo) as the IPv4 address {canonical}"
                          + (", an unspecified, multicast or broadcast address" if unreachable else ""),
                          accepted if unreachable else f"the address as a dotted quad of decimal numbers: {canonical}",
                          without_values="is a spelling ssh (getaddrinfo) reads as an IPv4 address that is not its "
                          "dotted quad")
    if isinstance(address, str) and (":" in address or re.fullmatch(r"[0-9.]+", address)):
        ip = parse_ip(address, key)
        if _unreachable(ip):
            raise ConfigError(key, f"{ip} is an unspecified, multicast or broadcast address", accepted,
                              without_values="is an unspecified, multicast or broadcast address")
        return str(ip)
    name = matching_string(address, key, DNS_NAME, accepted)
    if len(name.removesuffix(".")) > DNS_NAME_MAX_LENGTH:
        raise ConfigError(key, f"has {len(name)} characters; a DNS name has at most {DNS_NAME_MAX_LENGTH}", accepted,
                          without_values=f"is longer than a DNS name can be ({DNS_NAME_MAX_LENGTH})")
    return name


def _ssh_user(value: Any, key: str) -> str:
    return matching_string(value, key, _SSH_USER,
                           "a user name of letters, digits, '_', '.' or '-', not starting with '-' or a digit")


def _port(value: Any, key: str) -> int:
    return integer_in(value, key, 1, 65535)


def _host_key_checking(value: Any, key: str) -> str:
    checking: str = one_of(value, key, HOST_KEY_CHECKING)
    return checking


def _unreachable(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address no ssh connection can reach a load balancer at: unspecified, multicast or the IPv4 broadcast."""
    return ip.is_unspecified or ip.is_multicast or str(ip) == "255.255.255.255"


def load_balancer_outside_ranges(address: str, network: NetworkSpec) -> None:
    """The load balancer's address, when it is an IP, lies outside the cluster and service ranges, as every node
    address must: inside them, kube-proxy and the pod routes take its packets for a Service or a pod."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return  # a DNS name: what it resolves to is the resolver's
    for cidr in (*network.cluster_cidrs, *network.service_cidrs):
        if ip in cidr:
            raise ConfigError("loadBalancer.address", f"{ip} lies inside {cidr}",
                              "an address outside network.clusterCidr and network.serviceCidr",
                              without_values="lies inside a cluster or service range")


def parse_tunnel(value: Any) -> TunnelOptions:
    """``tunnel``: local port, whether `pulumi up` manages it, and ssh's identity and host key settings. A path ssh
    would read as anything but that one file (``/dev/null``, ``none``, ``#...``, ``${...}``, ``%`` tokens) is refused,
    so host keys are verified for every accepted config."""
    problems = Problems()
    obj = OptionsObject.read(TunnelOptions, "tunnel", value, problems)
    options = TunnelOptions(
        local_port=obj.field("local_port", _port),
        manage=obj.field("manage", boolean),
        identity_file=obj.field("identity_file", ssh_file_path),
        known_hosts_file=obj.field("known_hosts_file", ssh_file_path),
        strict_host_key_checking=obj.field("strict_host_key_checking", _host_key_checking),
    )
    problems.raise_any()
    return options
