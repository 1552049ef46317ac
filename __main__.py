"""kthw: remote access (SSH tunnel, admin credentials, kubeconfig) and the network plan of a hard-way cluster.

Read and check all config first (bad config registers no resource), build the components, then export the outputs
of the contract from one table.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.config.fingerprints import fingerprints
from components.config.load import namespace_config, read_settings, secret_config
from components.config.secret_config import Secrecy
from components.config.stack import last_deployment_outputs, own_stack_name
from components.dns.component import ClusterDns, dns_objects
from components.dns.component import announce as announce_dns
from components.kubeconfig.component import Kubeconfig
from components.kubeconfig.summary import kubeconfig_summary
from components.kubernetes.component import ClusterConnection
from components.network.component import ClusterNetwork, announce
from components.network.options import NETWORK_KEYS
from components.network.output import NETWORK_OUTPUT
from components.pki.api_server_sans import api_server_cert_sans
from components.pki.client import ClientCertificate
from components.pki.component import BREAK_GLASS_USER, PROVIDER_USER, AdminCredentials, check_certificate_lifetimes
from components.pki.last_ca import CA_SOURCE_OUTPUT, ca_source
from components.pki.options import CREDENTIAL_KEYS
from components.podnetwork.component import PodNetwork, pod_network_objects
from components.podnetwork.component import announce as announce_pod_network
from components.tunnel.component import ApiTunnel
from components.tunnel.options import TUNNEL_KEYS
from components.tunnel.preflight import check_tunnel_host
from components.users.bindings import user_prerequisites
from components.users.component import ClusterAccess, UserCredentials, access_objects
from components.users.record import REVOKED_OUTPUT, USERS_OUTPUT, reuse_warnings, revoked_record, user_entry

raw = namespace_config()
secret = secret_config(raw)
last_outputs = last_deployment_outputs()
settings, decision = read_settings(raw, secret, last_outputs)
hide_network = secret.any(*NETWORK_KEYS)
check_tunnel_host(settings.tunnel, hide_values=secret.any(*TUNNEL_KEYS))
announce(decision, hide_names=hide_network)
announce_pod_network(settings.pod_network, decision.plan, decision.last_output, hide_values=hide_network)
announce_dns(settings.dns, decision.plan, decision.last_output, hide_values=hide_network)
check_certificate_lifetimes(last_outputs, settings.pki, settings.ca_cert_not_after)

for warning in reuse_warnings(settings.users, last_outputs):
    pulumi.log.warn(warning)

credentials = AdminCredentials(
    "admin",
    admin_user=settings.admin_user,
    pki=settings.pki,
    access=settings.access,
    ca_cert_pem=settings.ca_cert_pem,
    ca_key_pem=settings.ca_key_pem,
    ca_cert_not_after=settings.ca_cert_not_after,
    opts=secret.options(*CREDENTIAL_KEYS),
)
tunnel = ApiTunnel(
    "api-tunnel", load_balancer=settings.load_balancer, tunnel=settings.tunnel, opts=secret.options(*TUNNEL_KEYS)
)
kubeconfig = Kubeconfig(
    "kubeconfig",
    cluster_name=settings.cluster_name,
    user=settings.admin_user,
    server=settings.api_server_url,
    ca_cert_pem=credentials.ca_cert_pem,
    client_cert_pem=credentials.admin_cert_pem,
    client_key_pem=credentials.admin_key_pem,
)
network = ClusterNetwork(
    "network",
    decision=decision,
    verify=settings.verify,
    kubeconfig=kubeconfig.kubeconfig,
    tunnel_opened=tunnel.opened,
    hide_values=hide_network,
    opts=secret.options("clusterName", *NETWORK_KEYS),
)


def client_kubeconfig(name: str, user: str, certificate: ClientCertificate) -> pulumi.Output[str]:
    """A kubeconfig for another identity of the CA (the provider's, the break-glass one), its context USER@CLUSTER."""
    return Kubeconfig(name, cluster_name=settings.cluster_name, user=user, server=settings.api_server_url,
                      ca_cert_pem=credentials.ca_cert_pem, client_cert_pem=certificate.cert_pem,
                      client_key_pem=certificate.key_pem, context_name=f"{user}@{settings.cluster_name}").kubeconfig


user_credentials = [
    UserCredentials(user, ca=credentials.ca, pki=settings.pki, cluster_name=settings.cluster_name,
                    server=settings.api_server_url, opts=secret.options("pki", "caCertPem"))
    for user in settings.users
]
if settings.needs_cluster:
    pod_objects = pod_network_objects(settings.pod_network, decision.plan)
    server_objects = dns_objects(settings.dns, decision.plan)
    grants = access_objects(settings.users, settings.access)
    # The provider's identity: the admin's, unless RBAC grants the admin (pki/component.py's PROVIDER_USER says why).
    provider_kubeconfig = (kubeconfig.kubeconfig if credentials.provider is None
                           else client_kubeconfig("provider-kubeconfig", PROVIDER_USER, credentials.provider))
    connection = ClusterConnection(
        "cluster", kubeconfig=provider_kubeconfig, objects=[*pod_objects, *server_objects, *grants],
        stack=own_stack_name(), options=settings.cluster_objects, prerequisites=user_prerequisites(settings.users),
        tunnel=tunnel.command, tunnel_opened=tunnel.opened,
    )
    for group, name, objects in ((PodNetwork, "pod-network", pod_objects), (ClusterDns, "dns", server_objects),
                                 (ClusterAccess, "access", grants)):
        if objects:
            group(name, objects=objects, connection=connection)

summary = kubeconfig_summary(server=settings.api_server_url, cluster_name=settings.cluster_name,
                             user=settings.admin_user, ca_cert_pem=credentials.ca_cert_pem,
                             client_cert_pem=credentials.admin_cert_pem)
# Keyed digests that show a change of secret config without showing it.
secret_fingerprints = credentials.ca_key_pem.apply(lambda key: fingerprints(key, secret.values))
sans = api_server_cert_sans(settings.load_balancer.address, decision.plan.kubernetes_service_ip)
users_record = pulumi.Output.all(*(item.cert_not_after for item in user_credentials)).apply(
    lambda ends: {user.name: user_entry(user, end) for user, end in zip(settings.users, ends, strict=True)})
revoked = revoked_record(last_outputs, {user.name for user in settings.users})
break_glass = credentials.break_glass

OUTPUTS: tuple[tuple[str, Any, Secrecy], ...] = (
    # output                     value                              secret: "always", "never", or as the keys it is from
    ("kubeconfig",               kubeconfig.kubeconfig,             "always"),
    ("tunnelCommand",            tunnel.tunnel_command,             TUNNEL_KEYS),
    ("apiServerUrl",             settings.api_server_url,           ("tunnel",)),
    ("clusterName",              settings.cluster_name,             ("clusterName",)),
    ("contextName",              settings.cluster_name,             ("clusterName",)),
    ("adminUser",                settings.admin_user,               ("adminUser",)),
    ("caCertPem",                credentials.ca_cert_pem,           ("caCertPem",)),
    ("caCertNotAfter",           credentials.ca_cert_not_after,     ("caCertPem", "pki")),
    ("adminCertPem",             credentials.admin_cert_pem,        CREDENTIAL_KEYS),
    ("adminCertNotAfter",        credentials.admin_cert_not_after,  ("pki",)),
    ("adminKeyPem",              credentials.admin_key_pem,         "always"),
    ("kubeconfigSummary",        summary,                           ("clusterName", "tunnel", *CREDENTIAL_KEYS)),
    (CA_SOURCE_OUTPUT,           ca_source(settings.ca_cert_pem),   ()),
    ("secretConfigFingerprints", secret_fingerprints,               "never"),
    ("apiServerCertSans",        sans,                              ("loadBalancer", *NETWORK_KEYS)),
    (NETWORK_OUTPUT,             network.network,                   NETWORK_KEYS),
    ("verification",             network.verification,              NETWORK_KEYS),  # None (not exported) without verify
    # Only when the config has users, removed ones, or a break-glass credential:
    (USERS_OUTPUT,               users_record if settings.users else None,                   "never"),
    ("userKubeconfigs",          {item.user_name: item.kubeconfig for item in user_credentials} or None, "always"),
    (REVOKED_OUTPUT,             revoked or None,                   "never"),
    ("breakGlassKubeconfig",     break_glass and client_kubeconfig("break-glass-kubeconfig", BREAK_GLASS_USER,
                                                                   break_glass), "always"),
    ("breakGlassCertNotAfter",   break_glass and break_glass.not_after, "never"),
)

for name, value, secrecy in OUTPUTS:
    if value is not None:
        pulumi.export(name, secret.output(value, secrecy))
