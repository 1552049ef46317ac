"""``kthw:index:ClusterDns``: CoreDNS's objects, its Service at the plan's DNS IP."""

from __future__ import annotations

from typing import Any

import pulumi

from components.dns.coredns import coredns_objects
from components.dns.options import DnsOptions
from components.dns.rules import last_dns, moved_dns_warning
from components.kubernetes.component import ObjectGroup
from components.kubernetes.objects import ClusterObject
from components.network.model import CLUSTER_DOMAIN, NetworkPlan


def dns_objects(options: DnsOptions, plan: NetworkPlan) -> list[ClusterObject]:
    """Every object the cluster DNS puts into the cluster for ``plan``: none for none."""
    if options.mode != "coredns":
        return []
    return coredns_objects(plan.cluster_dns_ip, CLUSTER_DOMAIN, image=options.coredns.image,
                           replicas=options.coredns.replicas)


def announce(options: DnsOptions, plan: NetworkPlan, last_output: Any, *, hide_values: bool) -> None:
    """Warn where the DNS IP moves under a deployed kube-dns (before any resource is registered)."""
    last_mode, last_ip = last_dns(last_output)
    warning = moved_dns_warning(options.mode, last_mode, last_ip, plan.cluster_dns_ip, hide_values=hide_values)
    if warning is not None:
        pulumi.log.warn(warning)


class ClusterDns(ObjectGroup):
    """``kthw:index:ClusterDns``: one typed resource per object of the DNS server."""

    TYPE = "kthw:index:ClusterDns"
