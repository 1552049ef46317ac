"""Real certificates for tests, made with cryptography: a CA (good or broken in one chosen way) and a client
certificate it signs."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey

TEN_YEARS = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class Pem:
    cert: str
    key: str


def key_pem(key: PrivateKey, private_format: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption()).decode()


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def make_ca(
    common_name: str = "Kubernetes",
    *,
    key: PrivateKey | None = None,
    is_ca: bool | None = True,
    key_cert_sign: bool | None = None,
    starts: datetime.timedelta = datetime.timedelta(0),
    lasts: datetime.timedelta = TEN_YEARS,
) -> Pem:
    """A self-signed certificate and its key: a good CA by default. ``is_ca`` None leaves out basicConstraints,
    ``key_cert_sign`` adds a keyUsage with or without keyCertSign, ``starts``/``lasts`` place its validity
    relative to now."""
    key = key or ec_key()
    begin = datetime.datetime.now(datetime.UTC) + starts
    builder = (
        x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(begin).not_valid_after(begin + lasts)
    )
    if is_ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
    if key_cert_sign is not None:
        usage = x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=True, encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
    algorithm = None if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()
    cert = builder.sign(key, algorithm)
    return Pem(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem(key))


def make_client(ca: Pem, common_name: str = "admin", organization: str = "system:masters") -> Pem:
    """A client certificate signed by ``ca``."""
    ca_cert = x509.load_pem_x509_certificate(ca.cert.encode())
    ca_key = serialization.load_pem_private_key(ca.key.encode(), password=None)
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec_key()
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(_name(common_name, organization)).issuer_name(ca_cert.subject)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return Pem(cert.public_bytes(serialization.Encoding.PEM).decode(), key_pem(key))
