"""Reading one node's fields ({name, address, podCidr?}), for the ``nodes`` key and a YAML ``nodesFile`` alike."""

from __future__ import annotations

import socket
from typing import Any

from components.config.errors import ConfigError
from components.config.shown import shown
from components.config.values import json_object
from components.network.addresses import IPV4_MAPPED_PREFIX, cidr_list, format_ip, parse_cidr, parse_ip
from components.network.blocks import PodBlock, canonical_block
from components.network.model import NodeAddress, NodesFile, NodeSpec

# Bound once: parse_addresses runs for every node.
_inet_pton, _inet_ntop, _AF_INET, _AF_INET6 = socket.inet_pton, socket.inet_ntop, socket.AF_INET, socket.AF_INET6
_from_bytes = int.from_bytes

NODE_KEYS = ("name", "address", "podCidr")
"""The fields of a node, in ``nodes`` and in a YAML ``nodesFile``."""
NODE_REQUIRED_KEYS = ("name", "address")


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
            if value >> 32 != IPV4_MAPPED_PREFIX:
                canonical = _inet_ntop(_AF_INET6, packed)
                addresses.append(NodeAddress(6, value, canonical if "." not in canonical else format_ip(value, 6)))
                continue
        except (OSError, ValueError):
            pass
        addresses.append(NodeAddress.of(parse_ip(part, key)))
    return tuple(addresses)


def parse_pod_blocks(value: Any, key: str) -> tuple[PodBlock, ...]:
    """A podCidr: one CIDR, or two separated by a comma, read as ``cidr_list`` reads them. As in
    ``parse_addresses``, the usual canonical CIDR takes the C parser; everything else, and every error message,
    goes through ``cidr_list``'s ``parse_cidr``."""
    if not isinstance(value, str):
        return tuple(PodBlock.of(network) for network in cidr_list(value, key))
    blocks: list[PodBlock] = []
    for part in value.split(","):
        block = canonical_block(part)
        blocks.append(block if block is not None else PodBlock.of(parse_cidr(part, key)))
    return tuple(blocks)


def parse_node(
    item: Any, index: int, key: str = "", source: NodesFile | None = None, line: int = 0
) -> NodeSpec:
    """One entry of ``nodes`` (or of a YAML ``nodesFile``, whose ``key`` names its file and line): {name, address,
    podCidr?}; address and podCidr take one value or two (dual-stack)."""
    key = key or f"nodes[{index}]"
    obj = json_object(item, key, NODE_KEYS, NODE_REQUIRED_KEYS)
    if not isinstance(obj["name"], str):
        raise ConfigError(f"{key}.name", f"{shown(obj['name'])} is not a string",
                          "a node name such as 'worker-0'", safe=True)
    address = obj["address"]
    if not isinstance(address, str):
        raise ConfigError(f"{key}.address", f"{shown(address)} is not a string", "one IP address, or two", safe=True)
    pin = obj.get("podCidr")
    return NodeSpec(
        position=index,
        name=obj["name"],
        addresses=parse_addresses(address, f"{key}.address"),
        pinned=() if pin is None else parse_pod_blocks(pin, f"{key}.podCidr"),
        source=source,
        line=line,
    )
