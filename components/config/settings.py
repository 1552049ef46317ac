"""All config of the ``kthw`` namespace, parsed and validated in one place before any resource is registered: the
top-level keys are Settings' fields, and each package parses its own keys into its options.

Pulumi hands top-level values over as strings and structured values as JSON text; ``parse_settings`` accepts
either that or already-decoded values, so it is tested without Pulumi.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import re
import shlex
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from components.config.errors import ConfigError, Problems, raise_all
from components.config.objects import default_of, keys, known_keys
from components.config.shown import hiding_values, key_text
from components.config.values import boolean, or_default, unknown_key_problem
from components.dns.options import DnsOptions, parse_dns
from components.kubeconfig.options import (
    CLUSTER_NAME_MAX,
    COMMON_NAME_MAX,
    DEFAULT_ADMIN_USER,
    DEFAULT_CLUSTER_NAME,
    parse_name,
)
from components.kubernetes.options import ClusterObjectsOptions, parse_cluster_objects
from components.network.model import NetworkSpec
from components.network.options import parse_network
from components.pki.last_ca import LastCa
from components.pki.options import NO_CA, PkiOptions, parse_ca_pair, parse_pki
from components.podnetwork.options import PodNetworkOptions, parse_pod_network
from components.podnetwork.rules import pod_network_problems
from components.tunnel.options import (
    LoadBalancer,
    TunnelOptions,
    load_balancer_outside_ranges,
    parse_tunnel,
    required_load_balancer,
)
from components.users.options import AccessOptions, UserOptions, parse_access
from components.users.rules import checked_users

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class Settings:
    """The whole validated config: one field per top-level key (``caCertNotAfter`` aside), in the order messages list
    the keys."""

    cluster_name: str = DEFAULT_CLUSTER_NAME
    """The kubeconfig's cluster and context name."""
    admin_user: str = DEFAULT_ADMIN_USER
    """The kubeconfig's user and the admin certificate's CN."""
    load_balancer: LoadBalancer
    tunnel: TunnelOptions = field(default_factory=TunnelOptions)
    pki: PkiOptions = field(default_factory=PkiOptions)
    ca_cert_pem: str | None = None
    """The cluster's CA certificate; None: the stack generates a CA."""
    ca_key_pem: str | None = None
    """Its private key (secret config)."""
    ca_cert_not_after: datetime.datetime | None = field(default=None, metadata=keys())
    """When the configured CA expires, as read while checking caCertPem (None without one)."""
    network: NetworkSpec = field(metadata=keys("network", "nodes", "nodesFile"))
    """``network`` and the node list, from ``nodes`` or ``nodesFile``."""
    verify: bool = False
    """Whether `pulumi up` checks the live cluster through the kubeconfig."""
    pod_network: PodNetworkOptions = field(default_factory=PodNetworkOptions,
                                           metadata=keys("podNetwork", "weave", "flannel"))
    """The pod network the plan is carried into the cluster with, and its options."""
    dns: DnsOptions = field(default_factory=DnsOptions, metadata=keys("dns", "coredns"))
    """The cluster DNS kthw deploys at the plan's DNS IP, and its options."""
    users: tuple[UserOptions, ...] = ()
    """People and robots with certificates of their own, and the access RBAC grants them."""
    access: AccessOptions = field(default_factory=AccessOptions,
                                  metadata=keys("adminAccess", "breakGlass", "kubeletApiUser"))
    """How the admin is authorized, the break-glass credential, and kube-apiserver's access to the kubelets."""
    cluster_objects: ClusterObjectsOptions = field(default_factory=ClusterObjectsOptions)
    """How objects go into the cluster: the readiness wait, and the objects kthw may take over."""

    @property
    def needs_cluster(self) -> bool:
        """Whether the stack puts objects into the cluster (and so needs the kubernetes plugin and the cluster)."""
        return (self.pod_network.mode != "none" or self.dns.mode != "none" or bool(self.users)
                or self.access.admin_access == "rbac" or self.access.kubelet_api_user is not None)

    @property
    def api_server_url(self) -> str:
        return f"https://localhost:{self.tunnel.local_port}"


TOP_LEVEL_KEYS = known_keys(Settings)
"""Every key of the ``kthw`` namespace."""


def _unknown_key(name: str) -> ConfigError:
    """An unknown top-level key, with the closest known one, or the --path command for ``tunnel.localPort``."""
    head, shown_name = re.split(r"[.\[]", name, maxsplit=1)[0], key_text(name)
    if head != name and head in TOP_LEVEL_KEYS and shown_name == name:
        return ConfigError(
            name, f"is not a known key: it looks like a path inside kthw:{head}, set without --path",
            f"pulumi config rm {shlex.quote(name)} && pulumi config set --path {shlex.quote(name)} VALUE", safe=True)
    return ConfigError(shown_name, unknown_key_problem(name, TOP_LEVEL_KEYS), "one of " + ", ".join(TOP_LEVEL_KEYS),
                       safe=True)


def parse_settings(
    raw: Mapping[str, Any], secret_keys: Collection[str] = (), now: datetime.datetime | None = None,
    last: LastCa | None = None,
) -> Settings:
    """Parse and validate the whole ``kthw`` config, reporting every independent problem together (a
    CollectedConfigError when there are several). ``raw`` maps keys without namespace to values; ``secret_keys``
    names the keys stored as secrets: messages about them never show their values; ``last`` is the CA the last
    deployment signed with (None before the first)."""
    problems = Problems()
    problems.errors += [_unknown_key(name) for name in raw if name not in TOP_LEVEL_KEYS]

    def read(keys: str, parse: Callable[[], T], fallback: T) -> T:
        """``parse``'s result; its problems collected, and shown without values when one of ``keys`` is secret."""
        with hiding_values() if any(key in secret_keys for key in keys.split()) else contextlib.nullcontext():
            return problems.check(parse, fallback)

    cluster_name = read("clusterName", lambda: parse_name(
        or_default(raw, "clusterName", DEFAULT_CLUSTER_NAME), "clusterName", CLUSTER_NAME_MAX), "")
    admin_user = read("adminUser", lambda: parse_name(
        or_default(raw, "adminUser", DEFAULT_ADMIN_USER), "adminUser", COMMON_NAME_MAX), "")
    load_balancer = read("loadBalancer", lambda: required_load_balancer(raw.get("loadBalancer")), None)
    tunnel = read("tunnel", lambda: parse_tunnel(raw.get("tunnel")), TunnelOptions())
    pki = read("pki", lambda: parse_pki(raw.get("pki")), None)
    # caKeyPem is always secret, and no message shows anything of it: what hides values is caCertPem or pki.
    ca_cert, ca_key, ca_not_after = read("caCertPem pki", lambda: parse_ca_pair(raw, secret_keys, pki, now, last),
                                         NO_CA)
    network = read("network nodes nodesFile",
                   lambda: parse_network(raw.get("network"), raw.get("nodes"), raw.get("nodesFile")), None)
    verify = read("verify", lambda: boolean(or_default(raw, "verify", default_of(Settings, "verify")), "verify"), False)
    if load_balancer is not None and network is not None:
        read("loadBalancer network", lambda: load_balancer_outside_ranges(load_balancer.address, network), None)
    pod_network = read("podNetwork weave flannel", lambda: parse_pod_network(
        raw.get("podNetwork"), raw.get("weave"), raw.get("flannel")), PodNetworkOptions())
    dns = read("dns coredns", lambda: parse_dns(raw.get("dns"), raw.get("coredns")), DnsOptions())
    no_users: tuple[UserOptions, ...] = ()
    users = read("users", lambda: checked_users(raw.get("users"), admin_user, users_secret="users" in secret_keys),
                 no_users)
    access = read("adminAccess breakGlass kubeletApiUser", lambda: parse_access(
        raw.get("adminAccess"), raw.get("breakGlass"), raw.get("kubeletApiUser")), AccessOptions())
    cluster_objects = read("clusterObjects", lambda: parse_cluster_objects(raw.get("clusterObjects")),
                           ClusterObjectsOptions())
    if network is not None:
        versions = [cidr.version for cidr in network.cluster_cidrs]
        read("podNetwork network nodes", lambda: raise_all(pod_network_problems(
            pod_network, versions, nodes_secret="nodes" in secret_keys)), None)
    problems.raise_any()
    if load_balancer is None or pki is None or network is None:
        raise AssertionError("a reader failed without reporting a problem")
    return Settings(
        cluster_name=cluster_name,
        admin_user=admin_user,
        load_balancer=load_balancer,
        tunnel=tunnel,
        pki=pki,
        ca_cert_pem=ca_cert,
        ca_key_pem=ca_key,
        ca_cert_not_after=ca_not_after,
        network=dataclasses.replace(network, pod_network=pod_network.mode, cluster_dns=dns.mode),
        verify=verify,
        pod_network=pod_network,
        dns=dns,
        users=users,
        access=access,
        cluster_objects=cluster_objects,
    )
