"""Checks of an existing cluster CA given through config (caCertPem, caKeyPem), before anything is signed.

A CA is refused here for everything Go's crypto/x509 refuses when the tls provider signs the admin certificate with
it and kube-apiserver verifies that certificate for client authentication: what its parser refuses in the encoding
(ca_encoding.py), extensions it does not handle or usages without clientAuth (ca_extensions.py), not a CA, keyUsage
without keyCertSign, expired or not yet valid, a key the provider cannot sign with, a key that is not the
certificate's. tests/test_ca_go_x509.py compares these checks with Go over a corpus of CAs; kthw is stricter in two
places it lists (RSA below 2048 bits, a version 1 certificate). Messages never show key material.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
import warnings
from typing import TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.utils import CryptographyDeprecationWarning

from components.config.errors import ConfigError, Problems
from components.config.shown import kind_of
from components.pki.ca_encoding import KEYS_ACCEPTED, Refusal, certificate_refusals, private_key_refusal
from components.pki.ca_extensions import extension_refusals

T = TypeVar("T", bound=x509.ExtensionType)

RSA_MIN_BITS = 2048
"""kthw's floor for RSA keys, with NIST SP 800-131A and kubeadm (Go itself takes 1024 bits and up)."""
CURVES = {"secp224r1": "P-224", "secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
"""The elliptic curves Go's crypto/x509 parses and signs with, by cryptography's name (the tls provider offers
all four; TLS itself no longer negotiates P-224, but a CA's curve is not negotiated)."""
KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")

CERT_ACCEPTED = "the cluster's CA certificate in PEM, exactly one CERTIFICATE block and nothing else (ca.pem)"
KEY_ACCEPTED = "the CA's unencrypted private key in PEM, exactly one block (ca-key.pem), set with --secret"
VALID_NOW = "a CA that is valid now (the cluster's current ca.pem), or caCertPem and caKeyPem both empty to let the " \
            "stack create one"

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_ANY_MARKER = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]+-----")


def pem_labels(text: str) -> list[str] | None:
    """The labels of the PEM blocks in ``text``, or None when anything but blanks lies around or between them."""
    labels = [match.group(1) for match in _BLOCK.finditer(text)]
    rest = _BLOCK.sub("", text)
    if rest.strip() or _ANY_MARKER.search(rest):
        return None
    return labels


def _pem_der(text: str) -> bytes | None:
    """The DER bytes of the first PEM block in ``text`` (without headers), or None when they are not base64."""
    match = _BLOCK.search(text)
    if match is None or ":" in match.group(2):
        return None
    try:
        return base64.b64decode("".join(match.group(2).split()), validate=True)
    except (binascii.Error, ValueError):
        return None


def _cert_blocks_problem(labels: list[str] | None) -> str | None:
    if labels is None:
        return "holds text outside its PEM block(s)"
    if any("PRIVATE KEY" in label for label in labels):
        return "holds a private key as well: it would be stored and shown in plain text; put only ca.pem here"
    if labels != ["CERTIFICATE"]:
        return f"holds {len(labels)} PEM blocks ({', '.join(labels) or 'none'}), not one CERTIFICATE block"
    return None


def _rsa_problem(key: object) -> Refusal | None:
    """Why an RSA key cannot serve: below kthw's size floor, or an exponent Go's crypto/rsa refuses (odd, from 3 to
    2^31-1: crypto/internal/fips140/rsa, checkPublicKey). None for other keys."""
    if not isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return None
    exponent = key.public_key().public_numbers().e if isinstance(key, rsa.RSAPrivateKey) else key.public_numbers().e
    if not 3 <= exponent <= 2**31 - 1 or exponent % 2 == 0:
        return Refusal("an RSA key whose public exponent Go refuses (it must be odd, from 3 to 2^31-1)",
                       "an RSA key with the usual public exponent 65537")
    if key.key_size >= RSA_MIN_BITS:
        return None
    return Refusal(f"an RSA key of {key.key_size} bits, below {RSA_MIN_BITS}",
                   f"an RSA key of {RSA_MIN_BITS} bits or more (kthw's floor, with NIST SP 800-131A)")


def _key_problem(key: object) -> Refusal | None:
    """Why the tls provider would not sign with this private key as cryptography reads it (a PKCS #1 or SEC 1 key
    names no algorithm of its own), or None."""
    if isinstance(key, rsa.RSAPrivateKey):
        return _rsa_problem(key)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        if key.curve.name in CURVES:
            return None
        return Refusal(f"an elliptic-curve key on {key.curve.name}, which Go does not use", KEYS_ACCEPTED)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return None
    return Refusal("a kind of key the tls provider cannot sign with", KEYS_ACCEPTED)


def _go_refusals(cert_pem: str) -> list[Refusal] | None:
    """What Go's parser and verifier refuse in the certificate's DER (its encoding, then its extensions); None when
    the PEM block holds no DER at all."""
    der_bytes = _pem_der(cert_pem)
    if der_bytes is None:
        return None
    try:
        refusals, extensions = certificate_refusals(der_bytes)
    except ValueError:
        return None
    return refusals + extension_refusals(extensions)


def _parse_certificate(cert_pem: str) -> tuple[x509.Certificate, x509.Extensions, datetime.datetime,
                                                datetime.datetime]:
    """The certificate as cryptography reads it, with the fields read below (parsed lazily, so read here)."""
    with warnings.catch_warnings():
        # cryptography warns of a serial number below 1 (RFC 5280 asks for positive ones); Go reads 0, and
        # certificate_refusals refuses a negative one as Go does.
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        return cert, cert.extensions, cert.not_valid_before_utc, cert.not_valid_after_utc


def _extension(extensions: x509.Extensions, kind: type[T]) -> T | None:
    """The value of the extension of this kind, or None when the certificate has none."""
    try:
        return extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def _ca_refusals(cert: x509.Certificate, extensions: x509.Extensions, not_before: datetime.datetime,
                 not_after: datetime.datetime, now: datetime.datetime) -> list[Refusal]:
    """A CA certificate, valid now, with a key kthw takes (the key's kind and curve: certificate_refusals)."""
    refusals = []
    constraints = _extension(extensions, x509.BasicConstraints)
    if constraints is None or not constraints.ca:
        refusals.append(Refusal("is not a CA certificate (basicConstraints CA:TRUE is missing)",
                                "a CA certificate: basicConstraints CA:TRUE, as the cluster's ca.pem has"))
    usage = _extension(extensions, x509.KeyUsage)
    if usage is not None and not usage.key_cert_sign:
        refusals.append(Refusal("has a keyUsage without keyCertSign: it may not sign certificates",
                                "a CA certificate whose keyUsage includes keyCertSign, or that has no keyUsage"))
    # crypto/x509 verify.go isValid: refused only when now is after notAfter or before notBefore, so a CA is valid
    # through both seconds themselves.
    if not_after < now:
        refusals.append(Refusal(f"expired at {not_after.isoformat()}", VALID_NOW))
    if not_before > now:
        refusals.append(Refusal(f"is not valid before {not_before.isoformat()}", VALID_NOW))
    rsa_refusal = _rsa_problem(_public_key(cert))
    if rsa_refusal is not None:
        refusals.append(Refusal(f"has {rsa_refusal.problem}", rsa_refusal.accepted))
    return refusals


def check_ca_certificate(cert_pem: object, now: datetime.datetime) -> tuple[x509.Certificate | None, list[ConfigError]]:
    """The parsed CA certificate (None when it cannot be used at all) and every problem found with it."""
    def problem(text: str, accepted: str = CERT_ACCEPTED) -> ConfigError:
        # A certificate is public (every TLS handshake shows it), and no message shows key material.
        return ConfigError("caCertPem", text, accepted, safe=True)

    if not isinstance(cert_pem, str):
        return None, [problem(f"is {kind_of(cert_pem)}, not PEM text")]
    blocks = _cert_blocks_problem(pem_labels(cert_pem))
    if blocks is not None:
        return None, [problem(blocks)]
    unreadable = problem("cannot be parsed as an X.509 certificate")
    refusals = _go_refusals(cert_pem)
    if refusals is None:
        return None, [unreadable]
    try:
        cert, extensions, not_before, not_after = _parse_certificate(cert_pem)
    except Exception:  # cryptography raises ValueError, or other errors for what it does not support
        return None, [problem(*refusal) for refusal in refusals] or [unreadable]
    refusals += _ca_refusals(cert, extensions, not_before, not_after, now)
    return cert, [problem(*refusal) for refusal in refusals]


def _public_key(cert: x509.Certificate) -> object | None:
    """The certificate's public key, or None when cryptography cannot load it (certificate_refusals names it)."""
    try:
        return cert.public_key()
    except Exception:  # UnsupportedAlgorithm, or ValueError for a malformed key
        return None


def check_ca_key(key_pem: object) -> tuple[object | None, list[ConfigError]]:
    """The parsed CA private key (None when unusable) and every problem found with it."""
    def problem(text: str, accepted: str = KEY_ACCEPTED) -> ConfigError:
        return ConfigError("caKeyPem", text, accepted, safe=True)

    if not isinstance(key_pem, str):
        return None, [problem(f"is {kind_of(key_pem)}, not PEM text")]
    labels = pem_labels(key_pem)
    if labels is None:
        return None, [problem("holds text outside its PEM block")]
    if "ENCRYPTED PRIVATE KEY" in labels or "ENCRYPTED" in key_pem.split("-----END", 1)[0]:
        return None, [problem("is encrypted; decrypt it (openssl pkey -in ca-key.pem) and set the result")]
    if "EC PARAMETERS" in labels:
        return None, [problem("holds an EC PARAMETERS block, which the tls provider reads instead of the key; "
                              "drop it (openssl ecparam -genkey -noout)")]
    if len(labels) != 1 or labels[0] not in KEY_LABELS:
        return None, [problem(f"holds {len(labels)} PEM block(s) ({', '.join(labels) or 'none'}), not one private key")]
    if labels[0] == "PRIVATE KEY":
        der_bytes = _pem_der(key_pem)
        try:
            refusal = None if der_bytes is None else private_key_refusal(der_bytes)
        except ValueError:
            refusal = None  # cryptography says it cannot be read, below
        if refusal is not None:
            return None, [problem(*refusal)]
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return None, [problem("cannot be read as an unencrypted private key")]
    except Exception:
        return None, [problem("cannot be read as a private key of a kind Go supports")]
    key_refusal = _key_problem(key)
    if key_refusal is not None:
        return None, [problem(f"is {key_refusal.problem}", key_refusal.accepted)]
    return key, []


def validate_ca_pair(cert_pem: object, key_pem: object, now: datetime.datetime | None = None) -> datetime.datetime:
    """The certificate is a CA certificate Go accepts, valid now, and the key is its unencrypted private key.
    Raises every problem found together; returns when the CA's validity ends."""
    now = now or datetime.datetime.now(datetime.UTC)
    problems = Problems()
    cert, cert_errors = check_ca_certificate(cert_pem, now)
    key, key_errors = check_ca_key(key_pem)
    problems.errors += cert_errors + key_errors
    cert_key = None if cert is None else _public_key(cert)
    if cert_key is not None and key is not None:
        public_format = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        public = key.public_key().public_bytes(*public_format)  # type: ignore[attr-defined]
        if public != cert_key.public_bytes(*public_format):  # type: ignore[attr-defined]
            problems.errors.append(
                ConfigError("caKeyPem", "does not belong to caCertPem", "the private key of caCertPem", safe=True))
    problems.raise_any()
    assert cert is not None  # check_ca_certificate gives no certificate only with a problem
    return cert.not_valid_after_utc
