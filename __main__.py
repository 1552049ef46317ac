"""kthw: remote access (SSH tunnel, admin credentials, kubeconfig) and the network plan of a hard-way cluster.

Thin on purpose: read and validate all config first (so bad config registers no resource), then build the
components and export the outputs of the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pulumi

from components.cluster.verify import ClusterVerification
from components.config.errors import AnyConfigError, problem_lines
from components.config.fingerprints import fingerprints
from components.config.secret_config import SecretConfig
from components.config.settings import Settings, parse_settings
from components.config.stack import previous_outputs
from components.kubeconfig.component import Kubeconfig
from components.kubeconfig.summary import kubeconfig_summary
from components.network.decision import (
    NETWORK_OUTPUT,
    ClusterNetwork,
    PlannedNetwork,
    last_deployment,
    plan_from_state,
    state_refusal_warning,
)
from components.network.last_deployment import PreviousDeployment
from components.network.node_changes import node_changes, summary_line
from components.pki.api_server_sans import api_server_cert_sans
from components.pki.component import AdminCredentials
from components.pki.last_ca import CA_SOURCE_OUTPUT, ca_source, last_ca
from components.pki.lifetimes import expired_ca_problem, generated_ca_not_after, lifetime_warnings
from components.tunnel.component import ApiTunnel
from components.tunnel.preflight import check_tunnel_host

NAMESPACE = "kthw"


def namespace_config() -> dict[str, Any]:
    """Every key of the ``kthw`` namespace the engine passed, known or not (``pulumi.Config`` reads only the keys it
    is asked for, so a misspelt key would go unnoticed)."""
    prefix = f"{NAMESPACE}:"
    passed = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    return {key.removeprefix(prefix): value for key, value in passed.items() if key.startswith(prefix)}


def read_settings(
    raw: dict[str, Any], secret: SecretConfig, previous: Mapping[str, Any], last: PreviousDeployment | None
) -> tuple[Settings, PlannedNetwork]:
    """Every ``kthw:`` config value (``raw``), validated against the last deployment's outputs (``previous``), and
    the network plan that keeps the blocks it gave (``last``); every problem is reported together, each naming its
    config key, before any resource is registered."""
    try:
        settings = parse_settings(raw, secret.keys, last=last_ca(previous))
    except AnyConfigError as error:
        raise pulumi.RunError(str(error)) from None
    hide_values = secret.any(*NETWORK_KEYS)
    try:
        return settings, plan_from_state(settings.network, last, previous.get(NETWORK_OUTPUT), verify=settings.verify,
                                         hide_values=hide_values)
    except AnyConfigError as error:
        raise pulumi.RunError("\n".join(problem_lines(error.errors, hide_values))) from None


# The keys each value comes from: whatever comes from a key set with --secret stays secret.
NETWORK_KEYS = ("network", "nodes")
TUNNEL_KEYS = ("loadBalancer", "tunnel")
CREDENTIAL_KEYS = ("adminUser", "pki", "caCertPem")

raw = namespace_config()
secret = SecretConfig.of((key for key in raw if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")), raw)
previous = previous_outputs()
last = last_deployment(previous, hide_names=secret.any(*NETWORK_KEYS))
settings, planned = read_settings(raw, secret, previous, last)
check_tunnel_host(settings.tunnel, hide_values=secret.any(*TUNNEL_KEYS))
plan = planned.plan
if planned.state_refusals and pulumi.runtime.is_dry_run():
    pulumi.log.warn(state_refusal_warning(planned.state_refusals))
if pulumi.runtime.is_dry_run():  # one line for the pull-request comment's summary (scripts/preview_comment.py)
    pulumi.log.info(summary_line(node_changes(planned.last, planned.recorded, plan),
                                 hide_names=secret.any(*NETWORK_KEYS)))
for warning in planned.warnings:
    pulumi.log.warn(warning)
now = datetime.now(UTC)
generated_ca_end = generated_ca_not_after(previous, settings.ca_cert_not_after)
if generated_ca_end is not None and (expired := expired_ca_problem(generated_ca_end, now)):
    raise pulumi.RunError(expired)  # before the engine meets the protected CA the provider would replace
for warning in lifetime_warnings(
    previous,
    early_renewal_hours=settings.pki.early_renewal_hours,
    ca_warning_days=settings.pki.ca_expiry_warning_days,
    existing_ca_not_after=settings.ca_cert_not_after,
    now=now,
    validity_hours=settings.pki.validity_hours,
    dry_run=pulumi.runtime.is_dry_run(),
):
    pulumi.log.warn(warning)
network = ClusterNetwork("network", planned=planned)
credentials = AdminCredentials(
    "admin",
    admin_user=settings.admin_user,
    pki=settings.pki,
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

pulumi.export("kubeconfig", kubeconfig.kubeconfig)  # secret
pulumi.export("tunnelCommand", secret.wrap(tunnel.tunnel_command, *TUNNEL_KEYS))
pulumi.export("apiServerUrl", secret.wrap(settings.api_server_url, "tunnel"))
pulumi.export("clusterName", secret.wrap(settings.cluster_name, "clusterName"))
pulumi.export("contextName", secret.wrap(settings.cluster_name, "clusterName"))
pulumi.export("adminUser", secret.wrap(settings.admin_user, "adminUser"))
pulumi.export("caCertPem", secret.wrap(credentials.ca_cert_pem, "caCertPem"))
pulumi.export("caCertNotAfter", secret.wrap(credentials.ca_cert_not_after, "caCertPem", "pki"))
pulumi.export("adminCertPem", secret.wrap(credentials.admin_cert_pem, *CREDENTIAL_KEYS))
pulumi.export("adminCertNotAfter", secret.wrap(credentials.admin_cert_not_after, "pki"))
pulumi.export("kubeconfigSummary", secret.wrap(kubeconfig_summary(
    server=settings.api_server_url,
    cluster_name=settings.cluster_name,
    user=settings.admin_user,
    ca_cert_pem=credentials.ca_cert_pem,
    client_cert_pem=credentials.admin_cert_pem,
), "clusterName", "tunnel", *CREDENTIAL_KEYS))
pulumi.export("adminKeyPem", credentials.admin_key_pem)  # secret
pulumi.export(CA_SOURCE_OUTPUT, ca_source(settings.ca_cert_pem is not None))
# Plain: keyed digests that show a change of secret config without showing it.
pulumi.export("secretConfigFingerprints", pulumi.Output.unsecret(
    credentials.ca_key_pem.apply(lambda key: fingerprints(key, secret.values))))
pulumi.export(
    "apiServerCertSans",
    secret.wrap(api_server_cert_sans(settings.load_balancer.address, plan.kubernetes_service_ip),
                "loadBalancer", *NETWORK_KEYS),
)

if settings.verify:
    # The cluster's nodes keep their podCIDRs: an update records the plan verify made with them.
    verification = ClusterVerification(
        "verify",
        kubeconfig=kubeconfig.kubeconfig,
        planned=planned,
        tunnel_opened=tunnel.opened,
        hide_values=secret.any(*NETWORK_KEYS),
        opts=secret.options("clusterName", *NETWORK_KEYS),
    )
    pulumi.export("network", secret.wrap(verification.network, *NETWORK_KEYS))
    pulumi.export("verification", secret.wrap(verification.result, *NETWORK_KEYS))
else:
    pulumi.export("network", secret.wrap(network.network, *NETWORK_KEYS))
