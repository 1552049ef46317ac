"""kthw: remote access (SSH tunnel, admin credentials, kubeconfig) and the network plan of a hard-way cluster.

Thin on purpose: read and validate all config first (so bad config registers no resource), then build the
components and export the outputs of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pulumi

from components.api_server_sans import api_server_cert_sans
from components.certificate_lifetimes import lifetime_warnings
from components.cluster_network import ClusterNetwork, plan_this_deployment
from components.credentials import AdminCredentials
from components.errors import ConfigError
from components.kubeconfig import Kubeconfig
from components.kubeconfig_summary import kubeconfig_summary
from components.network_plan import NetworkPlan
from components.previous_outputs import previous_outputs
from components.settings import TOP_LEVEL_KEYS, Settings, parse_settings
from components.tunnel import ApiTunnel
from components.verify import ClusterVerification

NAMESPACE = "kthw"


def read_settings(previous: Mapping[str, Any]) -> tuple[Settings, NetworkPlan]:
    """Every ``kthw:`` config value, validated, and the network plan that keeps the blocks of the last deployment
    (``previous``: its outputs); a problem stops the program with a message naming its config key, before any
    resource is registered."""
    config = pulumi.Config(NAMESPACE)
    raw = {key: config.get(key) for key in TOP_LEVEL_KEYS}
    secret_keys = [key for key in TOP_LEVEL_KEYS if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")]
    try:
        settings = parse_settings(raw, secret_keys)
        return settings, plan_this_deployment(settings.network, previous)
    except ConfigError as error:
        raise pulumi.RunError(str(error)) from None


previous = previous_outputs()
settings, plan = read_settings(previous)
for warning in lifetime_warnings(
    previous,
    early_renewal_hours=settings.pki.early_renewal_hours,
    ca_warning_days=settings.pki.ca_expiry_warning_days,
    existing_ca_pem=settings.ca_cert_pem,
    now=datetime.now(UTC),
    dry_run=pulumi.runtime.is_dry_run(),
):
    pulumi.log.warn(warning)

network = ClusterNetwork("network", plan=plan)
credentials = AdminCredentials(
    "admin",
    admin_user=settings.admin_user,
    pki=settings.pki,
    ca_cert_pem=settings.ca_cert_pem,
    ca_key_pem=settings.ca_key_pem,
)
tunnel = ApiTunnel("api-tunnel", load_balancer=settings.load_balancer, tunnel=settings.tunnel)
kubeconfig = Kubeconfig(
    "kubeconfig",
    cluster_name=settings.cluster_name,
    user=settings.admin_user,
    server=settings.api_server_url,
    ca_cert_pem=credentials.ca_cert_pem,
    client_cert_pem=credentials.admin_cert_pem,
    client_key_pem=credentials.admin_key_pem,
)

pulumi.export("kubeconfig", kubeconfig.kubeconfig)
pulumi.export("tunnelCommand", tunnel.tunnel_command)
pulumi.export("apiServerUrl", settings.api_server_url)
pulumi.export("clusterName", settings.cluster_name)
pulumi.export("contextName", settings.cluster_name)
pulumi.export("adminUser", settings.admin_user)
pulumi.export("caCertPem", credentials.ca_cert_pem)
pulumi.export("caCertNotAfter", credentials.ca_cert_not_after)
pulumi.export("adminCertPem", credentials.admin_cert_pem)
pulumi.export("adminCertNotAfter", credentials.admin_cert_not_after)
pulumi.export("kubeconfigSummary", kubeconfig_summary(
    server=settings.api_server_url,
    cluster_name=settings.cluster_name,
    user=settings.admin_user,
    ca_cert_pem=credentials.ca_cert_pem,
    client_cert_pem=credentials.admin_cert_pem,
))
pulumi.export("adminKeyPem", credentials.admin_key_pem)
pulumi.export(
    "apiServerCertSans",
    api_server_cert_sans(settings.load_balancer.address, plan.kubernetes_service_ip),
)
pulumi.export("network", network.network)

if settings.verify:
    verification = ClusterVerification(
        "verify",
        kubeconfig=kubeconfig.kubeconfig,
        network=network.network,
        tunnel_opened=tunnel.opened,
    )
    pulumi.export("verification", verification.result)
