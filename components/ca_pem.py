"""Checks of an existing cluster CA given through config (caCertPem, caKeyPem), before anything is signed.

A CA is refused here for everything Go's crypto/x509 (and so kube-apiserver, kubectl and the tls provider) would
refuse later: not a CA, keyUsage without keyCertSign, expired or not yet valid, an RSA key below 2048 bits, a key
type or curve Go does not sign with, a key that is not the certificate's. Messages never show key material.
"""

from __future__ import annotations

import datetime
import re

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from components.errors import ConfigError, Problems, kind_of

RSA_MIN_BITS = 2048
"""The smallest RSA key kube-apiserver's ecosystem accepts (Go refuses below 1024, kubeadm and NIST below 2048)."""
CURVES = {"secp256r1": "P-256", "secp384r1": "P-384", "secp521r1": "P-521"}
"""The elliptic curves Go's crypto/x509 signs and verifies with (P-224 is not offered by TLS)."""
KEY_LABELS = ("PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY")

CERT_ACCEPTED = "the cluster's CA certificate in PEM, exactly one CERTIFICATE block and nothing else (ca.pem)"
KEY_ACCEPTED = "the CA's unencrypted private key in PEM, exactly one block (ca-key.pem), set with --secret"

_BLOCK = re.compile(r"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)
_ANY_MARKER = re.compile(r"-----(BEGIN|END) [A-Z0-9 ]+-----")


def pem_labels(text: str) -> list[str] | None:
    """The labels of the PEM blocks in ``text``, or None when anything but blanks lies around or between them."""
    labels = [match.group(1) for match in _BLOCK.finditer(text)]
    rest = _BLOCK.sub("", text)
    if rest.strip() or _ANY_MARKER.search(rest):
        return None
    return labels


def _cert_blocks_problem(labels: list[str] | None) -> str | None:
    if labels is None:
        return "holds text outside its PEM block(s)"
    if any("PRIVATE KEY" in label for label in labels):
        return "holds a private key as well: it would be stored and shown in plain text; put only ca.pem here"
    if labels != ["CERTIFICATE"]:
        return f"holds {len(labels)} PEM blocks ({', '.join(labels) or 'none'}), not one CERTIFICATE block"
    return None


def _public_key_problem(key: object) -> str | None:
    """Why Go would not sign or verify with this (public or private) key, as "an RSA key of 1024 bits...", or None."""
    if isinstance(key, rsa.RSAPublicKey | rsa.RSAPrivateKey):
        return None if key.key_size >= RSA_MIN_BITS else f"an RSA key of {key.key_size} bits, below {RSA_MIN_BITS}"
    if isinstance(key, ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey):
        return None if key.curve.name in CURVES else f"an elliptic-curve key on {key.curve.name}, which Go does not use"
    if isinstance(key, ed25519.Ed25519PublicKey | ed25519.Ed25519PrivateKey):
        return None
    return "a kind of key Go cannot sign with (expected RSA, ECDSA P-256/P-384/P-521 or Ed25519)"


def check_ca_certificate(cert_pem: object, now: datetime.datetime) -> tuple[x509.Certificate | None, list[ConfigError]]:
    """The parsed CA certificate (None when it cannot be used at all) and every problem found with it."""
    def problem(text: str) -> ConfigError:
        # A certificate is public (every TLS handshake shows it), and no message shows key material.
        return ConfigError("caCertPem", text, CERT_ACCEPTED, safe=True)

    if not isinstance(cert_pem, str):
        return None, [problem(f"is {kind_of(cert_pem)}, not PEM text")]
    blocks = _cert_blocks_problem(pem_labels(cert_pem))
    if blocks is not None:
        return None, [problem(blocks)]
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        extensions = cert.extensions
        public_key = cert.public_key()
        not_before, not_after = cert.not_valid_before_utc, cert.not_valid_after_utc
    except (ValueError, TypeError):
        return None, [problem("cannot be parsed as an X.509 certificate")]
    except Exception:  # an unsupported public-key algorithm surfaces as other errors in some versions
        return None, [problem("cannot be parsed as an X.509 certificate with a key Go supports")]
    errors = []
    try:
        constraints: x509.BasicConstraints | None = extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        errors.append(problem("is not a CA certificate (basicConstraints CA:TRUE is missing)"))
    try:
        usage: x509.KeyUsage | None = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.key_cert_sign:
        errors.append(problem("has a keyUsage without keyCertSign: it may not sign certificates"))
    if not_after <= now:
        errors.append(problem(f"expired at {not_after.isoformat()}"))
    if not_before > now:
        errors.append(problem(f"is not valid before {not_before.isoformat()}"))
    key_problem = _public_key_problem(public_key)
    if key_problem is not None:
        errors.append(problem(f"has {key_problem}"))
    if cert.serial_number <= 0:
        errors.append(problem("has a serial number that is not positive, which Go refuses"))
    return cert, errors


def check_ca_key(key_pem: object) -> tuple[object | None, list[ConfigError]]:
    """The parsed CA private key (None when unusable) and every problem found with it."""
    def problem(text: str) -> ConfigError:
        return ConfigError("caKeyPem", text, KEY_ACCEPTED, safe=True)

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
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        return None, [problem("cannot be read as an unencrypted private key")]
    except Exception:
        return None, [problem("cannot be read as a private key of a kind Go supports")]
    key_problem = _public_key_problem(key)
    if key_problem is not None:
        return None, [problem(f"is {key_problem}")]
    return key, []


def validate_ca_pair(cert_pem: object, key_pem: object, now: datetime.datetime | None = None) -> datetime.datetime:
    """The certificate is a CA certificate Go accepts, valid now, and the key is its unencrypted private key.
    Raises every problem found together; returns when the CA's validity ends."""
    now = now or datetime.datetime.now(datetime.UTC)
    problems = Problems()
    cert, cert_errors = check_ca_certificate(cert_pem, now)
    key, key_errors = check_ca_key(key_pem)
    problems.errors += cert_errors + key_errors
    if cert is not None and key is not None:
        public_format = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        public = key.public_key().public_bytes(*public_format)  # type: ignore[attr-defined]
        if public != cert.public_key().public_bytes(*public_format):
            problems.errors.append(
                ConfigError("caKeyPem", "does not belong to caCertPem", "the private key of caCertPem", safe=True))
    problems.raise_any()
    assert cert is not None  # check_ca_certificate gives no certificate only with a problem
    return cert.not_valid_after_utc
