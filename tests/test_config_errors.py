"""Invalid kthw configs through ``parse_settings``: each one names the offending key and says what is wrong.

The tables start from the dev stack's config and change one thing per row (CASES: plain values; CA_CASES: CA
material made with cryptography). Further down: several problems reported together, secret values never shown,
and the look-alikes that are accepted on purpose.
"""

from __future__ import annotations

import copy
import datetime
import functools
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from components.config.errors import AnyConfigError, CollectedConfigError, ConfigError
from components.config.settings import parse_settings
from components.pki.options import PkiOptions
from components.tunnel.options import LoadBalancer, TunnelOptions
from tests.helpers.pki import Pem, key_pem, make_ca, rsa_key

Raw = dict[str, Any]

DROP = object()
"""Marks a key to remove from the dev config."""

DEV: Raw = {
    "loadBalancer": {"address": "172.31.108.99", "user": "cloud_user"},
    "nodes": [
        {"name": "worker-0", "address": "172.31.101.60"},
        {"name": "worker-1", "address": "172.31.104.202"},
    ],
    "network": {"clusterCidr": "10.200.0.0/16", "serviceCidr": "10.32.0.0/24"},
}

DUAL_STACK = {"clusterCidr": "10.200.0.0/16,fd00:10:244::/56", "serviceCidr": "10.32.0.0/24,fd00:10:96::/112"}
IPV6_ONLY = {"clusterCidr": "fd00:10:244::/56", "serviceCidr": "fd00:10:96::/112"}

def _apply(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if value is DROP:
            target.pop(key, None)
        else:
            target[key] = value


def dev(**top: Any) -> Raw:
    """A fresh copy of the dev config with top-level keys changed."""
    raw = copy.deepcopy(DEV)
    _apply(raw, top)
    return raw


def lb(**fields: Any) -> Raw:
    """The dev config with loadBalancer fields changed."""
    raw = dev()
    _apply(raw["loadBalancer"], fields)
    return raw


def net(**fields: Any) -> Raw:
    """The dev config with network fields changed."""
    raw = dev()
    _apply(raw["network"], fields)
    return raw


def node(index: int, base: Raw | None = None, **fields: Any) -> Raw:
    """The dev config (or ``base``) with fields of nodes[index] changed."""
    raw = dev() if base is None else base
    _apply(raw["nodes"][index], fields)
    return raw


def ipv6(**fields: Any) -> Raw:
    """An IPv6 single-stack config, its nodes at IPv6 addresses, with network fields changed."""
    raw = net(**{**IPV6_ONLY, **fields})
    for index, entry in enumerate(raw["nodes"]):
        entry["address"] = f"2001:db8::{index + 60}"
    return raw


def dual_net(**fields: Any) -> Raw:
    """A dual-stack config with network fields changed."""
    return net(**{**DUAL_STACK, **fields})


def dual(index: int = 0, **fields: Any) -> Raw:
    """A dual-stack config with fields of nodes[index] changed."""
    return node(index, dual_net(), **fields)


@dataclass(frozen=True)
class Case:
    """One invalid config and what its error must say."""

    name: str
    raw: Raw
    key: str
    message: str

    def param(self) -> Any:
        return pytest.param(self.raw, self.key, self.message, id=self.name)


LONG_NAME = ".".join(["a" * 63] * 4)  # 255 characters
PRIVATE_KEY_TEXT = (
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIKeyMaterialNeverShown\n-----END PRIVATE KEY-----\n"
)
CERTIFICATE_TEXT = "-----BEGIN CERTIFICATE-----\nMIIBCertificateBodyThatIsLong\n-----END CERTIFICATE-----\n"

CASES = [
    # CIDR syntax
    Case("host-bits", net(serviceCidr="10.32.0.1/24"), "network.serviceCidr", "did you mean 10.32.0.0/24"),
    Case("netmask-notation", net(clusterCidr="10.200.0.0/255.255.0.0"), "network.clusterCidr",
         "netmask notation; write it as 10.200.0.0/16"),
    Case("bare-address", net(serviceCidr="10.32.0.0"), "network.serviceCidr", "is an address, not a CIDR"),
    Case("leading-zero", net(clusterCidr="010.200.0.0/16"), "network.clusterCidr", "leading zero"),
    Case("ipv4-mapped-ipv6", net(clusterCidr="::ffff:10.200.0.0/112"), "network.clusterCidr", "IPv4-mapped"),
    Case("leading-blank", net(serviceCidr=" 10.32.0.0/24"), "network.serviceCidr", "surrounding blanks"),
    Case("blank-after-comma", net(clusterCidr="10.200.0.0/16, fd00:10:244::/56"), "network.clusterCidr",
         "surrounding blanks"),
    Case("trailing-blank", net(serviceCidr="10.32.0.0/24 "), "network.serviceCidr", "has a blank in its prefix length"),
    Case("empty-cidr", net(serviceCidr=""), "network.serviceCidr", "'' is not a CIDR"),
    Case("prefix-33", net(serviceCidr="10.32.0.0/33"), "network.serviceCidr", "0 to 32 for IPv4"),
    Case("prefix-129", ipv6(clusterCidr="fd00:10:244::/129"), "network.clusterCidr",
         "0 to 128 for IPv6"),
    Case("cidr-not-string", net(clusterCidr=16), "network.clusterCidr", "16 is not a string"),
    Case("ipv6-zone", ipv6(clusterCidr="fe80::%eth0/64"), "network.clusterCidr", "IPv6 zone"),
    Case("trailing-newline-cidr", net(serviceCidr="10.32.0.0/24\n"), "network.serviceCidr", "'10.32.0.0/24\\n'"),
    # families
    Case("two-ipv4-cluster", net(clusterCidr="10.200.0.0/16,10.201.0.0/16"), "network.clusterCidr",
         "has two IPv4 CIDRs"),
    Case("two-ipv6-service", dual_net(serviceCidr="fd00:10:96::/112,fd00:10:97::/112"),
         "network.serviceCidr", "has two IPv6 CIDRs"),
    Case("three-cidrs", net(clusterCidr="10.200.0.0/16,fd00:10:244::/56,10.201.0.0/16"), "network.clusterCidr",
         "has 3 CIDRs"),
    Case("service-families-differ", net(clusterCidr=DUAL_STACK["clusterCidr"]), "network.serviceCidr",
         "covers IPv4 but network.clusterCidr covers IPv4+IPv6"),
    Case("service-other-family", net(serviceCidr="fd00:10:96::/112"), "network.serviceCidr",
         "covers IPv6 but network.clusterCidr covers IPv4"),
    # sizes
    Case("service-ipv4-over-12", net(serviceCidr="10.32.0.0/11"), "network.serviceCidr", "/12 or longer"),
    Case("service-ipv6-over-108", ipv6(serviceCidr="fd00:10:96::/107"), "network.serviceCidr",
         "/108 or longer"),
    Case("dns-index-0", net(dnsServiceIndex=0), "network.dnsServiceIndex", "an index from 2 to 254"),
    Case("dns-index-1", net(dnsServiceIndex=1), "network.dnsServiceIndex", "1 is outside the usable addresses"),
    Case("dns-index-broadcast", net(dnsServiceIndex=255), "network.dnsServiceIndex", "an index from 2 to 254"),
    Case("dns-index-beyond", net(dnsServiceIndex=4096), "network.dnsServiceIndex", "4096 is outside"),
    Case("service-slash-31", net(serviceCidr="10.32.0.0/31"), "network.serviceCidr",
         "no room for the kubernetes service IP"),
    # node masks
    Case("node-mask-shorter", net(nodeCidrMaskSize=15), "network.nodeCidrMaskSize", "a mask from 16 to 30"),
    Case("node-mask-17-longer", net(clusterCidr="10.200.0.0/14", nodeCidrMaskSize=31), "network.nodeCidrMaskSize",
         "a mask from 14 to 30"),
    Case("node-mask-ipv6", dual_net(nodeCidrMaskSizeIpv6=80), "network.nodeCidrMaskSizeIpv6",
         "a mask from 56 to 72"),
    # overlaps
    Case("service-inside-cluster", net(serviceCidr="10.200.255.0/24"), "network.serviceCidr",
         "overlaps network.clusterCidr 10.200.0.0/16"),
    # capacity
    Case("capacity", dev(
        network={"clusterCidr": "10.200.0.0/23", "serviceCidr": "10.32.0.0/24"},
        nodes=[*DEV["nodes"], {"name": "worker-2", "address": "172.31.104.203"}],
    ), "nodes", "3 nodes do not fit: network.clusterCidr holds 2 node blocks"),
    # names
    Case("name-uppercase", node(0, name="Worker-0"), "nodes[0].name", "not a lowercase RFC 1123 subdomain"),
    Case("name-underscore", node(1, name="worker_1"), "nodes[1].name", "'worker_1'"),
    Case("name-too-long", node(0, name=LONG_NAME), "nodes[0].name", "at most 253 characters"),
    Case("name-duplicate", node(1, name="worker-0"), "nodes[1].name", "'worker-0' is already used by nodes[0]"),
    Case("name-not-string", node(0, name=7), "nodes[0].name", "7 is not a string"),
    Case("name-trailing-newline", node(0, name="worker-0\n"), "nodes[0].name", "RFC 1123"),
    # addresses
    Case("address-not-ip", node(0, address="worker-0.local"), "nodes[0].address", "is not an IP address"),
    Case("address-in-cluster", node(0, address="10.200.3.4"), "nodes[0].address", "lies inside 10.200.0.0/16"),
    Case("address-in-service", node(1, address="10.32.0.50"), "nodes[1].address", "lies inside 10.32.0.0/24"),
    Case("address-duplicate", node(1, address="172.31.101.60"), "nodes[1].address", "already used by nodes[0]"),
    Case("address-two-ipv4", node(0, address="172.31.101.60,172.31.101.61"), "nodes[0].address",
         "has two IPv4 addresses"),
    Case("address-three", node(0, address="172.31.101.60,172.31.101.61,fd00::60"), "nodes[0].address",
         "one address, or one IPv4 and one IPv6 address"),
    # pins
    Case("pin-outside", node(0, podCidr="10.201.0.0/24"), "nodes[0].podCidr",
         "lies outside network.clusterCidr 10.200.0.0/16"),
    Case("pin-wrong-mask", node(0, podCidr="10.200.0.0/25"), "nodes[0].podCidr", "is a /25, not a node block of /24"),
    Case("pin-duplicate", node(1, node(0, podCidr="10.200.7.0/24"), podCidr="10.200.7.0/24"), "nodes[1].podCidr",
         "already pinned by nodes[0]"),
    Case("pin-family-order", dual(podCidr="fd00:10:244::/64,10.200.0.0/24"), "nodes[0].podCidr",
         "is IPv6 where network.clusterCidr has IPv4"),
    Case("pin-count-dual", dual(1, podCidr="10.200.0.0/24,fd00:10:244::/64,10.200.1.0/24"), "nodes[1].podCidr",
         "has 3 CIDRs for 2 cluster ranges"),
    # missing keys
    Case("missing-load-balancer", dev(loadBalancer=DROP), "loadBalancer", "is required"),
    Case("missing-user", lb(user=DROP), "loadBalancer.user", "is required"),
    Case("missing-nodes", dev(nodes=DROP), "nodes", "is required"),
    Case("empty-nodes", dev(nodes=[]), "nodes", "is empty"),
    Case("missing-node-address", node(0, address=DROP), "nodes[0].address", "is required"),
    # wrong types
    Case("ssh-port-string", lb(sshPort="22"), "loadBalancer.sshPort", "'22' is not an integer"),
    Case("manage-yes", dev(tunnel={"manage": "yes"}), "tunnel.manage", "'yes' is not a boolean"),
    Case("nodes-object", dev(nodes={"worker-0": "172.31.101.60"}), "nodes", "is an object, not a list"),
    Case("nodes-bad-json", dev(nodes="[{"), "nodes", "is not valid JSON"),
    Case("rsa-1024", dev(pki={"rsaBits": 1024}), "pki.rsaBits", "one of 2048, 3072, 4096"),
    Case("algorithm-dsa", dev(pki={"algorithm": "DSA"}), "pki.algorithm", "'DSA' is not accepted"),
    Case("renewal-not-before-expiry", dev(pki={"validityHours": 100, "earlyRenewalHours": 100}),
         "pki.earlyRenewalHours", "an integer from 0 to 99"),
    # unknown keys
    Case("unknown-lb-key", lb(adress="172.31.108.99"), "loadBalancer.adress",
         "is not a known key; did you mean address?"),
    Case("unknown-top-key", dev(clusterCidr="10.200.0.0/16"), "clusterCidr", "is not a known key"),
    # shell and ssh syntax
    Case("user-semicolon", lb(user="root;rm -rf /"), "loadBalancer.user", "'root;rm -rf /' is not accepted"),
    Case("user-substitution", lb(user="$(id)"), "loadBalancer.user", "'$(id)' is not accepted"),
    Case("user-option", lb(user="-oProxyCommand=x"), "loadBalancer.user", "not starting with '-'"),
    Case("user-trailing-newline", lb(user="cloud_user\n"), "loadBalancer.user", "is not accepted"),
    Case("address-semicolon", lb(address="1.2.3.4;id"), "loadBalancer.address", "'1.2.3.4;id' is not accepted"),
    Case("address-option", lb(address="-oProxyCommand=x"), "loadBalancer.address", "an IP address or a DNS name"),
    Case("address-trailing-newline", lb(address="lb.example.com\n"), "loadBalancer.address", "is not accepted"),
    Case("known-hosts-empty", dev(tunnel={"knownHostsFile": ""}), "tunnel.knownHostsFile", "is empty"),
    Case("known-hosts-blank", dev(tunnel={"knownHostsFile": "/tmp/known hosts"}), "tunnel.knownHostsFile",
         "has ' ', which ssh reads as syntax"),
    Case("known-hosts-quote", dev(tunnel={"knownHostsFile": "/tmp/it's"}), "tunnel.knownHostsFile",
         "which ssh reads as syntax"),
    Case("known-hosts-percent", dev(tunnel={"knownHostsFile": "~/.ssh/%h"}), "tunnel.knownHostsFile",
         "has '%', which ssh reads as syntax"),
    Case("host-key-checking-no", dev(tunnel={"strictHostKeyChecking": "no"}), "tunnel.strictHostKeyChecking",
         "one of 'yes', 'accept-new'"),
    # paths ssh reads as something else than the one file they name: host keys would go unchecked
    Case("known-hosts-dev-null", dev(tunnel={"knownHostsFile": "/dev/null", "strictHostKeyChecking": "accept-new"}),
         "tunnel.knownHostsFile", "is a device or system path, not a file"),
    Case("known-hosts-dev-null-dotted", dev(tunnel={"knownHostsFile": "/tmp/../dev/./null"}), "tunnel.knownHostsFile",
         "is a device or system path"),
    Case("known-hosts-proc-fd", dev(tunnel={"knownHostsFile": "/proc/self/fd/0"}), "tunnel.knownHostsFile",
         "is a device or system path"),
    Case("known-hosts-none", dev(tunnel={"knownHostsFile": "none"}), "tunnel.knownHostsFile",
         "'none' makes ssh use no file at all"),
    Case("known-hosts-none-upper", dev(tunnel={"knownHostsFile": "NONE"}), "tunnel.knownHostsFile", "'none'"),
    Case("known-hosts-comment", dev(tunnel={"knownHostsFile": "#/etc/kthw/hosts"}), "tunnel.knownHostsFile",
         "has '#', which ssh reads as syntax"),
    Case("known-hosts-inner-hash", dev(tunnel={"knownHostsFile": "/etc/kthw/a#b"}), "tunnel.knownHostsFile",
         "has '#'"),
    Case("known-hosts-variable", dev(tunnel={"knownHostsFile": "${HOME}/.ssh/kthw"}), "tunnel.knownHostsFile",
         "starts with ${HOME}/, which the tunnel's ssh does not expand as your shell would; write ~/... instead"),
    Case("known-hosts-shell-variable", dev(tunnel={"knownHostsFile": "$HOME/.ssh/kthw"}), "tunnel.knownHostsFile",
         "starts with $HOME/"),
    Case("known-hosts-other-variable", dev(tunnel={"knownHostsFile": "/etc/${USER}/kthw"}), "tunnel.knownHostsFile",
         "has '$'"),
    Case("known-hosts-token", dev(tunnel={"knownHostsFile": "%d/.ssh/kthw"}), "tunnel.knownHostsFile", "has '%'"),
    Case("known-hosts-other-home", dev(tunnel={"knownHostsFile": "~root/.ssh/known_hosts"}), "tunnel.knownHostsFile",
         "is not a file in your home directory: write ~/..."),
    Case("known-hosts-tilde-alone", dev(tunnel={"knownHostsFile": "~"}), "tunnel.knownHostsFile",
         "is not a file in your home directory"),
    Case("known-hosts-relative", dev(tunnel={"knownHostsFile": "keys/known_hosts"}), "tunnel.knownHostsFile",
         "is relative: ssh would read it from whatever directory it runs in"),
    Case("known-hosts-directory", dev(tunnel={"knownHostsFile": "/etc"}), "tunnel.knownHostsFile",
         "exists and is not a regular file"),
    Case("known-hosts-trailing-slash", dev(tunnel={"knownHostsFile": "/etc/kthw/"}), "tunnel.knownHostsFile",
         "names a directory"),
    Case("known-hosts-tab", dev(tunnel={"knownHostsFile": "/etc/kthw/a\tb"}), "tunnel.knownHostsFile",
         "which ssh reads as syntax"),
    Case("known-hosts-not-string", dev(tunnel={"knownHostsFile": ["/etc/a", "/etc/b"]}), "tunnel.knownHostsFile",
         "is a list, not a path"),
    Case("identity-dev-null", dev(tunnel={"identityFile": "/dev/null"}), "tunnel.identityFile",
         "is a device or system path"),
    Case("identity-none", dev(tunnel={"identityFile": "none"}), "tunnel.identityFile", "'none'"),
    Case("identity-variable", dev(tunnel={"identityFile": "${HOME}/.ssh/id"}), "tunnel.identityFile", "write ~/..."),
    # key material and long values are described, never shown
    Case("identity-is-a-private-key", dev(tunnel={"identityFile": PRIVATE_KEY_TEXT}), "tunnel.identityFile",
         "a PEM private key has ' '"),
    Case("user-is-a-private-key", lb(user=PRIVATE_KEY_TEXT), "loadBalancer.user", "a PEM private key is not accepted"),
    Case("cluster-name-is-a-certificate", dev(clusterName=CERTIFICATE_TEXT), "clusterName",
         "a PEM certificate is not accepted"),
    Case("cluster-name-is-an-ssh-key", dev(clusterName="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJ"), "clusterName",
         "an SSH public key is not accepted"),
    Case("cluster-name-412-characters", dev(clusterName="x" * 400 + " trailing txt"), "clusterName",
         "a string of 413 characters is not accepted"),
    Case("address-huge", lb(address="a" * 100_000), "loadBalancer.address", "a string of 100000 characters"),
    Case("ssh-port-huge", lb(sshPort=10**40), "loadBalancer.sshPort", "an integer of about 41 digits is out of range"),
    Case("ssh-port-4000-digits", lb(sshPort=10**4000), "loadBalancer.sshPort", "an integer of about 4001 digits"),
    Case("pki-json-5000-digits", dev(pki='{"rsaBits": ' + "9" * 5000 + "}"), "pki", "a string of 5013 characters is "
         "not valid JSON"),
    Case("renewal-with-bad-validity", dev(pki={"validityHours": 0, "earlyRenewalHours": 720}), "pki.validityHours",
         "0 is out of range"),
    Case("lb-unspecified", lb(address="0.0.0.0"), "loadBalancer.address", "0.0.0.0 is an unspecified"),
    Case("lb-unspecified-ipv6", lb(address="::"), "loadBalancer.address", ":: is an unspecified"),
    Case("lb-multicast", lb(address="224.0.0.1"), "loadBalancer.address", "multicast"),
    Case("lb-name-254", lb(address=".".join(["a" * 63] * 3 + ["a" * 62])), "loadBalancer.address",
         "has 254 characters; a DNS name has at most 253"),
    Case("lb-name-empty-label", lb(address="lb..example.com"), "loadBalancer.address", "is not accepted"),
    # names kubectl and X.509 can carry
    Case("admin-user-65", dev(adminUser="a" * 65), "adminUser", "has 65 characters, more than 64"),
    Case("cluster-name-254", dev(clusterName="c" * 254), "clusterName", "has 254 characters, more than 253"),
    Case("admin-user-blank", dev(adminUser="cluster admin"), "adminUser", "'cluster admin' is not accepted"),
    Case("cluster-name-non-ascii", dev(clusterName="clüster"), "clusterName", "1 to 253 ASCII letters"),
    Case("cluster-name-empty", dev(clusterName=""), "clusterName", "'' is not accepted"),
    Case("admin-user-object", dev(adminUser={"name": "admin"}), "adminUser", "an object is not a string"),
    Case("cluster-name-trailing-dot", dev(clusterName="lab."), "clusterName", "'lab.' is not accepted"),
    # typos: every key of the namespace must be known
    Case("typo-cluster-name-case", dev(clustername="lab"), "clustername", "did you mean clusterName?"),
    Case("typo-ca-cert", dev(caCert="x"), "caCert", "did you mean caCertPem?"),
    Case("typo-admin-users", dev(adminUsers="admin"), "adminUsers", "did you mean adminUser?"),
    Case("set-without-path", dev(**{"tunnel.localPort": "7000"}), "tunnel.localPort",
         "pulumi config rm tunnel.localPort && pulumi config set --path tunnel.localPort VALUE"),
    Case("set-without-path-list", dev(**{"nodes[2].name": "worker-2"}), "nodes[2].name", "set without --path"),
    Case("typo-in-load-balancer", lb(sshport=2222), "loadBalancer.sshport", "did you mean sshPort?"),
    Case("typo-in-pki", dev(pki={"validity": 24}), "pki.validity", "did you mean validityHours?"),
    Case("typo-in-tunnel-case", dev(tunnel={"localport": 7000}), "tunnel.localport", "did you mean localPort?"),
    Case("unknown-far-from-any", dev(zzzzqqq=1), "zzzzqqq", "is not a known key; expected one of clusterName"),
    # messages speak JSON, not Python
    Case("node-null", dev(nodes=[None]), "nodes[0]", "is empty, not an object"),
    Case("load-balancer-list", dev(loadBalancer=["172.31.108.99"]), "loadBalancer", "is a list, not an object"),
    Case("tunnel-number", dev(tunnel=7), "tunnel", "is an integer, not an object"),
    Case("pki-bad-json", dev(pki="{validityHours: 24"), "pki", "'{validityHours: 24' is not valid JSON"),
    Case("ssh-port-float", lb(sshPort=22.5), "loadBalancer.sshPort", "22.5 is not an integer"),
    Case("verify-number", dev(verify=1), "verify", "1 is not a boolean"),
    Case("default-renewal-blamed", dev(pki={"validityHours": 24}), "pki.earlyRenewalHours",
         "is unset, and its default 720 is not below pki.validityHours 24"),
    Case("default-renewal-fix", dev(pki={"validityHours": 500}), "pki.earlyRenewalHours",
         "pulumi config set --path pki.earlyRenewalHours 50"),
    Case("fullwidth-digits", node(0, address="\uff11\uff10.0.0.1"), "nodes[0].address",
         "has characters other than ASCII digits and dots"),
    Case("arabic-indic-digits", lb(address="\u0661\u0660.0.0.1"), "loadBalancer.address", "is not accepted"),
    Case("fullwidth-cidr", net(serviceCidr="\uff11\uff10.32.0.0/24"), "network.serviceCidr",
         "has characters other than ASCII digits"),
]


@pytest.mark.parametrize(("raw", "key", "message"), [case.param() for case in CASES])
def test_invalid_config_is_refused(raw: Raw, key: str, message: str) -> None:
    """The error names the key, says what is wrong and what would be accepted."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw)
    error = caught.value
    assert error.key == key
    assert message in str(error)
    assert str(error).startswith(f"invalid config kthw:{key}: ")
    assert error.accepted and f"; expected {error.accepted}" in str(error)


def test_table_has_enough_distinct_configs() -> None:
    """At least 35 rows, no two with the same name or the same config."""
    configs = {json.dumps(case.raw, sort_keys=True) for case in CASES}
    assert len(CASES) >= 35
    assert len({case.name for case in CASES}) == len(CASES)
    assert len(configs) == len(CASES)


# Existing CA given through config


CA_MAKERS: dict[str, Callable[[], Pem]] = {
    "good": make_ca,
    "other": make_ca,
    "expired": lambda: make_ca(starts=-datetime.timedelta(days=30), lasts=datetime.timedelta(days=1)),
    "short-lived": lambda: make_ca(lasts=datetime.timedelta(days=100)),
    "rsa-1024": lambda: make_ca(key=rsa_key(1024)),
    "rsa-2048": lambda: make_ca(key=rsa_key(2048)),
}
"""The CAs of the config-level cases; what Go accepts or refuses in a CA is tests/test_ca_go_x509.py's corpus."""


@functools.cache
def ca(kind: str = "good") -> Pem:
    """One CA of each kind per test run (RSA keys take a while to make)."""
    return CA_MAKERS[kind]()


def traditional(pem: Pem) -> str:
    """The CA key as OpenSSL's traditional format writes it (RSA PRIVATE KEY, EC PRIVATE KEY)."""
    key = serialization.load_pem_private_key(pem.key.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return key_pem(key, serialization.PrivateFormat.TraditionalOpenSSL)


def encrypted(pem: Pem) -> str:
    key = serialization.load_pem_private_key(pem.key.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    encoding, form = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, form, serialization.BestAvailableEncryption(b"passphrase")).decode()


EC_PARAMETERS = "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n"
SECRET = ("caKeyPem",)


def with_ca(cert: str, key: str, **top: Any) -> Raw:
    return dev(caCertPem=cert, caKeyPem=key, **top)


@dataclass(frozen=True)
class CaCase:
    """A config with CA material (built when the test runs) and the problem it must report."""

    name: str
    build: Callable[[], Raw]
    key: str
    message: str
    secret_keys: Collection[str] = SECRET

    def param(self) -> Any:
        return pytest.param(self.build, self.secret_keys, self.key, self.message, id=self.name)


CA_CASES = [
    CaCase("cert-without-key", lambda: dev(caCertPem=ca().cert), "caKeyPem", "is unset while its pair is set"),
    CaCase("key-without-cert", lambda: dev(caKeyPem=ca().key), "caCertPem", "is unset while its pair is set"),
    CaCase("key-not-secret", lambda: with_ca(ca().cert, ca().key), "caKeyPem", "is stored in plain text", ()),
    CaCase("cert-not-pem", lambda: with_ca("ca.pem", ca().key), "caCertPem", "holds text outside its PEM block(s)"),
    CaCase("key-mismatch", lambda: with_ca(ca().cert, ca("other").key), "caKeyPem", "does not belong to caCertPem"),
    CaCase("key-is-a-cert", lambda: with_ca(ca().cert, ca().cert), "caKeyPem",
           "holds 1 PEM block(s) (CERTIFICATE), not one private key"),
    # key material in the certificate's place: it would be a plain output and a plain resource input
    CaCase("cert-with-key-appended", lambda: with_ca(ca().cert + ca().key, ca().key), "caCertPem",
           "holds a private key as well"),
    CaCase("cert-after-key", lambda: with_ca(ca().key + ca().cert, ca().key), "caCertPem",
           "holds a private key as well"),
    CaCase("cert-chain", lambda: with_ca(ca().cert + ca("other").cert, ca().key), "caCertPem",
           "holds 2 PEM blocks (CERTIFICATE, CERTIFICATE), not one CERTIFICATE block"),
    CaCase("cert-with-text", lambda: with_ca("subject=CN = Kubernetes\n" + ca().cert, ca().key), "caCertPem",
           "holds text outside its PEM block(s)"),
    CaCase("cert-not-string", lambda: with_ca(7, ca().key), "caCertPem", "is an integer, not PEM text"),  # type: ignore[arg-type]
    # the key as a PEM block (what Go refuses in a CA: the corpus of tests/test_ca_go_x509.py)
    CaCase("key-rsa-1024", lambda: with_ca(ca("rsa-1024").cert, ca("rsa-1024").key), "caKeyPem",
           "is an RSA key of 1024 bits, below 2048"),
    CaCase("key-ec-parameters", lambda: with_ca(ca().cert, EC_PARAMETERS + traditional(ca())), "caKeyPem",
           "holds an EC PARAMETERS block"),
    CaCase("key-encrypted", lambda: with_ca(ca().cert, encrypted(ca())), "caKeyPem", "is encrypted"),
    CaCase("key-twice", lambda: with_ca(ca().cert, ca().key + ca().key), "caKeyPem", "holds 2 PEM block(s)"),
    # an admin certificate must not outlive its CA
    CaCase("admin-outlives-ca-default", lambda: with_ca(ca("short-lived").cert, ca("short-lived").key),
           "pki.validityHours", "8760 (the default) hours would make the admin certificate outlive the CA"),
    CaCase("admin-outlives-ca-fix", lambda: with_ca(ca("short-lived").cert, ca("short-lived").key),
           "pki.validityHours", "at most 2399 hours (pulumi config set --path pki.validityHours 2399)"),
    CaCase("admin-outlives-ca-set", lambda: with_ca(ca("short-lived").cert, ca("short-lived").key,
                                                    pki={"validityHours": 2401, "earlyRenewalHours": 24}),
           "pki.validityHours", "2401 hours would make"),
]




@pytest.mark.parametrize(("build", "secret_keys", "key", "message"), [case.param() for case in CA_CASES])
def test_invalid_ca_is_refused(build: Callable[[], Raw], secret_keys: Collection[str], key: str, message: str) -> None:
    """CA problems name their key, and no message shows a line of any private key."""
    raw = build()
    with pytest.raises(AnyConfigError) as caught:
        parse_settings(raw, secret_keys)
    assert any(problem.key == key and message in str(problem) for problem in caught.value.errors), caught.value
    key_lines = {line for pem in CA_MAKERS for line in ca(pem).key.splitlines()[1:-1]}
    assert not any(line in str(caught.value) for line in key_lines)


@pytest.mark.parametrize("build", [
    pytest.param(lambda: with_ca(ca().cert, ca().key), id="ecdsa-pkcs8"),
    pytest.param(lambda: with_ca(ca().cert, traditional(ca())), id="ec-private-key"),
    pytest.param(lambda: with_ca(ca("rsa-2048").cert, traditional(ca("rsa-2048"))), id="rsa-private-key"),
    pytest.param(lambda: with_ca("\n" + ca().cert + "\n\n", ca().key), id="blank-lines-around"),
    pytest.param(lambda: with_ca(ca("short-lived").cert, ca("short-lived").key,
                                 pki={"validityHours": 2399, "earlyRenewalHours": 24}), id="admin-within-ca-lifetime"),
])
def test_valid_ca_pair_parses(build: Callable[[], Raw]) -> None:
    """A CA Go accepts, with its secret key, is used as given."""
    raw = build()
    settings = parse_settings(raw, SECRET)
    assert (settings.ca_cert_pem, settings.ca_key_pem) == (raw["caCertPem"], raw["caKeyPem"])


# Every problem at once


def test_independent_problems_are_reported_together() -> None:
    """Three mistakes in three places: one run names all three, one line each, in config order."""
    raw = dev(clusterName="lab one", tunnel={"localPort": 0}, verify="maybe", clustername="lab")
    raw["loadBalancer"]["user"] = "root;id"
    with pytest.raises(CollectedConfigError) as caught:
        parse_settings(raw)
    lines = str(caught.value).splitlines()
    assert [error.key for error in caught.value.errors] == [
        "clustername", "clusterName", "loadBalancer.user", "tunnel.localPort", "verify",
    ]
    assert all(line.startswith("invalid config kthw:") for line in lines) and len(lines) == 5


def test_problems_inside_one_object_are_reported_together() -> None:
    """Every field of an object is checked, and every unknown key named."""
    raw = dev(loadBalancer={"address": "1.2.3.4;id", "user": "-x", "sshPort": 0, "adress": "x"})
    with pytest.raises(CollectedConfigError) as caught:
        parse_settings(raw)
    keys = [error.key for error in caught.value.errors]
    assert keys == ["loadBalancer.adress", "loadBalancer.address", "loadBalancer.user", "loadBalancer.sshPort"]


def test_ca_and_other_problems_are_reported_together() -> None:
    """An expired CA with the wrong key is two problems; a bad adminUser a third."""
    raw = with_ca(ca("expired").cert, ca("other").key, adminUser="a" * 70)
    with pytest.raises(CollectedConfigError) as caught:
        parse_settings(raw, SECRET)
    assert [error.key for error in caught.value.errors] == ["adminUser", "caCertPem", "caKeyPem"]


def test_a_secret_value_is_never_shown() -> None:
    """A key set with --secret is described by its kind only, however short."""
    raw = dev(clusterName="hunter 2", adminUser="pw#1")
    with pytest.raises(CollectedConfigError) as caught:
        parse_settings(raw, ("clusterName", "adminUser"))
    assert "hunter" not in str(caught.value) and "pw#1" not in str(caught.value)
    assert "kthw:clusterName: a secret value is not accepted" in str(caught.value)


def test_a_secret_field_s_integer_arrives_as_text_and_is_read() -> None:
    """`pulumi config set --secret --path loadBalancer.sshPort 2222` stores the field as an encrypted string."""
    raw = dev(loadBalancer={"address": "172.31.108.99", "user": "cloud_user", "sshPort": "2222", "apiPort": "7443"})
    settings = parse_settings(raw, ("loadBalancer",))
    assert (settings.load_balancer.ssh_port, settings.load_balancer.api_port) == (2222, 7443)


@pytest.mark.parametrize("text", ["022", "+22", " 22", "22.0", "\uff12\uff12", "-1", "99999999999999999999999"])
def test_a_secret_field_s_integer_text_must_be_plain_decimal(text: str) -> None:
    raw = dev(loadBalancer={"address": "172.31.108.99", "user": "cloud_user", "sshPort": text})
    with pytest.raises(ConfigError) as caught:
        parse_settings(raw, ("loadBalancer",))
    assert caught.value.key == "loadBalancer.sshPort" and text.strip() not in str(caught.value)


def test_a_secret_node_list_hides_its_addresses() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(node(1, address="10.1.2.300"), ("nodes",))
    assert caught.value.key == "nodes[1].address" and "10.1.2.300" not in str(caught.value)


# Accepted values


@pytest.mark.parametrize("name", ["y", "1e3", "0o17", "08", "null", "2024-01-05", "1:20", "system:admin", "a" * 64])
def test_names_yaml_would_misread_are_accepted(name: str) -> None:
    """The kubeconfig quotes them (see test_kubeconfig.py), so they need not be refused."""
    settings = parse_settings(dev(clusterName=name, adminUser=name))
    assert (settings.cluster_name, settings.admin_user) == (name, name)


@pytest.mark.parametrize("address", ["lb.example.com.", "127.0.0.1", "::1", ".".join(["a" * 63] * 3 + ["a" * 61]),
                                     "lb.example.com"])
def test_load_balancer_addresses_ssh_can_reach_are_accepted(address: str) -> None:
    assert parse_settings(lb(address=address)).load_balancer.address == address


@pytest.mark.parametrize("path", ["~/.ssh/known_hosts_kthw", "/etc/kthw/known_hosts", "/home/ops/.ssh/kthw,v2"])
def test_ssh_paths_that_name_one_file_are_accepted(path: str) -> None:
    tunnel = parse_settings(dev(tunnel={"knownHostsFile": path, "identityFile": path})).tunnel
    assert (tunnel.known_hosts_file, tunnel.identity_file) == (path, path)


def test_a_link_to_dev_null_is_refused(tmp_path: Path) -> None:
    """What the path resolves to on this machine counts, not only how it is spelt."""
    link = tmp_path / "known_hosts"
    link.symlink_to("/dev/null")
    with pytest.raises(ConfigError, match="exists and is not a regular file"):
        parse_settings(dev(tunnel={"knownHostsFile": str(link), "strictHostKeyChecking": "accept-new"}))


# The dev stack


def test_dev_stack_parses() -> None:
    """The tutorial's values, with every default from the config contract."""
    settings = parse_settings(dev())
    assert settings.load_balancer == LoadBalancer(address="172.31.108.99", user="cloud_user", ssh_port=22,
                                                  api_port=6443)
    assert [(n.name, n.address_text, n.pinned) for n in settings.network.nodes] == [
        ("worker-0", "172.31.101.60", ()),
        ("worker-1", "172.31.104.202", ()),
    ]
    assert [str(c) for c in settings.network.cluster_cidrs] == ["10.200.0.0/16"]
    assert [str(c) for c in settings.network.service_cidrs] == ["10.32.0.0/24"]
    assert (settings.cluster_name, settings.admin_user) == ("kubernetes-the-hard-way", "admin")
    assert settings.tunnel == TunnelOptions(local_port=6443, manage=False)
    assert settings.pki == PkiOptions(algorithm="RSA", rsa_bits=2048, ecdsa_curve="P256", validity_hours=8760,
                                      early_renewal_hours=720)
    assert settings.ca_cert_pem is None and settings.verify is False
    assert settings.api_server_url == "https://localhost:6443"


def test_json_text_parses_like_decoded_values() -> None:
    """Pulumi hands structured values over as JSON text and booleans as strings."""
    decoded = dev(tunnel={"localPort": 16443, "manage": True}, pki={"algorithm": "ECDSA"}, verify=True)
    as_text = {key: json.dumps(value) for key, value in decoded.items()}
    as_text["verify"] = "true"
    assert parse_settings(as_text) == parse_settings(decoded)


def test_pulumi_dev_yaml_parses() -> None:
    """The stack file itself, with the kthw: namespace stripped."""
    yaml = pytest.importorskip("yaml")
    path = Path(__file__).resolve().parent.parent / "Pulumi.dev.yaml"
    config = yaml.safe_load(path.read_text())["config"]
    raw = {key.removeprefix("kthw:"): value for key, value in config.items() if key.startswith("kthw:")}
    assert parse_settings(raw) == parse_settings(dev())
