"""Invalid kthw configs through ``parse_settings``: each one names the offending key and says what is wrong.

The table starts from the dev stack's config and changes one thing per row.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from components.errors import ConfigError
from components.settings import LoadBalancer, PkiOptions, TunnelOptions, parse_settings

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
    """An IPv6 single-stack config with network fields changed."""
    return net(**{**IPV6_ONLY, **fields})


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
    Case("trailing-blank", net(serviceCidr="10.32.0.0/24 "), "network.serviceCidr", "invalid prefix length"),
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
    Case("node-mask-shorter", net(nodeCidrMaskSize=15), "network.nodeCidrMaskSize", "a mask from 16 to 32"),
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
    Case("pin-count-dual", dual(1, podCidr="10.200.0.0/24"), "nodes[1].podCidr", "has 1 CIDRs for 2 cluster ranges"),
    # missing keys
    Case("missing-load-balancer", dev(loadBalancer=DROP), "loadBalancer", "is required"),
    Case("missing-user", lb(user=DROP), "loadBalancer.user", "is required"),
    Case("missing-nodes", dev(nodes=DROP), "nodes", "is required"),
    Case("empty-nodes", dev(nodes=[]), "nodes", "is empty"),
    Case("missing-node-address", node(0, address=DROP), "nodes[0].address", "is required"),
    # wrong types
    Case("ssh-port-string", lb(sshPort="22"), "loadBalancer.sshPort", "'22' is not an integer"),
    Case("manage-yes", dev(tunnel={"manage": "yes"}), "tunnel.manage", "'yes' is not a boolean"),
    Case("nodes-object", dev(nodes={"worker-0": "172.31.101.60"}), "nodes", "is a dict, not a list"),
    Case("nodes-bad-json", dev(nodes="[{"), "nodes", "is not valid JSON"),
    Case("rsa-1024", dev(pki={"rsaBits": 1024}), "pki.rsaBits", "one of 2048, 3072, 4096"),
    Case("algorithm-dsa", dev(pki={"algorithm": "DSA"}), "pki.algorithm", "'DSA' is not accepted"),
    Case("renewal-not-before-expiry", dev(pki={"validityHours": 100, "earlyRenewalHours": 100}),
         "pki.earlyRenewalHours", "an integer from 0 to 99"),
    # unknown keys
    Case("unknown-lb-key", lb(adress="172.31.108.99"), "loadBalancer.adress", "is not a known key"),
    Case("unknown-top-key", dev(clusterCidr="10.200.0.0/16"), "clusterCidr", "is not a known key"),
    # shell and ssh syntax
    Case("user-semicolon", lb(user="root;rm -rf /"), "loadBalancer.user", "'root;rm -rf /' is not accepted"),
    Case("user-substitution", lb(user="$(id)"), "loadBalancer.user", "'$(id)' is not accepted"),
    Case("user-option", lb(user="-oProxyCommand=x"), "loadBalancer.user", "not starting with '-'"),
    Case("user-trailing-newline", lb(user="cloud_user\n"), "loadBalancer.user", "is not accepted"),
    Case("address-semicolon", lb(address="1.2.3.4;id"), "loadBalancer.address", "'1.2.3.4;id' is not accepted"),
    Case("address-option", lb(address="-oProxyCommand=x"), "loadBalancer.address", "an IP address or a DNS name"),
    Case("address-trailing-newline", lb(address="lb.example.com\n"), "loadBalancer.address", "is not accepted"),
    Case("known-hosts-empty", dev(tunnel={"knownHostsFile": ""}), "tunnel.knownHostsFile", "'' is not a path"),
    Case("known-hosts-blank", dev(tunnel={"knownHostsFile": "/tmp/known hosts"}), "tunnel.knownHostsFile",
         "characters ssh would read as syntax"),
    Case("known-hosts-quote", dev(tunnel={"knownHostsFile": "/tmp/it's"}), "tunnel.knownHostsFile",
         "characters ssh would read as syntax"),
    Case("known-hosts-percent", dev(tunnel={"knownHostsFile": "~/.ssh/%h"}), "tunnel.knownHostsFile",
         "without blanks, quotes, backslashes or '%'"),
    Case("host-key-checking-no", dev(tunnel={"strictHostKeyChecking": "no"}), "tunnel.strictHostKeyChecking",
         "one of 'yes', 'accept-new'"),
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


@dataclass(frozen=True)
class Pems:
    """A CA pair, a key that belongs to nothing, and a leaf certificate that is not a CA."""

    ca_cert: str
    ca_key: str
    other_key: str
    leaf_cert: str


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    encoding, form = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8
    return key.private_bytes(encoding, form, serialization.NoEncryption()).decode()


def _self_signed(key: ec.EllipticCurvePrivateKey, name: str, ca: bool) -> str:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


@pytest.fixture(scope="module")
def pems() -> Pems:
    """Certificates and keys made with cryptography for this module."""
    ca_key, leaf_key = _key(), _key()
    return Pems(
        ca_cert=_self_signed(ca_key, "Kubernetes", ca=True),
        ca_key=_key_pem(ca_key),
        other_key=_key_pem(_key()),
        leaf_cert=_self_signed(leaf_key, "admin", ca=False),
    )


SECRET = ("caKeyPem",)
PemConfig = Callable[[Pems], Raw]

PEM_CASES: list[tuple[str, PemConfig, Collection[str], str, str]] = [
    ("cert-without-key", lambda p: dev(caCertPem=p.ca_cert), SECRET, "caKeyPem", "is unset while its pair is set"),
    ("key-without-cert", lambda p: dev(caKeyPem=p.ca_key), SECRET, "caCertPem", "is unset while its pair is set"),
    ("key-not-secret", lambda p: dev(caCertPem=p.ca_cert, caKeyPem=p.ca_key), (), "caKeyPem",
     "is stored in plain text"),
    ("cert-not-ca", lambda p: dev(caCertPem=p.leaf_cert, caKeyPem=p.ca_key), SECRET, "caCertPem",
     "is not a CA certificate"),
    ("cert-not-pem", lambda p: dev(caCertPem="ca.pem", caKeyPem=p.ca_key), SECRET, "caCertPem",
     "is not a PEM certificate"),
    ("key-mismatch", lambda p: dev(caCertPem=p.ca_cert, caKeyPem=p.other_key), SECRET, "caKeyPem",
     "does not belong to caCertPem"),
    ("key-is-a-cert", lambda p: dev(caCertPem=p.ca_cert, caKeyPem=p.ca_cert), SECRET, "caKeyPem",
     "is not a PEM private key"),
]


@pytest.mark.parametrize(
    ("build", "secret_keys", "key", "message"),
    [pytest.param(*rest, id=name) for name, *rest in PEM_CASES],
)
def test_invalid_ca_is_refused(
    pems: Pems, build: PemConfig, secret_keys: Collection[str], key: str, message: str
) -> None:
    """CA problems name caCertPem or caKeyPem and never echo the key."""
    with pytest.raises(ConfigError) as caught:
        parse_settings(build(pems), secret_keys)
    assert caught.value.key == key
    assert message in str(caught.value)
    for secret in (pems.ca_key, pems.other_key):
        assert secret.splitlines()[1] not in str(caught.value)


def test_valid_ca_pair_parses(pems: Pems) -> None:
    """A CA certificate with its secret key is accepted as given."""
    settings = parse_settings(dev(caCertPem=pems.ca_cert, caKeyPem=pems.ca_key), SECRET)
    assert settings.ca_cert_pem == pems.ca_cert
    assert settings.ca_key_pem == pems.ca_key


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
