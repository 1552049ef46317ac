"""Whether a machine can be reached at an address: the addresses kubelet refuses as a node IP, and ssh cannot use.

kubelet's validateNodeIP (kubernetes/kubernetes pkg/kubelet/kubelet_node_status.go) refuses a loopback, multicast,
link-local unicast or unspecified ("all zeros") node IP, as Go's net.IP methods IsLoopback, IsMulticast,
IsLinkLocalUnicast and IsUnspecified define them. The IPv4 limited broadcast address is refused as well: no host
holds it, so neither a route nor ssh can use it. The checks are integer comparisons, so that 5,000 nodes cost
next to nothing.
"""

from __future__ import annotations

from components.network.addresses import IPAddress

USABLE_ADDRESS = "an address other machines reach the host at: not loopback, unspecified, multicast or link-local"
"""What a refused address should have been, for the ``accepted`` part of a ConfigError."""

_IPV4_BROADCAST = 0xFFFFFFFF


def unusable_reason(value: int, version: int) -> str | None:
    """Why the address ``value`` of IP ``version`` cannot be a node's or load balancer's address, or None."""
    if version == 4:
        if value == 0:
            return "the unspecified address"
        if value >> 24 == 127:
            return "a loopback address (127.0.0.0/8)"
        if value >> 28 == 0xE:
            return "a multicast address (224.0.0.0/4)"
        if value >> 16 == 0xA9FE:
            return "a link-local address (169.254.0.0/16)"
        if value == _IPV4_BROADCAST:
            return "the broadcast address"
        return None
    if value == 0:
        return "the unspecified address"
    if value == 1:
        return "the loopback address"
    if value >> 120 == 0xFF:
        return "a multicast address (ff00::/8)"
    if value >> 118 == 0x3FA:
        return "a link-local address (fe80::/10)"
    return None


def unusable_address_reason(address: IPAddress) -> str | None:
    """Why ``address`` cannot be a node's or the load balancer's address (e.g. "a loopback address (127.0.0.0/8)"),
    or None when it can. Word a refusal as f"{address} is {reason}"."""
    return unusable_reason(int(address), address.version)
