"""kthw's CA checks (components/pki/ca_pem.py) against Go's crypto/x509, row by row over a corpus of CA certificates.

Each row is a CA made with cryptography (tests/helpers/pki.py), good or unusual in one way. Go's verdict comes from
the real x509check (toolchain/x509check/): it parses the certificate and key as the tls provider does, signs the
admin certificate with x509.CreateCertificate, and verifies it as kube-apiserver does for a client certificate. kthw
must never accept a CA Go refuses; where kthw is stricter, the row is listed in STRICTER with its reason.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import json
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x25519
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from components.config.errors import AnyConfigError, ConfigError
from components.config.settings import parse_settings
from components.pki import der
from components.pki.ca_pem import check_ca_certificate
from tests.helpers import pki
from tests.helpers.engine import toolchain_script
from tests.helpers.mock_program import DEV_CONFIG
from tests.helpers.pki import Pem, make_ca

DAY = datetime.timedelta(days=1)
UNKNOWN_OID = ObjectIdentifier("1.3.6.1.4.1.55555.1")
DIRECTORY = x509.DirectoryName(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Kubernetes")]))


@functools.cache
def key(kind: str) -> Any:
    """One private key of each kind per run (RSA and DSA keys take a while to make)."""
    makers: dict[str, Callable[[], Any]] = {
        "rsa-1024": lambda: pki.rsa_key(1024),
        "rsa-2048": lambda: pki.rsa_key(2048),
        "rsa-4096": lambda: pki.rsa_key(4096),
        "rsa-e3": lambda: pki.rsa_key(2048, exponent=3),
        "rsa-e-above-31-bits": lambda: pki.rsa_key_with_exponent(2**32 + 15),
        "p224": lambda: pki.ec_key(ec.SECP224R1()),
        "p384": lambda: pki.ec_key(ec.SECP384R1()),
        "p521": lambda: pki.ec_key(ec.SECP521R1()),
        "secp256k1": lambda: pki.ec_key(ec.SECP256K1()),
        "brainpool": lambda: pki.ec_key(ec.BrainpoolP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate,
        "ed448": ed448.Ed448PrivateKey.generate,
        "dsa": lambda: dsa.generate_private_key(2048),
        "x25519": x25519.X25519PrivateKey.generate,
    }
    return makers[kind]()


def with_ext(extension: x509.ExtensionType, critical: bool, **options: Any) -> Callable[[], Pem]:
    """A good CA with one more extension."""
    return lambda: make_ca(extensions=[(extension, critical)], **options)


def eku(*usages: ObjectIdentifier) -> x509.ExtendedKeyUsage:
    return x509.ExtendedKeyUsage(list(usages))


def rsa_pss_ca() -> Pem:
    """An RSA CA whose certificate and key both name the key id-RSASSA-PSS (openssl genpkey -algorithm RSA-PSS)."""
    pss = pki.algorithm(pki.RSASSA_PSS)
    ca = pki.with_spki_algorithm(make_ca(key=key("rsa-2048")), pss)
    return Pem(ca.cert, pki.pkcs8_with_algorithm(ca.key, pss))


def rsa_pss_key_only() -> Pem:
    """An RSA CA certificate (rsaEncryption) with its key written as an id-RSASSA-PSS PKCS #8 key."""
    ca = make_ca(key=key("rsa-2048"))
    return Pem(ca.cert, pki.pkcs8_with_algorithm(ca.key, pki.algorithm(pki.RSASSA_PSS)))


def traditional_key(ca: Pem) -> Pem:
    """``ca`` with its key in OpenSSL's traditional format (RSA PRIVATE KEY, EC PRIVATE KEY)."""
    loaded = serialization.load_pem_private_key(ca.key.encode(), password=None)
    assert isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    return Pem(ca.cert, pki.key_pem(loaded, serialization.PrivateFormat.TraditionalOpenSSL))


def permitted_ip(address_and_mask: bytes) -> bytes:
    """A nameConstraints value permitting one iPAddress subtree, written as given (cryptography writes only
    contiguous masks)."""
    subtree = pki.encode(der.SEQUENCE, pki.encode(der.context(7, constructed=False), address_and_mask))
    return pki.encode(der.SEQUENCE, pki.encode(der.context(0), subtree))


def subject(value: str, string_type: _ASN1Type) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, value, _type=string_type)])


@dataclass(frozen=True)
class Variant:
    """One CA of the corpus and what kthw says of it: None when it accepts, else a part of its message."""

    name: str
    build: Callable[[], Pem]
    refusal: str | None = None


PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.DIGEST_LENGTH)

CORPUS = [
    # keys
    Variant("rsa-1024", lambda: make_ca(key=key("rsa-1024")), "caCertPem: has an RSA key of 1024 bits"),
    Variant("rsa-2048", lambda: make_ca(key=key("rsa-2048"))),
    Variant("rsa-4096", lambda: make_ca(key=key("rsa-4096"))),
    Variant("rsa-exponent-3", lambda: make_ca(key=key("rsa-e3"))),
    Variant("rsa-exponent-above-31-bits", lambda: make_ca(key=key("rsa-e-above-31-bits")),
            "caCertPem: has an RSA key whose public exponent Go refuses"),
    Variant("rsa-pkcs1-key", lambda: traditional_key(make_ca(key=key("rsa-2048")))),
    Variant("rsa-pss-self-signature", lambda: make_ca(key=key("rsa-2048"), rsa_padding=PSS)),
    Variant("rsa-pss-key", rsa_pss_ca, "caCertPem: has an RSASSA-PSS key"),
    Variant("rsa-pss-pkcs8-only", rsa_pss_key_only, "caKeyPem: is an RSASSA-PSS key"),
    Variant("rsa-spki-without-null", lambda: pki.with_spki_algorithm(make_ca(key=key("rsa-2048")),
                                                                     pki.algorithm(pki.RSA_ENCRYPTION)),
            "caCertPem: names its RSA key without the NULL parameters"),
    Variant("p224", lambda: make_ca(key=key("p224"))),
    Variant("p256", make_ca),
    Variant("p256-compressed-point", lambda: pki.with_compressed_point(make_ca()),
            "caCertPem: has its elliptic-curve point in compressed form"),
    Variant("p256-sec1-key", lambda: traditional_key(make_ca())),
    Variant("p384", lambda: make_ca(key=key("p384"))),
    Variant("p521", lambda: make_ca(key=key("p521"))),
    Variant("secp256k1", lambda: make_ca(key=key("secp256k1")), "caCertPem: has an elliptic-curve key on secp256k1"),
    Variant("brainpool-p256", lambda: make_ca(key=key("brainpool")),
            "caCertPem: has an elliptic-curve key on brainpoolP256r1"),
    Variant("ed25519", lambda: make_ca(key=key("ed25519"))),
    Variant("ed25519-with-parameters", lambda: pki.with_spki_algorithm(make_ca(key=key("ed25519")),
                                                                       pki.algorithm(pki.ED25519, pki.NULL)),
            "caCertPem: names its Ed25519 key with parameters"),
    Variant("ed448", lambda: make_ca(key=key("ed448")), "caCertPem: has an Ed448 key"),
    Variant("dsa", lambda: make_ca(key=key("dsa")), "caCertPem: has a DSA key"),
    Variant("x25519", lambda: make_ca(key=key("x25519"), signer=pki.ec_key()), "caCertPem: has an X25519 key"),
    Variant("key-of-another-ca", lambda: Pem(make_ca().cert, make_ca().key), "caKeyPem: does not belong to caCertPem"),
    # validity and serial
    Variant("expired", lambda: make_ca(starts=-30 * DAY, lasts=DAY), "caCertPem: expired at "),
    Variant("not-yet-valid", lambda: make_ca(starts=2 * DAY), "caCertPem: is not valid before "),
    Variant("ends-after-2049", lambda: make_ca(lasts=40 * 366 * DAY)),
    Variant("sha1-self-signature", lambda: pki.signed_with_sha1(make_ca())),
    Variant("serial-0", lambda: pki.with_serial(make_ca(), 0)),
    Variant("serial-negative", lambda: pki.with_serial(make_ca(), -5), "caCertPem: has a negative serial number"),
    # the encoding Go's parser reads
    Variant("version-1", lambda: pki.version_1(make_ca()), "caCertPem: is not a CA certificate"),
    Variant("duplicate-extension", lambda: pki.with_extension_twice(
        make_ca(extensions=[(x509.SubjectKeyIdentifier(b"\x01" * 20), False)])),
            "caCertPem: has the extension 2.5.29.14 (subjectKeyIdentifier) twice"),
    Variant("signature-algorithms-differ", lambda: pki.with_inner_signature_algorithm(
        make_ca(), pki.algorithm(pki.ECDSA_WITH_SHA384)),
            "caCertPem: names different signature algorithms inside and outside its signed part"),
    Variant("trailing-bytes", lambda: pki.with_trailing_bytes(make_ca()), "caCertPem: cannot be parsed"),
    Variant("empty-subject", lambda: make_ca(subject=x509.Name([]))),
    Variant("subject-t61-string", lambda: make_ca(subject=subject("Kubernetes", _ASN1Type.T61String))),
    Variant("subject-bmp-string", lambda: make_ca(subject=subject("Kubernetes", _ASN1Type.BMPString))),
    Variant("subject-universal-string", lambda: make_ca(subject=subject("Kubernetes", _ASN1Type.UniversalString)),
            "caCertPem: has a name in a UniversalString"),
    Variant("subject-utf8-invalid", lambda: pki.with_bytes_replaced(
        make_ca(subject=subject("kubeXca", _ASN1Type.UTF8String)), b"kubeXca", b"kube\xffca"),
            "caCertPem: has a UTF8String name Go cannot decode"),
    Variant("subject-printable-with-underscore", lambda: pki.with_bytes_replaced(
        make_ca(subject=subject("kubeXca", _ASN1Type.PrintableString)), b"kubeXca", b"kube_ca"),
            "caCertPem: has a PrintableString name with characters"),
    # basic constraints and key usage
    Variant("no-basic-constraints", lambda: make_ca(is_ca=None), "caCertPem: is not a CA certificate"),
    Variant("ca-false", lambda: make_ca(is_ca=False), "caCertPem: is not a CA certificate"),
    Variant("key-usage-without-cert-sign", lambda: make_ca(key_cert_sign=False),
            "caCertPem: has a keyUsage without keyCertSign"),
    Variant("key-usage-cert-sign", lambda: make_ca(key_cert_sign=True)),
    Variant("path-length-0", lambda: make_ca(path_length=0)),
    Variant("basic-constraints-not-critical", lambda: make_ca(is_ca=None, extensions=[
        (x509.BasicConstraints(ca=True, path_length=None), False)])),
    # extended key usage
    Variant("eku-server-auth", with_ext(eku(ExtendedKeyUsageOID.SERVER_AUTH), False),
            "caCertPem: has an extendedKeyUsage without clientAuth"),
    Variant("eku-code-signing-critical", with_ext(eku(ExtendedKeyUsageOID.CODE_SIGNING), True),
            "caCertPem: has an extendedKeyUsage without clientAuth"),
    Variant("eku-unknown-only", with_ext(eku(UNKNOWN_OID), False),
            "caCertPem: has an extendedKeyUsage without clientAuth"),
    Variant("eku-client-auth", with_ext(eku(ExtendedKeyUsageOID.CLIENT_AUTH), False)),
    Variant("eku-server-and-client-auth", with_ext(
        eku(ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH), True)),
    Variant("eku-any", with_ext(eku(ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE), False)),
    # name constraints (Go checks them against subject alternative names only; the admin certificate has none)
    Variant("name-constraint-directory-critical", with_ext(x509.NameConstraints([DIRECTORY], None), True),
            "caCertPem: has a critical nameConstraints with a directoryName"),
    Variant("name-constraint-directory-not-critical", with_ext(x509.NameConstraints([DIRECTORY], None), False)),
    Variant("name-constraint-dns-and-directory-critical", with_ext(
        x509.NameConstraints([x509.DNSName("cluster.local"), DIRECTORY], None), True),
            "caCertPem: has a critical nameConstraints with a directoryName"),
    Variant("name-constraint-dns-critical", with_ext(x509.NameConstraints([x509.DNSName("cluster.local")], None),
                                                     True)),
    Variant("name-constraint-ip-critical", with_ext(x509.NameConstraints(
        [x509.IPAddress(ipaddress.ip_network("10.32.0.0/24"))], None), True)),
    Variant("name-constraint-excluded-dns-critical", with_ext(x509.NameConstraints(
        None, [x509.DNSName(".example.com")]), True)),
    Variant("name-constraint-email-and-uri-critical", with_ext(x509.NameConstraints(
        [x509.RFC822Name("example.com"), x509.UniformResourceIdentifier(".example.com")], None), True)),
    Variant("name-constraint-mailbox-critical", with_ext(x509.NameConstraints(
        [x509.RFC822Name("admin@example.com")], None), True)),
    Variant("name-constraint-uri-an-ip", with_ext(x509.NameConstraints(
        [x509.UniformResourceIdentifier("10.32.0.1")], None), False),
            "caCertPem: has a nameConstraints uniformResourceIdentifier Go cannot read: '10.32.0.1'"),
    Variant("name-constraint-ip-mask-not-contiguous", with_ext(x509.UnrecognizedExtension(
        ObjectIdentifier("2.5.29.30"), permitted_ip(bytes([10, 32, 0, 0, 255, 0, 255, 0]))), True),
            "caCertPem: has a nameConstraints iPAddress Go cannot read: 8 bytes"),
    Variant("name-constraint-empty", with_ext(x509.UnrecognizedExtension(
        ObjectIdentifier("2.5.29.30"), pki.encode(der.SEQUENCE, b"")), False),
            "caCertPem: has a malformed 2.5.29.30 (nameConstraints) extension"),
    Variant("name-constraint-dns-trailing-dot", with_ext(x509.NameConstraints([x509.DNSName("cluster.local.")],
                                                                              None), False),
            "caCertPem: has a nameConstraints dNSName Go cannot read: 'cluster.local.'"),
    # other extensions
    Variant("unknown-critical", with_ext(x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), True),
            "caCertPem: has a critical extension Go does not handle: 1.3.6.1.4.1.55555.1"),
    Variant("unknown-not-critical", with_ext(x509.UnrecognizedExtension(UNKNOWN_OID, b"\x05\x00"), False)),
    Variant("freshest-crl-critical", with_ext(x509.FreshestCRL([x509.DistributionPoint(
        [x509.UniformResourceIdentifier("http://crl.example/delta")], None, None, None)]), True),
            "caCertPem: has a critical extension Go does not handle: 2.5.29.46 (freshestCRL)"),
    Variant("subject-key-identifier-critical", with_ext(x509.SubjectKeyIdentifier(b"\x01" * 20), True),
            "caCertPem: marks its subjectKeyIdentifier critical"),
    Variant("authority-key-identifier-critical", with_ext(
        x509.AuthorityKeyIdentifier(b"\x01" * 20, None, None), True),
            "caCertPem: marks its authorityKeyIdentifier critical"),
    Variant("authority-info-access-critical", with_ext(x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://ca.example/ca"))]),
                                                       True),
            "caCertPem: marks its authorityInfoAccess critical"),
    Variant("issuer-alt-name-critical", with_ext(x509.IssuerAlternativeName([x509.DNSName("ca.example")]), True),
            "caCertPem: has a critical extension Go does not handle: 2.5.29.18 (issuerAltName)"),
    Variant("issuer-alt-name-not-critical", with_ext(x509.IssuerAlternativeName([x509.DNSName("ca.example")]),
                                                     False)),
    Variant("subject-alt-name-empty-critical", with_ext(x509.SubjectAlternativeName([]), True),
            "caCertPem: has a critical subjectAltName without a DNS name"),
    Variant("subject-alt-name-dns-critical", with_ext(x509.SubjectAlternativeName([x509.DNSName("ca.example")]),
                                                      True)),
    Variant("certificate-policies-critical", with_ext(x509.CertificatePolicies(
        [x509.PolicyInformation(ObjectIdentifier("2.5.29.32.0"), None)]), True)),
    Variant("policy-constraints-critical", with_ext(x509.PolicyConstraints(0, None), True)),
    Variant("inhibit-any-policy-critical", with_ext(x509.InhibitAnyPolicy(0), True)),
    Variant("crl-distribution-points-critical", with_ext(x509.CRLDistributionPoints([x509.DistributionPoint(
        [x509.UniformResourceIdentifier("http://crl.example/ca.crl")], None, None, None)]), True)),
]

STRICTER = {
    "rsa-1024": "RSA below 2048 bits: kthw's floor, with NIST SP 800-131A and kubeadm; Go takes 1024 and up",
    "version-1": "no basicConstraints can say CA:TRUE in a version 1 certificate (RFC 5280 4.2.1.9); Go trusts a "
                 "v1 root only for compatibility, kthw asks for a certificate that says it is a CA",
}
"""The rows Go accepts and kthw refuses, with the reason."""


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    detail: str
    """Go's stage and error, or kthw's messages."""


@functools.cache
def corpus_pem(name: str) -> Pem:
    (variant,) = [variant for variant in CORPUS if variant.name == name]
    return variant.build()


@functools.cache
def checker() -> Path:
    """The x509check binary from toolchain/checker.sh (built once per machine, then cached)."""
    return Path(toolchain_script("checker.sh", "x509check")) / "x509check"


def run_checker(pem: Pem, directory: Path, name: str, now: datetime.datetime | None = None) -> Verdict:
    """Go's verdict on a CA: x509check run on its files, at ``now`` (by default the current time)."""
    cert, key_file = directory / f"{name}.pem", directory / f"{name}-key.pem"
    cert.write_text(pem.cert)
    key_file.write_text(pem.key)
    at = [] if now is None else ["-now", now.strftime("%Y-%m-%dT%H:%M:%SZ")]
    result = subprocess.run([checker(), "-cert", cert, "-key", key_file, *at], capture_output=True, text=True,
                            timeout=60, check=True)
    found = json.loads(result.stdout)
    return Verdict(found["accepted"], f"{found.get('stage', '')}: {found.get('error', '')}")


@functools.cache
def go_verdict(name: str, directory: Path) -> Verdict:
    return run_checker(corpus_pem(name), directory, name)


def kthw_refusals(pem: Pem) -> list[ConfigError]:
    """What kthw says of the dev config with this CA (its key set with --secret): nothing when it accepts it."""
    try:
        parse_settings({**DEV_CONFIG, "caCertPem": pem.cert, "caKeyPem": pem.key}, ("caKeyPem",))
    except AnyConfigError as refused:
        return refused.errors
    return []


def kthw_errors(name: str) -> list[ConfigError]:
    return kthw_refusals(corpus_pem(name))


@pytest.fixture(scope="module")
def pem_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ca-corpus")


@pytest.mark.parametrize("variant", CORPUS, ids=[variant.name for variant in CORPUS])
def test_kthw_never_accepts_a_ca_go_refuses(variant: Variant, pem_directory: Path) -> None:
    go = go_verdict(variant.name, pem_directory)
    errors = kthw_errors(variant.name)
    assert go.accepted or errors, f"Go refuses ({go.detail}) what kthw accepts"
    if variant.name in STRICTER:
        assert go.accepted, f"listed as stricter than Go, but Go refuses it too ({go.detail})"
    elif errors:
        assert not go.accepted, f"kthw refuses what Go accepts: {[str(error) for error in errors]}"


@pytest.mark.parametrize("variant", CORPUS, ids=[variant.name for variant in CORPUS])
def test_kthw_says_what_it_refuses_and_what_it_accepts(variant: Variant) -> None:
    """Each refusal names its key, the problem and what would be accepted; no message shows key material."""
    errors = kthw_errors(variant.name)
    texts = [f"{error.key}: {error.problem}" for error in errors]
    if variant.refusal is None:
        assert not errors, texts
        return
    assert any(variant.refusal in text for text in texts), texts
    assert all(error.key in ("caCertPem", "caKeyPem") and error.accepted for error in errors)
    key_lines = set(corpus_pem(variant.name).key.splitlines()[1:-1])
    assert not any(line in str(error) for error in errors for line in key_lines)


def test_the_stricter_rows_are_exactly_those_listed(pem_directory: Path) -> None:
    stricter = {variant.name for variant in CORPUS
                if go_verdict(variant.name, pem_directory).accepted and kthw_errors(variant.name)}
    assert stricter == set(STRICTER)


def test_the_corpus_covers_every_kind_of_verdict(pem_directory: Path) -> None:
    """Go refuses at each stage somewhere in the corpus, and accepts a good part of it."""
    verdicts = [go_verdict(variant.name, pem_directory) for variant in CORPUS]
    stages = {verdict.detail.split(":", 1)[0] for verdict in verdicts if not verdict.accepted}
    assert stages == {"parse-cert", "parse-key", "sign", "verify"}
    assert sum(verdict.accepted for verdict in verdicts) >= 25


# The edges of the validity period, to the second

VALID_FROM = datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC)
VALID_TO = datetime.datetime(2031, 1, 1, tzinfo=datetime.UTC)
SECOND = datetime.timedelta(seconds=1)


@functools.cache
def dated_ca() -> Pem:
    """A good CA valid from VALID_FROM to VALID_TO."""
    return make_ca(not_before=VALID_FROM, not_after=VALID_TO)


@pytest.mark.parametrize(("now", "refusal"), [
    (VALID_FROM - SECOND, "is not valid before 2030-01-01T00:00:00+00:00"),
    (VALID_FROM, None),
    (VALID_TO, None),
    (VALID_TO + SECOND, "expired at 2031-01-01T00:00:00+00:00"),
], ids=["a-second-before-not-before", "at-not-before", "at-not-after", "a-second-after-not-after"])
def test_a_ca_at_the_edges_of_its_validity_is_judged_as_go_judges_it(now: datetime.datetime, refusal: str | None,
                                                                      tmp_path: Path) -> None:
    """crypto/x509 verify.go isValid refuses a certificate when the time is before its notBefore or after its
    notAfter: both seconds themselves are inside its validity."""
    go = run_checker(dated_ca(), tmp_path, "dated", now)
    assert go.accepted is (refusal is None), go.detail
    _, errors = check_ca_certificate(dated_ca().cert, now)
    assert [error.problem for error in errors] == ([] if refusal is None else [refusal])


# Byte flips: corners of Go's parser the corpus does not name

FLIP_SEED, FLIPS = 20261206, 200
FLIP_KEYS: dict[str, Callable[[], Any]] = {
    "ed25519": lambda: ed25519.Ed25519PrivateKey.from_private_bytes(bytes(range(32))),
    "p256": lambda: ec.derive_private_key(0x5EED, ec.SECP256R1()),
}


@functools.cache
def flip_base(kind: str) -> Pem:
    """A good CA whose TBSCertificate comes out byte for byte the same every run (a key from fixed bytes, fixed
    serial and dates), with an extension of each kind Go reads."""
    extensions: list[tuple[x509.ExtensionType, bool]] = [
        (eku(ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH), False),
        (x509.NameConstraints([x509.DNSName("cluster.local"), x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))],
                              [x509.RFC822Name("example.com")]), True),
        (x509.SubjectAlternativeName([x509.DNSName("ca.example"), x509.UniformResourceIdentifier("spiffe://k/ca")]),
         False),
        (x509.SubjectKeyIdentifier(bytes(20)), False),
        (x509.AuthorityInformationAccess([x509.AccessDescription(
            AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://ca.example/ca"))]), False),
        (x509.CertificatePolicies([x509.PolicyInformation(ObjectIdentifier("2.5.29.32.0"), None)]), True),
    ]
    return make_ca(key=FLIP_KEYS[kind](), serial=0x5A5A, key_cert_sign=True, extensions=extensions,
                   not_before=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
                   not_after=datetime.datetime(2125, 1, 1, tzinfo=datetime.UTC))


@pytest.mark.parametrize("kind", FLIP_KEYS)
def test_kthw_never_accepts_a_byte_flipped_ca_go_refuses(kind: str, tmp_path: Path) -> None:
    """One or two bytes of a good CA's signed part changed, the same 200 ways every run: kthw answers each with
    config errors (never a traceback) and refuses every one Go refuses (Go does not check a root's own
    signature, so the changed certificates stay otherwise usable)."""
    rng = random.Random(FLIP_SEED)
    span = pki.tbs_span(flip_base(kind))
    holes, refused_by_go = [], 0
    for index in range(FLIPS):
        changes = {rng.choice(span): rng.randrange(256) for _ in range(rng.choice((1, 2)))}
        pem = pki.with_bytes_at(flip_base(kind), changes)
        go = run_checker(pem, tmp_path, f"flip-{index}")
        refused_by_go += not go.accepted
        if not go.accepted and not kthw_refusals(pem):
            holes.append(f"{changes}: {go.detail}")
    assert not holes
    assert 20 <= refused_by_go <= FLIPS - 20, "the flips should reach both verdicts"
