"""Checks of an existing cluster CA given through config (caCertPem, caKeyPem), before anything is signed."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from components.errors import ConfigError

_SIGNING_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey, ed25519.Ed25519PrivateKey)


def validate_ca_pair(cert_pem: object, key_pem: object) -> None:
    """The certificate is a CA certificate, the key is its unencrypted private key. Never echoes key material."""
    cert_accepted = "the cluster's CA certificate in PEM (ca.pem)"
    key_accepted = "the CA's unencrypted private key in PEM (ca-key.pem), set with --secret"
    if not isinstance(cert_pem, str) or "-----BEGIN CERTIFICATE-----" not in cert_pem:
        raise ConfigError("caCertPem", "is not a PEM certificate", cert_accepted)
    try:
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
    except ValueError:
        raise ConfigError("caCertPem", "cannot be parsed as an X.509 certificate", cert_accepted) from None
    try:
        constraints = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        constraints = None
    if constraints is None or not constraints.ca:
        raise ConfigError("caCertPem", "is not a CA certificate (basicConstraints CA:TRUE is missing)", cert_accepted)
    if not isinstance(key_pem, str) or "PRIVATE KEY-----" not in key_pem:
        raise ConfigError("caKeyPem", "is not a PEM private key", key_accepted)
    try:
        key = serialization.load_pem_private_key(key_pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ConfigError("caKeyPem", "cannot be read as an unencrypted private key", key_accepted) from None
    if not isinstance(key, _SIGNING_KEYS):
        raise ConfigError("caKeyPem", "is not an RSA, ECDSA or Ed25519 key", key_accepted)
    public_format = (serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    if key.public_key().public_bytes(*public_format) != cert.public_key().public_bytes(*public_format):
        raise ConfigError("caKeyPem", "does not belong to caCertPem", "the private key of caCertPem")
