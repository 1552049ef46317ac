"""What the preview says of a change to the cluster DNS that Kubernetes cannot make in place."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def last_dns(last_output: Any) -> tuple[str | None, str | None]:
    """(the DNS server, its IP) the last deployment's ``network`` output records; (None, None) before the first
    deployment, or from a release that recorded no DNS server (none, then)."""
    if not isinstance(last_output, Mapping):
        return None, None
    mode, ip = last_output.get("dns", "none"), last_output.get("clusterDnsIp")
    return (mode if isinstance(mode, str) else None), (ip if isinstance(ip, str) else None)


def moved_dns_warning(mode: str, last_mode: str | None, last_ip: str | None, ip: str, *,
                      hide_values: bool = False) -> str | None:
    """kube-dns's clusterIP cannot change: a new DNS IP replaces the Service (the preview shows a replacement), and
    every kubelet's clusterDNS must follow. None when the IP stays, or there was no kube-dns."""
    if mode != "coredns" or last_mode != "coredns" or last_ip in (None, ip):
        return None
    change = "changes" if hide_values else f"changes from {last_ip} to {ip}"
    return (f"the cluster DNS IP {change} (network.serviceCidr or network.dnsServiceIndex): a Service's clusterIP "
            "cannot change, so this update deletes the kube-dns Service and makes it again (DNS is down in "
            "between), and every kubelet's clusterDNS must be changed to the new IP (the plan's kubelet settings), "
            "or its pods keep asking the old one")
