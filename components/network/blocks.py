"""A pod CIDR block as plain data, and the one parser of block text, in three named forms:

* ``canonical_block``: a block as config writes it, in canonical form only; None for anything else, which
  ``parse_cidr`` then refuses with its reason. The hot path of 5,000 pinned nodes: read with inet_pton.
* ``strict_block``: a block as a program wrote it (the plan's own output): any address inet_pton reads, no host bits,
  its text kept as written; ValueError says what is wrong.
* ``lenient_block``: a podCIDR as kube-apiserver accepts it on a Node (netutils.ParseCIDRSloppy): host bits allowed
  and cleared, any IPv6 spelling; the block carries the plan's canonical text. None when it is not a CIDR.
"""

from __future__ import annotations

import re
import socket
from typing import NamedTuple

from components.network.addresses import IPV4_MAPPED_PREFIX, IPNetwork, cidr_parts, format_ip, host_bits

# Bound once: canonical_block runs for every pinned node.
_inet_pton, _inet_ntop, _AF_INET, _AF_INET6 = socket.inet_pton, socket.inet_ntop, socket.AF_INET, socket.AF_INET6
_from_bytes = int.from_bytes
_PREFIX = re.compile(r"0|[1-9][0-9]{0,2}")


class PodBlock(NamedTuple):
    """A pod CIDR block as plain data: a pinned podCidr, a block of the last deployment, or a podCIDR of a Node."""

    version: int
    """4 or 6."""
    value: int
    """Its first address as an integer."""
    prefix: int
    """Its prefix length."""
    text: str
    """Its CIDR text, canonical when it comes from config or the plan."""

    @classmethod
    def of(cls, network: IPNetwork) -> PodBlock:
        """The block of a parsed ``ipaddress`` network."""
        return cls(network.version, int(network.network_address), network.prefixlen, str(network))

    def __str__(self) -> str:
        return self.text


def canonical_block(text: str) -> PodBlock | None:
    """The block of a CIDR already in canonical form, or None for anything else (parse_cidr then decides)."""
    address, slash, prefix_text = text.partition("/")
    if not slash or not _PREFIX.fullmatch(prefix_text):
        return None
    prefix = int(prefix_text)
    try:
        if ":" not in address:
            version, bits, value = 4, 32, _from_bytes(_inet_pton(_AF_INET, address), "big")
            canonical = text
        else:
            packed = _inet_pton(_AF_INET6, address)
            version, bits, value = 6, 128, _from_bytes(packed, "big")
            canonical = f"{_inet_ntop(_AF_INET6, packed)}/{prefix_text}"
            if value >> 32 == IPV4_MAPPED_PREFIX or "." in canonical:
                return None
    except (OSError, ValueError):
        return None
    if prefix > bits or value & ((1 << (bits - prefix)) - 1):
        return None
    return PodBlock(version, value, prefix, canonical)


def strict_block(text: object) -> PodBlock:
    """A block as a program wrote it (``10.200.0.0/24``, ``fd00:10:244::/64``), without host bits, its text kept;
    ValueError says what is wrong: "is not a CIDR", "has an invalid prefix length", "has host bits set"."""
    if not isinstance(text, str):
        raise ValueError("is not a CIDR")
    version, value, prefix = cidr_parts(text)
    if value & host_bits(version, prefix):
        raise ValueError("has host bits set")
    return PodBlock(version, value, prefix, text)


def lenient_block(text: str) -> PodBlock | None:
    """A podCIDR as kube-apiserver accepts it (netutils.ParseCIDRSloppy: host bits allowed, any IPv6 spelling), as
    the block it stands for, with the plan's canonical text; None when it is not a CIDR. Read with inet_pton, not
    ``ipaddress``: 5,000 dual-stack nodes are 10,000 of them."""
    try:
        version, value, prefix = cidr_parts(text)
    except ValueError:
        return None
    value &= ~host_bits(version, prefix)
    return PodBlock(version, value, prefix, f"{format_ip(value, version)}/{prefix}")
