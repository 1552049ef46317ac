"""All config of the ``kthw`` namespace, parsed and validated in one place before any resource is registered.

Pulumi hands top-level values over as strings and structured values as JSON text; ``parse_settings`` accepts
either that or already-decoded values, so it is tested without Pulumi.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from components.cidr import parse_ip
from components.config_values import boolean, file_path, integer_in, json_object, matching_string, one_of, or_default
from components.errors import ConfigError
from components.network_plan import NetworkSpec
from components.network_settings import parse_network

_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._:@-]{0,251}[A-Za-z0-9])?$")
_NAME_ACCEPTED = "1 to 253 letters, digits, '.', '_', ':', '@' or '-', starting and ending with a letter or digit"
_SSH_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
_HOSTNAME_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_HOSTNAME_LABEL}(\.{_HOSTNAME_LABEL})*$")
HOST_KEY_CHECKING = ("yes", "accept-new")
ALGORITHMS = ("RSA", "ECDSA")
RSA_BITS = (2048, 3072, 4096)
ECDSA_CURVES = ("P256", "P384", "P521")

TOP_LEVEL_KEYS = (
    "clusterName", "adminUser", "loadBalancer", "tunnel", "pki", "caCertPem", "caKeyPem", "network", "nodes", "verify",
)


@dataclass(frozen=True)
class LoadBalancer:
    """Where the operator's SSH tunnel lands, and where kube-apiserver listens as seen from there."""

    address: str
    user: str
    ssh_port: int = 22
    api_port: int = 6443


@dataclass(frozen=True)
class TunnelOptions:
    """The local end of the tunnel and how ssh verifies the load balancer."""

    local_port: int = 6443
    manage: bool = False
    identity_file: str | None = None
    known_hosts_file: str | None = None
    strict_host_key_checking: str | None = None


@dataclass(frozen=True)
class PkiOptions:
    """Key algorithm and validity of the admin (and generated CA) keys and certificates."""

    algorithm: str = "RSA"
    rsa_bits: int = 2048
    ecdsa_curve: str = "P256"
    validity_hours: int = 8760
    early_renewal_hours: int = 720
    ca_validity_hours: int = 87600
    ca_expiry_warning_days: int = 90


@dataclass(frozen=True)
class Settings:
    """The whole validated config."""

    load_balancer: LoadBalancer
    network: NetworkSpec
    cluster_name: str = "kubernetes-the-hard-way"
    admin_user: str = "admin"
    tunnel: TunnelOptions = TunnelOptions()
    pki: PkiOptions = PkiOptions()
    ca_cert_pem: str | None = None
    ca_key_pem: str | None = None
    verify: bool = False

    @property
    def api_server_url(self) -> str:
        return f"https://localhost:{self.tunnel.local_port}"


def parse_load_balancer(value: Any) -> LoadBalancer:
    """``loadBalancer``: address (IP or DNS name), SSH user, SSH port and the API server port behind it."""
    obj = json_object(value, "loadBalancer", ("address", "user", "sshPort", "apiPort"), ("address", "user"))
    address = obj["address"]
    if isinstance(address, str) and (":" in address or re.fullmatch(r"[0-9.]+", address)):
        address = str(parse_ip(address, "loadBalancer.address"))
    else:
        address = matching_string(address, "loadBalancer.address", _HOSTNAME, "an IP address or a DNS name")
    return LoadBalancer(
        address=address,
        user=matching_string(obj["user"], "loadBalancer.user", _SSH_USER,
                     "a user name of letters, digits, '_', '.' or '-', not starting with '-' or a digit"),
        ssh_port=integer_in(or_default(obj, "sshPort", 22), "loadBalancer.sshPort", 1, 65535),
        api_port=integer_in(or_default(obj, "apiPort", 6443), "loadBalancer.apiPort", 1, 65535),
    )


def parse_tunnel(value: Any) -> TunnelOptions:
    """``tunnel``: local port, whether `pulumi up` manages it, and ssh's identity and host key settings."""
    keys = ("localPort", "manage", "identityFile", "knownHostsFile", "strictHostKeyChecking")
    obj = json_object({} if value is None else value, "tunnel", keys)
    checking = obj.get("strictHostKeyChecking")
    if checking is not None:
        checking = one_of(checking, "tunnel.strictHostKeyChecking", HOST_KEY_CHECKING)
    return TunnelOptions(
        local_port=integer_in(or_default(obj, "localPort", 6443), "tunnel.localPort", 1, 65535),
        manage=boolean(or_default(obj, "manage", False), "tunnel.manage"),
        identity_file=(
            None if obj.get("identityFile") is None else file_path(obj["identityFile"], "tunnel.identityFile")
        ),
        known_hosts_file=(
            None if obj.get("knownHostsFile") is None else file_path(obj["knownHostsFile"], "tunnel.knownHostsFile")
        ),
        strict_host_key_checking=checking,
    )


def parse_pki(value: Any) -> PkiOptions:
    """``pki``: key algorithm and size, certificate validity and early renewal."""
    keys = ("algorithm", "rsaBits", "ecdsaCurve", "validityHours", "earlyRenewalHours", "caValidityHours",
            "caExpiryWarningDays")
    obj = json_object({} if value is None else value, "pki", keys)
    validity = integer_in(or_default(obj, "validityHours", 8760), "pki.validityHours", 1, 10 * 8784)
    return PkiOptions(
        algorithm=one_of(or_default(obj, "algorithm", "RSA"), "pki.algorithm", ALGORITHMS),
        rsa_bits=one_of(or_default(obj, "rsaBits", 2048), "pki.rsaBits", RSA_BITS),
        ecdsa_curve=one_of(or_default(obj, "ecdsaCurve", "P256"), "pki.ecdsaCurve", ECDSA_CURVES),
        validity_hours=validity,
        early_renewal_hours=integer_in(
            or_default(obj, "earlyRenewalHours", 720), "pki.earlyRenewalHours", 0, validity - 1
        ),
        ca_validity_hours=integer_in(or_default(obj, "caValidityHours", 87600), "pki.caValidityHours", 1, 30 * 8784),
        ca_expiry_warning_days=integer_in(
            or_default(obj, "caExpiryWarningDays", 90), "pki.caExpiryWarningDays", 0, 3660
        ),
    )


def parse_settings(raw: Mapping[str, Any], secret_keys: Collection[str] = ()) -> Settings:
    """Parse and validate the whole ``kthw`` config. ``raw`` maps keys without namespace to values;
    ``secret_keys`` names the keys stored as secrets."""
    for name in raw:
        if name not in TOP_LEVEL_KEYS and raw[name] is not None:
            raise ConfigError(name, "is not a known key", "one of " + ", ".join(TOP_LEVEL_KEYS))
    if raw.get("loadBalancer") is None:
        raise ConfigError("loadBalancer", "is required", "an object {address, user, sshPort?, apiPort?}")
    load_balancer = parse_load_balancer(raw["loadBalancer"])
    # Pulumi.yaml declares both with an empty default: empty means unset.
    ca_cert, ca_key = raw.get("caCertPem") or None, raw.get("caKeyPem") or None
    if (ca_cert is None) != (ca_key is None):
        missing = "caKeyPem" if ca_key is None else "caCertPem"
        raise ConfigError(missing, "is unset while its pair is set", "both caCertPem and caKeyPem, or neither")
    if ca_key is not None:
        if "caKeyPem" not in secret_keys:
            raise ConfigError("caKeyPem", "is stored in plain text",
                              "a secret: pulumi config set --secret caKeyPem < ca-key.pem")
        # Imported here: cryptography costs a tenth of a second at every start, and only this check needs it.
        from components.ca_pem import validate_ca_pair

        validate_ca_pair(ca_cert, ca_key)
    return Settings(
        cluster_name=matching_string(or_default(raw, "clusterName", "kubernetes-the-hard-way"), "clusterName", _NAME,
                             _NAME_ACCEPTED),
        admin_user=matching_string(or_default(raw, "adminUser", "admin"), "adminUser", _NAME, _NAME_ACCEPTED),
        load_balancer=load_balancer,
        tunnel=parse_tunnel(raw.get("tunnel")),
        pki=parse_pki(raw.get("pki")),
        ca_cert_pem=ca_cert,
        ca_key_pem=ca_key,
        network=parse_network(raw.get("network"), raw.get("nodes")),
        verify=boolean(or_default(raw, "verify", False), "verify"),
    )
