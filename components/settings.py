"""All config of the ``kthw`` namespace, parsed and validated in one place before any resource is registered.

Pulumi hands top-level values over as strings and structured values as JSON text; ``parse_settings`` accepts
either that or already-decoded values, so it is tested without Pulumi.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from components.cidr import IPNetwork, parse_cidr, parse_ip
from components.errors import ConfigError
from components.network_plan import NetworkSpec, NodeSpec, validate_network

_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._:@-]{0,251}[A-Za-z0-9])?$")
_NAME_ACCEPTED = "1 to 253 letters, digits, '.', '_', ':', '@' or '-', starting and ending with a letter or digit"
_SSH_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
_HOSTNAME_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_HOSTNAME_LABEL}(\.{_HOSTNAME_LABEL})*$")
_PATH_FORBIDDEN = re.compile(r"[\s\"'%\\\x00-\x1f\x7f]")
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


def _get(obj: Mapping[str, Any], key: str, default: Any) -> Any:
    """The value at ``key``, or ``default`` where it is unset or null."""
    value = obj.get(key)
    return default if value is None else value


def _decoded(value: Any, key: str, kind: type, accepted: str) -> Any:
    if isinstance(value, str) and kind is not str:
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise ConfigError(key, f"{value!r} is not valid JSON", accepted) from None
    if not isinstance(value, kind):
        raise ConfigError(key, f"is a {type(value).__name__}, not a {kind.__name__}", accepted)
    return value


def _object(value: Any, key: str, known: Collection[str], required: Collection[str] = ()) -> dict[str, Any]:
    """A JSON object with only ``known`` keys, all ``required`` ones set (the hot path of 5,000 nodes: the
    messages are built only on error)."""
    def accepted() -> str:
        return f"an object with the keys {', '.join(known)}"

    if type(value) is not dict:
        value = _decoded(value, key, dict, accepted())
    obj: dict[str, Any] = value
    for name in obj:
        if name not in known:
            raise ConfigError(f"{key}.{name}", "is not a known key", accepted())
    for name in required:
        if obj.get(name) is None:
            raise ConfigError(f"{key}.{name}", "is required", accepted())
    return obj


def _string(value: Any, key: str, pattern: re.Pattern[str], accepted: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a string", accepted)
    if not pattern.fullmatch(value):
        raise ConfigError(key, f"{value!r} is not accepted", accepted)
    return value


def _choice(value: Any, key: str, choices: Collection[Any]) -> Any:
    accepted = "one of " + ", ".join(repr(choice) for choice in choices)
    if value not in choices or not any(type(value) is type(choice) for choice in choices):
        raise ConfigError(key, f"{value!r} is not accepted", accepted)
    return value


def _integer(value: Any, key: str, low: int, high: int) -> int:
    accepted = f"an integer from {low} to {high}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(key, f"{value!r} is not an integer", accepted)
    if not low <= value <= high:
        raise ConfigError(key, f"{value} is out of range", accepted)
    return value


def _boolean(value: Any, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value in ("true", "false"):
        return value == "true"
    raise ConfigError(key, f"{value!r} is not a boolean", "true or false")


def _path(value: Any, key: str) -> str:
    accepted = "a file path without blanks, quotes, backslashes or '%' that does not start with '-'"
    if not isinstance(value, str) or not value:
        raise ConfigError(key, f"{value!r} is not a path", accepted)
    if _PATH_FORBIDDEN.search(value) or value.startswith("-"):
        raise ConfigError(key, f"{value!r} has characters ssh would read as syntax", accepted)
    return value


def _cidr_list(value: Any, key: str) -> tuple[IPNetwork, ...]:
    if not isinstance(value, str):
        raise ConfigError(key, f"{value!r} is not a string", "one CIDR, or two separated by a comma")
    return tuple(parse_cidr(part, key) for part in value.split(","))


def parse_load_balancer(value: Any) -> LoadBalancer:
    """``loadBalancer``: address (IP or DNS name), SSH user, SSH port and the API server port behind it."""
    obj = _object(value, "loadBalancer", ("address", "user", "sshPort", "apiPort"), ("address", "user"))
    address = obj["address"]
    if isinstance(address, str) and (":" in address or re.fullmatch(r"[0-9.]+", address)):
        address = str(parse_ip(address, "loadBalancer.address"))
    else:
        address = _string(address, "loadBalancer.address", _HOSTNAME, "an IP address or a DNS name")
    return LoadBalancer(
        address=address,
        user=_string(obj["user"], "loadBalancer.user", _SSH_USER,
                     "a user name of letters, digits, '_', '.' or '-', not starting with '-' or a digit"),
        ssh_port=_integer(_get(obj, "sshPort", 22), "loadBalancer.sshPort", 1, 65535),
        api_port=_integer(_get(obj, "apiPort", 6443), "loadBalancer.apiPort", 1, 65535),
    )


def parse_tunnel(value: Any) -> TunnelOptions:
    """``tunnel``: local port, whether `pulumi up` manages it, and ssh's identity and host key settings."""
    keys = ("localPort", "manage", "identityFile", "knownHostsFile", "strictHostKeyChecking")
    obj = _object({} if value is None else value, "tunnel", keys)
    checking = obj.get("strictHostKeyChecking")
    if checking is not None:
        checking = _choice(checking, "tunnel.strictHostKeyChecking", HOST_KEY_CHECKING)
    return TunnelOptions(
        local_port=_integer(_get(obj, "localPort", 6443), "tunnel.localPort", 1, 65535),
        manage=_boolean(_get(obj, "manage", False), "tunnel.manage"),
        identity_file=None if obj.get("identityFile") is None else _path(obj["identityFile"], "tunnel.identityFile"),
        known_hosts_file=(
            None if obj.get("knownHostsFile") is None else _path(obj["knownHostsFile"], "tunnel.knownHostsFile")
        ),
        strict_host_key_checking=checking,
    )


def parse_pki(value: Any) -> PkiOptions:
    """``pki``: key algorithm and size, certificate validity and early renewal."""
    keys = ("algorithm", "rsaBits", "ecdsaCurve", "validityHours", "earlyRenewalHours")
    obj = _object({} if value is None else value, "pki", keys)
    validity = _integer(_get(obj, "validityHours", 8760), "pki.validityHours", 1, 10 * 8784)
    return PkiOptions(
        algorithm=_choice(_get(obj, "algorithm", "RSA"), "pki.algorithm", ALGORITHMS),
        rsa_bits=_choice(_get(obj, "rsaBits", 2048), "pki.rsaBits", RSA_BITS),
        ecdsa_curve=_choice(_get(obj, "ecdsaCurve", "P256"), "pki.ecdsaCurve", ECDSA_CURVES),
        validity_hours=validity,
        early_renewal_hours=_integer(_get(obj, "earlyRenewalHours", 720), "pki.earlyRenewalHours", 0, validity - 1),
    )


def parse_nodes(value: Any) -> tuple[NodeSpec, ...]:
    """``nodes``: a list of {name, address, podCidr?}; address and podCidr take one value or two (dual-stack)."""
    if value is None:
        raise ConfigError("nodes", "is required", "a list of {name, address, podCidr?} objects")
    items = _decoded(value, "nodes", list, "a list of {name, address, podCidr?} objects")
    nodes = []
    for index, item in enumerate(items):
        key = f"nodes[{index}]"
        obj = _object(item, key, ("name", "address", "podCidr"), ("name", "address"))
        if not isinstance(obj["name"], str):
            raise ConfigError(f"{key}.name", f"{obj['name']!r} is not a string", "a node name such as 'worker-0'")
        address = obj["address"]
        if not isinstance(address, str):
            raise ConfigError(f"{key}.address", f"{address!r} is not a string", "one IP address, or two")
        pin = obj.get("podCidr")
        nodes.append(NodeSpec(
            index=index,
            name=obj["name"],
            addresses=tuple(parse_ip(part, f"{key}.address") for part in address.split(",")),
            pinned=() if pin is None else _cidr_list(pin, f"{key}.podCidr"),
        ))
    return tuple(nodes)


def parse_network(value: Any, nodes: Any) -> NetworkSpec:
    """``network`` and ``nodes``, checked together against every rule of the network plan."""
    keys = ("clusterCidr", "serviceCidr", "nodeCidrMaskSize", "nodeCidrMaskSizeIpv6", "dnsServiceIndex")
    obj = _object({} if value is None else value, "network", keys)
    spec = NetworkSpec(
        cluster_cidrs=_cidr_list(_get(obj, "clusterCidr", "10.200.0.0/16"), "network.clusterCidr"),
        service_cidrs=_cidr_list(_get(obj, "serviceCidr", "10.32.0.0/24"), "network.serviceCidr"),
        node_cidr_mask_size=_integer(_get(obj, "nodeCidrMaskSize", 24), "network.nodeCidrMaskSize", 0, 32),
        node_cidr_mask_size_ipv6=_integer(
            _get(obj, "nodeCidrMaskSizeIpv6", 64), "network.nodeCidrMaskSizeIpv6", 0, 128
        ),
        dns_service_index=_integer(_get(obj, "dnsServiceIndex", 10), "network.dnsServiceIndex", 0, 2**20),
        nodes=parse_nodes(nodes),
    )
    validate_network(spec)
    return spec


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
        cluster_name=_string(_get(raw, "clusterName", "kubernetes-the-hard-way"), "clusterName", _NAME,
                             _NAME_ACCEPTED),
        admin_user=_string(_get(raw, "adminUser", "admin"), "adminUser", _NAME, _NAME_ACCEPTED),
        load_balancer=load_balancer,
        tunnel=parse_tunnel(raw.get("tunnel")),
        pki=parse_pki(raw.get("pki")),
        ca_cert_pem=ca_cert,
        ca_key_pem=ca_key,
        network=parse_network(raw.get("network"), raw.get("nodes")),
        verify=_boolean(_get(raw, "verify", False), "verify"),
    )
