"""All config of the ``kthw`` namespace, parsed and validated in one place before any resource is registered.

Pulumi hands top-level values over as strings and structured values as JSON text; ``parse_settings`` accepts
either that or already-decoded values, so it is tested without Pulumi.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import re
import shlex
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from components.config.errors import ConfigError, Problems, hiding_values, key_text, shown
from components.config.values import (
    boolean,
    integer_in,
    json_object,
    matching_string,
    one_of,
    or_default,
    unknown_key_problem,
)
from components.network.addresses import format_ip, getaddrinfo_ipv4, parse_ip
from components.network.model import NetworkSpec
from components.network.options import parse_network
from components.pki.last_ca import LastCa
from components.tunnel.ssh_files import ssh_file_path

T = TypeVar("T")

CLUSTER_NAME_MAX = 253
"""A kubeconfig name has no limit of its own; a DNS subdomain's (RFC 1123) keeps it readable everywhere."""
COMMON_NAME_MAX = 64
"""RFC 5280's ub-common-name: the admin certificate's CN is the user name, and Go refuses a longer one."""
VALIDITY_HOURS_MAX = 10 * 8784
"""Ten years of leap years: a longer-lived admin credential is a mistake, not a plan."""
_NAME_CHARACTERS = r"[A-Za-z0-9]([A-Za-z0-9._:@-]*[A-Za-z0-9])?"
_NAME = re.compile(_NAME_CHARACTERS)
_NAME_ACCEPTED = "1 to {} ASCII letters, digits, '.', '_', ':', '@' or '-', starting and ending with a letter or digit"
_SSH_USER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,31}$")
_HOSTNAME_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"{_HOSTNAME_LABEL}(\.{_HOSTNAME_LABEL})*\.?")
HOST_KEY_CHECKING = ("yes", "accept-new")
ALGORITHMS = ("RSA", "ECDSA")
RSA_BITS = (2048, 3072, 4096)
ECDSA_CURVES = ("P256", "P384", "P521")

DEFAULT_CLUSTER_NAME = "kubernetes-the-hard-way"
DEFAULT_ADMIN_USER = "admin"

TOP_LEVEL_KEYS = (
    "clusterName", "adminUser", "loadBalancer", "tunnel", "pki", "caCertPem", "caKeyPem", "network", "nodes",
    "nodesFile", "verify",
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
    allow_new_ca: bool = False
    """pki.allowNewCa: let this update generate a CA where the last deployment signed with the cluster's own."""
    ca_expiry_warning_days: int = 90


@dataclass(frozen=True)
class Settings:
    """The whole validated config."""

    load_balancer: LoadBalancer
    network: NetworkSpec
    cluster_name: str = DEFAULT_CLUSTER_NAME
    admin_user: str = DEFAULT_ADMIN_USER
    tunnel: TunnelOptions = TunnelOptions()
    pki: PkiOptions = PkiOptions()
    ca_cert_pem: str | None = None
    ca_key_pem: str | None = None
    ca_cert_not_after: datetime.datetime | None = None
    """When the configured CA expires, as read while checking caCertPem (None without one)."""
    verify: bool = False

    @property
    def api_server_url(self) -> str:
        return f"https://localhost:{self.tunnel.local_port}"


def parse_name(value: Any, key: str, longest: int) -> str:
    """A kubeconfig name (cluster, context, user): plain ASCII characters kubectl and X.509 both take as is."""
    accepted = _NAME_ACCEPTED.format(longest)
    name = matching_string(value, key, _NAME, accepted)
    if len(name) > longest:
        raise ConfigError(key, f"has {len(name)} characters, more than {longest}", accepted,
                          without_values=f"is longer than {longest} characters")
    return name


def parse_load_balancer(value: Any) -> LoadBalancer:
    """``loadBalancer``: address (IP or DNS name), SSH user, SSH port and the API server port behind it."""
    problems = Problems()
    obj = json_object(value, "loadBalancer", ("address", "user", "sshPort", "apiPort"), ("address", "user"), problems)
    address = "" if obj.get("address") is None else problems.check(lambda: _load_balancer_address(obj["address"]), "")
    user = "" if obj.get("user") is None else problems.check(lambda: matching_string(
        obj["user"], "loadBalancer.user", _SSH_USER,
        "a user name of letters, digits, '_', '.' or '-', not starting with '-' or a digit"), "")
    ssh_port = problems.check(
        lambda: integer_in(or_default(obj, "sshPort", 22), "loadBalancer.sshPort", 1, 65535), 22)
    api_port = problems.check(
        lambda: integer_in(or_default(obj, "apiPort", 6443), "loadBalancer.apiPort", 1, 65535), 6443)
    problems.raise_any()
    return LoadBalancer(address=address, user=user, ssh_port=ssh_port, api_port=api_port)


def _load_balancer_address(address: Any) -> str:
    """An address ssh can connect to: an IP other than unspecified or multicast (loopback is fine: a load balancer
    can be reached through a local forward), or a DNS name of at most 253 characters, absolute (trailing dot) or
    not. A name ssh reads as an IPv4 address (getaddrinfo takes inet_aton's forms: ``0x7f000001``, ``2130706433``,
    ``127.1``, ``0177.0.0.1``) must be the address's dotted quad: the certificate SANs, routes and every other
    reader take the rest as a DNS name."""
    key, accepted = "loadBalancer.address", "an IP address or a DNS name"
    numeric = getaddrinfo_ipv4(address) if isinstance(address, str) else None
    if numeric is not None and address != (canonical := format_ip(numeric, 4)):
        unreachable = _unreachable(ipaddress.IPv4Address(numeric))
        raise ConfigError(key, f"{shown(address)} is read by ssh (getaddrinfo) as the IPv4 address {canonical}"
                          + (", an unspecified, multicast or broadcast address" if unreachable else ""),
                          accepted if unreachable else f"the address as a dotted quad of decimal numbers: {canonical}",
                          without_values="is a spelling ssh (getaddrinfo) reads as an IPv4 address that is not its "
                          "dotted quad")
    if isinstance(address, str) and (":" in address or re.fullmatch(r"[0-9.]+", address)):
        ip = parse_ip(address, key)
        if _unreachable(ip):
            raise ConfigError(key, f"{ip} is an unspecified, multicast or broadcast address", accepted,
                              without_values="is an unspecified, multicast or broadcast address")
        return str(ip)
    name = matching_string(address, key, _HOSTNAME, accepted)
    if len(name.removesuffix(".")) > 253:
        raise ConfigError(key, f"has {len(name)} characters; a DNS name has at most 253", accepted,
                          without_values="is longer than a DNS name can be (253)")
    return name


def _unreachable(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """An address no ssh connection can reach a load balancer at: unspecified, multicast or the IPv4 broadcast."""
    return ip.is_unspecified or ip.is_multicast or str(ip) == "255.255.255.255"


def _load_balancer_outside_ranges(address: str, network: NetworkSpec) -> None:
    """The load balancer's address, when it is an IP, lies outside the cluster and service ranges, as every node
    address must (network_rules.validate_node_identities): inside them, kube-proxy and the pod routes take its
    packets for a Service or a pod."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return  # a DNS name: what it resolves to is the resolver's
    for cidr in (*network.cluster_cidrs, *network.service_cidrs):
        if ip in cidr:
            raise ConfigError("loadBalancer.address", f"{ip} lies inside {cidr}",
                              "an address outside network.clusterCidr and network.serviceCidr",
                              without_values="lies inside a cluster or service range")


def parse_tunnel(value: Any) -> TunnelOptions:
    """``tunnel``: local port, whether `pulumi up` manages it, and ssh's identity and host key settings. A path ssh
    would read as anything but that one file (``/dev/null``, ``none``, ``#...``, ``${...}``, ``%`` tokens) is refused,
    so host keys are verified for every accepted config."""
    keys = ("localPort", "manage", "identityFile", "knownHostsFile", "strictHostKeyChecking")
    problems = Problems()
    obj = json_object({} if value is None else value, "tunnel", keys, problems=problems)

    def optional(key: str, read: Callable[[Any, str], T]) -> T | None:
        return None if obj.get(key) is None else problems.check(lambda: read(obj[key], f"tunnel.{key}"), None)

    options = TunnelOptions(
        local_port=problems.check(
            lambda: integer_in(or_default(obj, "localPort", 6443), "tunnel.localPort", 1, 65535), 6443),
        manage=problems.check(lambda: boolean(or_default(obj, "manage", False), "tunnel.manage"), False),
        identity_file=optional("identityFile", ssh_file_path),
        known_hosts_file=optional("knownHostsFile", ssh_file_path),
        strict_host_key_checking=optional(
            "strictHostKeyChecking", lambda value, key: one_of(value, key, HOST_KEY_CHECKING)),
    )
    problems.raise_any()
    return options


def parse_pki(value: Any) -> PkiOptions:
    """``pki``: key algorithm and size, certificate validity and early renewal (below the validity, which the
    message says when the renewal is the default the user never set)."""
    keys = ("algorithm", "rsaBits", "ecdsaCurve", "validityHours", "earlyRenewalHours", "caValidityHours",
            "caExpiryWarningDays", "allowNewCa")
    problems = Problems()
    obj = json_object({} if value is None else value, "pki", keys, problems=problems)
    defaults = PkiOptions()
    validity = problems.check(
        lambda: integer_in(or_default(obj, "validityHours", defaults.validity_hours), "pki.validityHours", 1,
                           VALIDITY_HOURS_MAX), None)
    options = PkiOptions(
        algorithm=problems.check(
            lambda: one_of(or_default(obj, "algorithm", defaults.algorithm), "pki.algorithm", ALGORITHMS),
            defaults.algorithm),
        rsa_bits=problems.check(
            lambda: one_of(or_default(obj, "rsaBits", defaults.rsa_bits), "pki.rsaBits", RSA_BITS), defaults.rsa_bits),
        ecdsa_curve=problems.check(
            lambda: one_of(or_default(obj, "ecdsaCurve", defaults.ecdsa_curve), "pki.ecdsaCurve", ECDSA_CURVES),
            defaults.ecdsa_curve),
        validity_hours=validity or defaults.validity_hours,
        early_renewal_hours=problems.check(lambda: _early_renewal(obj, validity), defaults.early_renewal_hours),
        ca_validity_hours=problems.check(lambda: integer_in(
            or_default(obj, "caValidityHours", defaults.ca_validity_hours), "pki.caValidityHours", 1, 30 * 8784),
            defaults.ca_validity_hours),
        ca_expiry_warning_days=problems.check(lambda: integer_in(
            or_default(obj, "caExpiryWarningDays", defaults.ca_expiry_warning_days), "pki.caExpiryWarningDays", 0,
            3660), defaults.ca_expiry_warning_days),
        allow_new_ca=problems.check(
            lambda: boolean(or_default(obj, "allowNewCa", defaults.allow_new_ca), "pki.allowNewCa"),
            defaults.allow_new_ca),
    )
    problems.raise_any()
    return options


def _early_renewal(obj: Mapping[str, Any], validity: int | None) -> int:
    key = "pki.earlyRenewalHours"
    if obj.get("earlyRenewalHours") is not None:
        longest = VALIDITY_HOURS_MAX if validity is None else validity - 1  # below the validity, once that is known
        return integer_in(obj["earlyRenewalHours"], key, 0, longest)
    default = PkiOptions().early_renewal_hours
    if validity is not None and default >= validity:
        raise ConfigError(
            key, f"is unset, and its default {default} is not below pki.validityHours {validity}",
            f"pki.earlyRenewalHours set below {validity}: pulumi config set --path pki.earlyRenewalHours "
            f"{validity // 10}", without_values="is unset, and its default is not below pki.validityHours")
    return default


def admin_lifetime_problem(pki: PkiOptions, ca_not_after: datetime.datetime, now: datetime.datetime,
                           validity_is_default: bool) -> ConfigError | None:
    """An admin certificate issued now must not outlive the CA that signs it: kube-apiserver stops trusting it when
    the CA expires, whatever its own expiry says. Refused rather than shortened: a shortened validity would depend on
    the time of the run and change every preview."""
    hours_left = int((ca_not_after - now).total_seconds() // 3600)
    if pki.validity_hours <= hours_left:
        return None
    set_how = " (the default)" if validity_is_default else ""
    return ConfigError(
        "pki.validityHours",
        f"{pki.validity_hours}{set_how} hours would make the admin certificate outlive the CA in caCertPem, which "
        f"expires at {ca_not_after.isoformat()}",
        f"at most {hours_left} hours (pulumi config set --path pki.validityHours {hours_left}), or a CA that is "
        "valid longer",
        without_values="would make the admin certificate outlive the CA in caCertPem",
    )


def generated_ca_lifetime_problem(pki: PkiOptions, validity_is_default: bool,
                                  ca_validity_is_default: bool) -> ConfigError | None:
    """A CA the stack generates is created in the same `up` as the first admin certificate and lasts
    ``pki.caValidityHours``: an admin certificate valid longer would outlive it (the same rule as
    admin_lifetime_problem for a configured CA; equal validities end together, give or take the seconds between
    the two creations)."""
    if pki.validity_hours <= pki.ca_validity_hours:
        return None
    validity = f"{pki.validity_hours}{' (the default)' if validity_is_default else ''}"
    ca_validity = f"{pki.ca_validity_hours}{' (the default)' if ca_validity_is_default else ''}"
    return ConfigError(
        "pki.validityHours",
        f"{validity} hours would make the admin certificate outlive the CA the stack generates, which lasts "
        f"pki.caValidityHours {ca_validity} hours",
        f"at most {pki.ca_validity_hours} hours (pulumi config set --path pki.validityHours {pki.ca_validity_hours}),"
        f" or pki.caValidityHours of at least {pki.validity_hours}",
        without_values="would make the admin certificate outlive the CA the stack generates (pki.caValidityHours)",
    )


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
    load_balancer = read("loadBalancer", lambda: _required_load_balancer(raw.get("loadBalancer")), None)
    tunnel = read("tunnel", lambda: parse_tunnel(raw.get("tunnel")), TunnelOptions())
    pki = read("pki", lambda: parse_pki(raw.get("pki")), None)
    no_ca: tuple[str | None, str | None, datetime.datetime | None] = (None, None, None)
    # caKeyPem is always secret, and no message shows anything of it: what hides values is caCertPem or pki.
    ca_cert, ca_key, ca_not_after = read("caCertPem pki", lambda: _ca_pair(raw, secret_keys, pki, now, last), no_ca)
    network = read("network nodes nodesFile",
                   lambda: parse_network(raw.get("network"), raw.get("nodes"), raw.get("nodesFile")), None)
    verify = read("verify", lambda: boolean(or_default(raw, "verify", False), "verify"), False)
    if load_balancer is not None and network is not None:
        read("loadBalancer network", lambda: _load_balancer_outside_ranges(load_balancer.address, network), None)
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
        network=network,
        verify=verify,
    )


def _required_load_balancer(value: Any) -> LoadBalancer:
    if value is None:
        raise ConfigError("loadBalancer", "is required", "an object {address, user, sshPort?, apiPort?}", safe=True)
    return parse_load_balancer(value)


def _ca_pair(
    raw: Mapping[str, Any], secret_keys: Collection[str], pki: PkiOptions | None, now: datetime.datetime | None,
    last: LastCa | None,
) -> tuple[str | None, str | None, datetime.datetime | None]:
    """caCertPem and caKeyPem: both or neither, the key a secret, the pair one Go accepts, and a CA (configured or
    generated) that outlives the admin certificate; with the configured CA's expiry."""
    # Pulumi.yaml declares both with an empty default: empty means unset.
    ca_cert, ca_key = raw.get("caCertPem") or None, raw.get("caKeyPem") or None
    if ca_cert is None and ca_key is None:
        if last is not None and last.source == "caCertPem" and not (pki is not None and pki.allow_new_ca):
            raise ConfigError(
                "caCertPem", "is unset, but the last deployment signed with the cluster's own CA (caCertPem): without "
                "it this update would generate a new CA, which kube-apiserver and every kubelet do not trust, and "
                "reissue the admin certificate and kubeconfig with it", "caCertPem and caKeyPem set again to the "
                "cluster's ca.pem and ca-key.pem; or, to move the cluster to a CA the stack generates, `pulumi config "
                "set --path pki.allowNewCa true` for that update", safe=True)
        # The CA lifetime rule of a CA about to be generated; one generated before keeps its own lifetime, which
        # the expiry warnings watch (certificate_lifetimes).
        problem = None if pki is None or last is not None else generated_ca_lifetime_problem(
            pki, _unset(raw.get("pki"), "validityHours"), _unset(raw.get("pki"), "caValidityHours"))
        if problem is not None:
            raise problem
        return None, None, None
    if (ca_cert is None) != (ca_key is None):
        missing = "caKeyPem" if ca_key is None else "caCertPem"
        raise ConfigError(missing, "is unset while its pair is set", "both caCertPem and caKeyPem, or neither",
                          safe=True)
    if "caKeyPem" not in secret_keys:
        raise ConfigError("caKeyPem", "is stored in plain text",
                          "a secret: pulumi config set --secret caKeyPem < ca-key.pem", safe=True)
    # Imported here: cryptography costs a tenth of a second at every start, and only this check needs it.
    from components.pki.ca_pem import validate_ca_pair

    now = now or datetime.datetime.now(datetime.UTC)
    not_after = validate_ca_pair(ca_cert, ca_key, now)
    if pki is not None:
        problem = admin_lifetime_problem(pki, not_after, now, _unset(raw.get("pki"), "validityHours"))
        if problem is not None:
            raise problem
    return str(ca_cert), str(ca_key), not_after


def _unset(obj: Any, key: str) -> bool:
    """Whether ``key`` is unset in a config object given decoded or as JSON text (parsed already)."""
    if isinstance(obj, str):
        obj = json.loads(obj)
    return not isinstance(obj, dict) or obj.get(key) is None
