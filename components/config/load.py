"""The program's start: every ``kthw:`` config value the engine passed, and the settings and network decision made
from them and the last deployment's outputs, or one error listing every problem, before any resource is
registered."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from components.config.errors import AnyConfigError, problem_lines
from components.config.secret_config import SecretConfig
from components.config.settings import Settings, parse_settings
from components.network.decision import NetworkDecision, plan_from_state
from components.network.last_deployment import LastDeploymentError, read_last_deployment
from components.network.options import NETWORK_KEYS
from components.network.output import NETWORK_OUTPUT
from components.pki.last_ca import last_ca

NAMESPACE = "kthw"


def namespace_config() -> dict[str, Any]:
    """Every key of the ``kthw`` namespace the engine passed, known or not (``pulumi.Config`` reads only the keys it
    is asked for, so a misspelt key would go unnoticed)."""
    prefix = f"{NAMESPACE}:"
    passed = {**pulumi.runtime.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    return {key.removeprefix(prefix): value for key, value in passed.items() if key.startswith(prefix)}


def secret_config(raw: Mapping[str, Any]) -> SecretConfig:
    """Which of the ``raw`` keys the engine holds as secrets, with their values."""
    return SecretConfig.of((key for key in raw if pulumi.runtime.is_config_secret(f"{NAMESPACE}:{key}")), raw)


def read_settings(
    raw: Mapping[str, Any], secret: SecretConfig, last_outputs: Mapping[str, Any]
) -> tuple[Settings, NetworkDecision]:
    """Every ``kthw:`` config value (``raw``), validated against the last deployment's outputs, and the network plan
    that keeps the blocks it gave; every problem is reported together, each naming its config key (and only its key
    where the value is secret), as a RunError."""
    hide_values = secret.any(*NETWORK_KEYS)
    try:
        last = read_last_deployment(last_outputs.get(NETWORK_OUTPUT), hide_names=hide_values)
    except LastDeploymentError as error:
        raise pulumi.RunError(f"kthw: {error}") from None
    try:
        settings = parse_settings(raw, secret.keys, last=last_ca(last_outputs))
    except AnyConfigError as error:
        raise pulumi.RunError(str(error)) from None
    try:
        return settings, plan_from_state(settings.network, last, last_outputs.get(NETWORK_OUTPUT),
                                         verify=settings.verify, hide_values=hide_values)
    except AnyConfigError as error:
        raise pulumi.RunError("\n".join(problem_lines(error.errors, hide_values))) from None
