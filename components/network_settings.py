"""The ``network`` and ``nodes`` config keys, read into a NetworkSpec and checked against every network rule."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any, TypeVar

from components.cidr import format_ip, parse_ip
from components.config_values import cidr_list, decoded, integer_in, json_object, or_default
from components.cycle_collection import without_cycle_collection
from components.errors import CollectedConfigError, ConfigError
from components.network_plan import NetworkSpec, NodeAddress, NodeSpec
from components.network_rules import network_problems, raise_problems

T = TypeVar("T")

_IPV4_MAPPED_PREFIX = 0xFFFF
"""The first 96 bits of an IPv4-mapped IPv6 address (::ffff:a.b.c.d), which parse_ip refuses with its own message."""
# Bound once: parse_addresses runs for every node.
_inet_pton, _inet_ntop, _AF_INET, _AF_INET6 = socket.inet_pton, socket.inet_ntop, socket.AF_INET, socket.AF_INET6
_from_bytes = int.from_bytes
_NODES_ACCEPTED = "a list of {name, address, podCidr?} objects"
_NETWORK_KEYS = ("clusterCidr", "serviceCidr", "nodeCidrMaskSize", "nodeCidrMaskSizeIpv6", "dnsServiceIndex")


def attempt(problems: list[ConfigError], read: Callable[[], T]) -> T | None:
    """``read()``, or None with its problems added to ``problems``."""
    try:
        return read()
    except CollectedConfigError as error:
        problems.extend(error.errors)
    except ConfigError as error:
        problems.append(error)
    return None


def parse_addresses(text: str, key: str) -> tuple[NodeAddress, ...]:
    """One address, or two separated by a comma, read as ``parse_ip`` reads them. The usual case takes the C
    parser: glibc's inet_pton accepts exactly the dotted quads without leading zeros that ``parse_ip`` accepts (so
    their text is already canonical), and the IPv6 syntax ``parse_ip`` reads with it; everything else, and every
    error message, goes through ``parse_ip``."""
    addresses: list[NodeAddress] = []
    for part in text.split(","):
        try:
            if ":" not in part:
                addresses.append(NodeAddress(4, _from_bytes(_inet_pton(_AF_INET, part), "big"), part))
                continue
            packed = _inet_pton(_AF_INET6, part)
            value = _from_bytes(packed, "big")
            if value >> 32 != _IPV4_MAPPED_PREFIX:
                canonical = _inet_ntop(_AF_INET6, packed)
                addresses.append(NodeAddress(6, value, canonical if "." not in canonical else format_ip(value, 6)))
                continue
        except (OSError, ValueError):
            pass
        addresses.append(NodeAddress.of(parse_ip(part, key)))
    return tuple(addresses)


def parse_node(item: Any, index: int) -> NodeSpec:
    """One entry of ``nodes``: {name, address, podCidr?}; address and podCidr take one value or two (dual-stack)."""
    key = f"nodes[{index}]"
    obj = json_object(item, key, ("name", "address", "podCidr"), ("name", "address"))
    if not isinstance(obj["name"], str):
        raise ConfigError(f"{key}.name", f"{obj['name']!r} is not a string", "a node name such as 'worker-0'")
    address = obj["address"]
    if not isinstance(address, str):
        raise ConfigError(f"{key}.address", f"{address!r} is not a string", "one IP address, or two")
    pin = obj.get("podCidr")
    return NodeSpec(
        position=index,
        name=obj["name"],
        addresses=parse_addresses(address, f"{key}.address"),
        pinned=() if pin is None else cidr_list(pin, f"{key}.podCidr"),
    )


def parse_nodes(value: Any) -> tuple[NodeSpec, ...]:
    """``nodes``: every entry read, the problems of all of them raised together."""
    if value is None:
        raise ConfigError("nodes", "is required", _NODES_ACCEPTED)
    items = decoded(value, "nodes", list, _NODES_ACCEPTED)
    problems: list[ConfigError] = []
    nodes = []
    for index, item in enumerate(items):
        try:
            nodes.append(parse_node(item, index))
        except ConfigError as error:
            problems.append(error)
    raise_problems(problems)
    return tuple(nodes)


@without_cycle_collection
def parse_network(value: Any, nodes: Any) -> NetworkSpec:
    """``network`` and ``nodes``, checked together against every rule of the network plan. Every problem is
    reported at once: those of reading each key first; the rules between keys once every key could be read (a
    rule checked on a half-read list would blame the wrong thing)."""
    problems: list[ConfigError] = []
    obj = attempt(problems, lambda: json_object({} if value is None else value, "network", _NETWORK_KEYS))
    if obj is None:
        obj = {}
    cluster_cidrs = attempt(problems, lambda: cidr_list(or_default(obj, "clusterCidr", "10.200.0.0/16"),
                                                          "network.clusterCidr"))
    service_cidrs = attempt(problems, lambda: cidr_list(or_default(obj, "serviceCidr", "10.32.0.0/24"),
                                                          "network.serviceCidr"))
    mask = attempt(problems, lambda: integer_in(or_default(obj, "nodeCidrMaskSize", 24),
                                                "network.nodeCidrMaskSize", 0, 32))
    mask6 = attempt(problems, lambda: integer_in(or_default(obj, "nodeCidrMaskSizeIpv6", 64),
                                                 "network.nodeCidrMaskSizeIpv6", 0, 128))
    dns = attempt(problems, lambda: integer_in(or_default(obj, "dnsServiceIndex", 10),
                                               "network.dnsServiceIndex", 0, 2**20))
    node_specs = attempt(problems, lambda: parse_nodes(nodes))
    if problems:
        raise_problems(problems)
    assert cluster_cidrs is not None and service_cidrs is not None and node_specs is not None
    assert mask is not None and mask6 is not None and dns is not None
    spec = NetworkSpec(
        cluster_cidrs=cluster_cidrs,
        service_cidrs=service_cidrs,
        node_cidr_mask_size=mask,
        node_cidr_mask_size_ipv6=mask6,
        dns_service_index=dns,
        nodes=node_specs,
    )
    raise_problems(network_problems(spec))
    return spec
