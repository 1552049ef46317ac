"""Strict parsing of IP addresses and CIDRs, as Go's parsers and the Kubernetes API read them.

Python's ``ipaddress`` accepts forms that kube-apiserver and kube-controller-manager reject (netmask notation,
host bits, IPv4-mapped IPv6, surrounding blanks). Everything the plan reads goes through these two functions, so
such a value is refused at ``pulumi preview`` instead of by the cluster later.
"""

from __future__ import annotations

import ipaddress
import re
import socket

from components.config.errors import ConfigError
from components.config.shown import shown

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

IPV4_MAPPED_PREFIX = 0xFFFF
"""The first 96 bits of an IPv4-mapped IPv6 address (::ffff:a.b.c.d), which parse_ip refuses with its own message."""

_OCTET = r"(0|[1-9][0-9]{0,2})"
_IPV4 = re.compile(rf"{_OCTET}\.{_OCTET}\.{_OCTET}\.{_OCTET}")
_PREFIX_LENGTH = re.compile(r"^(0|[1-9][0-9]{0,2})$")


def family_name(version: int) -> str:
    """``IPv4`` or ``IPv6`` for an ``ipaddress`` version number."""
    return "IPv4" if version == 4 else "IPv6"


def parse_ip(value: object, key: str) -> IPAddress:
    """Parse one IP address; IPv4 without leading zeros, IPv6 not IPv4-mapped and without a zone."""
    accepted = "an IPv4 or IPv6 address such as 10.240.0.20 or fd00::20"
    if not isinstance(value, str):
        raise ConfigError(key, f"{shown(value)} is not a string", accepted, safe=True)
    if value == "" or value != value.strip():
        raise ConfigError(key, f"{shown(value)} is empty or has surrounding blanks", accepted, safe=True)
    if "%" in value:
        raise ConfigError(key, f"{shown(value)} has an IPv6 zone, which Kubernetes does not accept", accepted,
                          safe=True)
    if ":" not in value:
        match = _IPV4.fullmatch(value)
        if match:
            a, b, c, d = (int(octet) for octet in match.groups())
            if max(a, b, c, d) <= 255:
                return ipaddress.IPv4Address(a << 24 | b << 16 | c << 8 | d)
        octets = value.split(".")
        if not value.isascii():
            raise ConfigError(key, f"{shown(value)} has characters other than ASCII digits and dots", accepted,
                              safe=True)
        if len(octets) == 4 and all(octet.isdigit() for octet in octets):
            raise ConfigError(key, f"{shown(value)} has an IPv4 octet with a leading zero or above 255", accepted,
                              safe=True)
        raise ConfigError(key, f"{shown(value)} is not an IP address", accepted, safe=True)
    try:
        # inet_pton reads the same IPv6 syntax as ipaddress, five times faster (it counts with 5,000 nodes).
        address = ipaddress.IPv6Address(int.from_bytes(socket.inet_pton(socket.AF_INET6, value), "big"))
    except (OSError, ValueError):
        raise ConfigError(key, f"{shown(value)} is not an IP address", accepted, safe=True) from None
    if address.ipv4_mapped is not None:
        raise ConfigError(
            key, f"{shown(value)} is an IPv4-mapped IPv6 address; write the IPv4 address {address.ipv4_mapped}",
            accepted, without_values="is an IPv4-mapped IPv6 address",
        )
    return address


def parse_cidr(value: object, key: str) -> IPNetwork:
    """Parse one CIDR in canonical ``address/prefix`` form, naming the network that was probably meant."""
    accepted = "a CIDR such as 10.200.0.0/16 or fd00:10:244::/56"
    if not isinstance(value, str):
        raise ConfigError(key, f"{shown(value)} is not a string", accepted, safe=True)
    if value.count("/") != 1:
        if value.count("/") == 0 and value.strip() and "," not in value:
            raise ConfigError(key, f"{shown(value)} is an address, not a CIDR: add the prefix length", accepted,
                              safe=True)
        raise ConfigError(key, f"{shown(value)} is not a CIDR", accepted, safe=True)
    address_text, prefix_text = value.split("/")
    address = parse_ip(address_text, key)
    bits = address.max_prefixlen
    if "." in prefix_text or ":" in prefix_text:
        hint = ""
        try:
            network = ipaddress.ip_network(f"{address_text}/{prefix_text}", strict=False)
            hint = f"; write it as {network.network_address}/{network.prefixlen}"
        except ValueError:
            pass
        raise ConfigError(key, f"{shown(value)} uses netmask notation{hint}", accepted,
                          without_values="uses netmask notation")
    if not _PREFIX_LENGTH.fullmatch(prefix_text) or int(prefix_text) > bits:
        raise _prefix_length_error(value, prefix_text, address.version, key, accepted)
    network = ipaddress.ip_network(f"{address}/{prefix_text}", strict=False)
    if network.network_address != address:
        raise ConfigError(key, f"{shown(value)} has host bits set; did you mean {network}?", accepted,
                          without_values="has host bits set")
    return network


def cidr_list(value: object, key: str) -> tuple[IPNetwork, ...]:
    """One CIDR, or two separated by a comma (one per family: the rules check that), each read by ``parse_cidr``."""
    if not isinstance(value, str):
        raise ConfigError(key, f"{shown(value)} is not a string", "one CIDR, or two separated by a comma", safe=True)
    return tuple(parse_cidr(part, key) for part in value.split(","))


def _prefix_length_error(value: str, prefix_text: str, version: int, key: str, accepted: str) -> ConfigError:
    """What is wrong with the prefix length of ``value`` (``prefix_text``, after its '/'): Go's parsers, and so the
    Kubernetes API, read only 0 to 32 (IPv4) or 128 (IPv6) in ASCII digits without a leading zero."""
    bits = 32 if version == 4 else 128
    if prefix_text == "":
        return ConfigError(key, f"{shown(value)} has no prefix length after its '/'", accepted, safe=True)
    if any(character in "\n\r\v\f\x85\u2028\u2029" for character in prefix_text):
        return ConfigError(key, f"{shown(value)} has a line break in its prefix length", accepted, safe=True)
    if any(character.isspace() for character in prefix_text):
        return ConfigError(key, f"{shown(value)} has a blank in its prefix length", accepted, safe=True)
    if not prefix_text.isascii():
        if prefix_text.isdecimal():
            return ConfigError(key, f"{shown(value)} writes its prefix length in non-ASCII digits; write "
                               f"/{int(prefix_text)} in ASCII digits", accepted,
                               without_values="writes its prefix length in non-ASCII digits")
        return ConfigError(key, f"{shown(value)} has characters other than ASCII digits in its prefix length",
                           accepted, safe=True)
    if prefix_text.isdigit() and int(prefix_text) <= bits:
        return ConfigError(key, f"{shown(value)} has a leading zero in its prefix length; write /{int(prefix_text)}",
                           accepted, without_values="has a leading zero in its prefix length")
    return ConfigError(
        key, f"{shown(value)} has an invalid prefix length (0 to {bits} for {family_name(version)})", accepted,
        safe=True,
    )


def cidr_parts(text: str) -> tuple[int, int, int]:
    """``(version, first address as an integer, prefix length)`` of CIDR text a program wrote (the stack's output,
    a Node object), host bits kept. Read with inet_pton: thousands of them cost no ``ipaddress`` objects. Raises
    ValueError saying what is wrong: "is not a CIDR" or "has an invalid prefix length"."""
    address, slash, prefix_text = text.partition("/")
    if not slash or "/" in prefix_text:
        raise ValueError("is not a CIDR")
    version, family, bits = (6, socket.AF_INET6, 128) if ":" in address else (4, socket.AF_INET, 32)
    try:
        value = int.from_bytes(socket.inet_pton(family, address), "big")
    except OSError:
        raise ValueError("is not a CIDR") from None
    if not (prefix_text.isascii() and prefix_text.isdigit()) or int(prefix_text) > bits:
        raise ValueError("has an invalid prefix length")
    return version, value, int(prefix_text)


_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
_INET_ATON_LAST_PART_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)
"""glibc's inet_aton: the largest last part after 0 to 3 one-byte parts (a, a.b, a.b.c, a.b.c.d)."""


def getaddrinfo_ipv4(text: str) -> int | None:
    """The IPv4 address glibc's getaddrinfo (and so ssh) reads the host name ``text`` as, or None when it looks the
    name up instead. getaddrinfo takes what inet_aton takes, exactly (resolv/inet_addr.c, __inet_aton_exact): one to
    four parts separated by dots, each decimal, octal (a leading 0) or hexadecimal (0x), at most 0xffffffff; every
    part but the last is one byte, the last fills the remaining bytes (``127.1`` is 127.0.0.1, ``2130706433`` and
    ``0x7f000001`` are too)."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART.fullmatch(part) for part in parts):
        return None
    values = [int(part[2:], 16) if part[1:2] in ("x", "X") else int(part, 8 if part[0] == "0" else 10)
              for part in parts]
    *head, last = values
    if any(value > 0xFF for value in head) or last > _INET_ATON_LAST_PART_MAX[len(head)]:
        return None
    address = 0
    for index, value in enumerate(head):
        address |= value << (24 - 8 * index)
    return address | last


def host_bits(version: int, prefix: int) -> int:
    """The mask of the host bits of a ``prefix``-bit network of IP ``version``."""
    return (1 << ((32 if version == 4 else 128) - prefix)) - 1


def format_ip(value: int, version: int) -> str:
    """The canonical text of an address given as an integer (RFC 5952 for IPv6), faster than ``ipaddress``."""
    if version == 4:
        return socket.inet_ntoa(value.to_bytes(4, "big"))
    # inet_ntop writes RFC 5952 text in C (it counts with 5,000 nodes), except that it writes an address whose
    # first 96 bits are zero with a dotted IPv4 tail: those few are formatted here, as Go and ipaddress write them.
    text = socket.inet_ntop(socket.AF_INET6, value.to_bytes(16, "big"))
    return text if "." not in text else _format_ipv6(value)


def _format_ipv6(value: int) -> str:
    digits = f"{value:032x}"
    texts = [digits[i:i + 4].lstrip("0") or "0" for i in range(0, 32, 4)]
    best_start, best_length, start = -1, 1, -1  # the longest run of two or more zero groups becomes "::"
    for index, text in enumerate([*texts, ""]):
        if text == "0" and start < 0:
            start = index
        elif text != "0" and start >= 0:
            if index - start > best_length:
                best_start, best_length = start, index - start
            start = -1
    if best_start < 0:
        return ":".join(texts)
    return ":".join(texts[:best_start]) + "::" + ":".join(texts[best_start + best_length:])
