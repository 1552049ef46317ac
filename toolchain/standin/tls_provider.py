"""Stand-in for the ``tls`` provider (pulumi-tls 5.x): PrivateKey, SelfSignedCert, CertRequest, LocallySignedCert.

Same tokens, input and output names as the real provider, for the properties kthw uses; certificates follow the
real provider's template (random 128-bit serial, basicConstraints always present, key usages and extended key
usages from ``allowedUses``). Keys and certificates are made with the ``cryptography`` package.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import secrets
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from toolchain.standin.server import Properties, Provider, ProviderError, ResourceType, serve

VERSION = "5.6.2"
CURVES: dict[str, ec.EllipticCurve] = {
    "P224": ec.SECP224R1(), "P256": ec.SECP256R1(), "P384": ec.SECP384R1(), "P521": ec.SECP521R1(),
}
KEY_USAGES = {  # allowedUses name -> cryptography's KeyUsage argument
    "digital_signature": "digital_signature", "content_commitment": "content_commitment",
    "key_encipherment": "key_encipherment", "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement", "cert_signing": "key_cert_sign", "crl_signing": "crl_sign",
    "encipher_only": "encipher_only", "decipher_only": "decipher_only",
}
EXTENDED_KEY_USAGES = {
    "any_extended": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
}
SUBJECT_FIELDS = (
    ("commonName", NameOID.COMMON_NAME), ("organization", NameOID.ORGANIZATION_NAME),
    ("organizationalUnit", NameOID.ORGANIZATIONAL_UNIT_NAME), ("country", NameOID.COUNTRY_NAME),
    ("province", NameOID.STATE_OR_PROVINCE_NAME), ("locality", NameOID.LOCALITY_NAME),
    ("postalCode", NameOID.POSTAL_CODE), ("serialNumber", NameOID.SERIAL_NUMBER),
)
SigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _pem(data: bytes) -> str:
    return data.decode()


def generate_key(inputs: Properties) -> SigningKey:
    algorithm = inputs.get("algorithm")
    if algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits", 2048)))
    if algorithm == "ECDSA":
        curve = inputs.get("ecdsaCurve", "P224")
        if curve not in CURVES:
            raise ProviderError(f"invalid ecdsaCurve {curve!r}")
        return ec.generate_private_key(CURVES[curve])
    if algorithm == "ED25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ProviderError(f"invalid algorithm {algorithm!r}: expected RSA, ECDSA or ED25519")


def key_outputs(key: SigningKey) -> Properties:
    """The PEM and OpenSSH encodings the real provider exports."""
    pem, raw = serialization.Encoding.PEM, serialization.NoEncryption()
    legacy = serialization.PrivateFormat.TraditionalOpenSSL
    if isinstance(key, ed25519.Ed25519PrivateKey):
        legacy = serialization.PrivateFormat.PKCS8
    public = key.public_key()
    public_der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    openssh = public.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    return {
        "privateKeyPem": _pem(key.private_bytes(pem, legacy, raw)),
        "privateKeyPemPkcs8": _pem(key.private_bytes(pem, serialization.PrivateFormat.PKCS8, raw)),
        "privateKeyOpenssh": _pem(key.private_bytes(pem, serialization.PrivateFormat.OpenSSH, raw)),
        "publicKeyPem": _pem(public.public_bytes(pem, serialization.PublicFormat.SubjectPublicKeyInfo)),
        "publicKeyOpenssh": openssh.decode() + "\n",
        "publicKeyFingerprintSha256": hashlib.sha256(public_der).hexdigest(),
    }


def load_key(text: str, field: str) -> SigningKey:
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ProviderError(f"{field}: cannot read the private key: {error}") from None
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey):
        raise ProviderError(f"{field}: unsupported key type")
    return key


def key_algorithm(key: SigningKey) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA"
    return "ECDSA" if isinstance(key, ec.EllipticCurvePrivateKey) else "ED25519"


def subject_name(subject: Any) -> x509.Name:
    subject = subject or {}
    attributes = [x509.NameAttribute(oid, str(subject[key])) for key, oid in SUBJECT_FIELDS if subject.get(key)]
    return x509.Name(attributes)


def _sans(inputs: Properties) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(name) for name in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in inputs.get("ipAddresses") or []]
    return names


def _hash_for(key: SigningKey) -> hashes.SHA256 | None:
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def issue(
    inputs: Properties, *, subject: x509.Name, public_key: Any, issuer: x509.Name, signer: SigningKey,
    sans: list[x509.GeneralName], authority_key_id: x509.AuthorityKeyIdentifier | None,
) -> Properties:
    """Sign a certificate the way the real provider's template does; return certPem and validity outputs."""
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    end = now + datetime.timedelta(hours=int(inputs["validityPeriodHours"]))
    uses = list(inputs.get("allowedUses") or [])
    builder = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
        .serial_number(secrets.randbits(127) + 1).not_valid_before(now).not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=bool(inputs.get("isCaCertificate")), path_length=None), critical=True)
    )
    if any(use in KEY_USAGES for use in uses):
        flags = {argument: use in uses for use, argument in KEY_USAGES.items()}
        builder = builder.add_extension(x509.KeyUsage(**flags), critical=True)
    extended = [EXTENDED_KEY_USAGES[use] for use in uses if use in EXTENDED_KEY_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if inputs.get("isCaCertificate") or inputs.get("setSubjectKeyId"):
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    if authority_key_id is not None:
        builder = builder.add_extension(authority_key_id, critical=False)
    cert = builder.sign(signer, _hash_for(signer))
    return {
        "certPem": _pem(cert.public_bytes(serialization.Encoding.PEM)),
        "validityStartTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "validityEndTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "readyForRenewal": False,
    }


def create_private_key(name: str, inputs: Properties) -> tuple[str, Properties]:
    outputs = key_outputs(generate_key(inputs))
    return hashlib.sha1(outputs["publicKeyPem"].encode()).hexdigest(), outputs


def create_self_signed_cert(name: str, inputs: Properties) -> tuple[str, Properties]:
    key = load_key(inputs["privateKeyPem"], "privateKeyPem")
    subject = subject_name(inputs.get("subject"))
    outputs = issue(inputs, subject=subject, public_key=key.public_key(), issuer=subject, signer=key,
                    sans=_sans(inputs), authority_key_id=None)
    outputs["keyAlgorithm"] = key_algorithm(key)
    return str(x509.load_pem_x509_certificate(outputs["certPem"].encode()).serial_number), outputs


def create_cert_request(name: str, inputs: Properties) -> tuple[str, Properties]:
    key = load_key(inputs["privateKeyPem"], "privateKeyPem")
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject_name(inputs.get("subject")))
    sans = _sans(inputs)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    request = builder.sign(key, _hash_for(key))
    pem = _pem(request.public_bytes(serialization.Encoding.PEM))
    return hashlib.sha1(pem.encode()).hexdigest(), {"certRequestPem": pem, "keyAlgorithm": key_algorithm(key)}


def create_locally_signed_cert(name: str, inputs: Properties) -> tuple[str, Properties]:
    request = x509.load_pem_x509_csr(inputs["certRequestPem"].encode())
    if not request.is_signature_valid:
        raise ProviderError("certRequestPem: the request's signature is invalid")
    ca_cert = x509.load_pem_x509_certificate(inputs["caCertPem"].encode())
    ca_key = load_key(inputs["caPrivateKeyPem"], "caPrivateKeyPem")
    try:
        sans = list(request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value)
    except x509.ExtensionNotFound:
        sans = []
    try:
        ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        authority = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
    except x509.ExtensionNotFound:
        authority = None
    outputs = issue(inputs, subject=request.subject, public_key=request.public_key(), issuer=ca_cert.subject,
                    signer=ca_key, sans=sans, authority_key_id=authority)
    outputs["caKeyAlgorithm"] = key_algorithm(ca_key)
    return str(x509.load_pem_x509_certificate(outputs["certPem"].encode()).serial_number), outputs


def provider() -> Provider:
    return Provider(name="tls", version=VERSION, types={
        "tls:index/privateKey:PrivateKey": ResourceType(create=create_private_key),
        "tls:index/selfSignedCert:SelfSignedCert": ResourceType(create=create_self_signed_cert),
        "tls:index/certRequest:CertRequest": ResourceType(create=create_cert_request),
        "tls:index/locallySignedCert:LocallySignedCert": ResourceType(create=create_locally_signed_cert),
    })


if __name__ == "__main__":
    serve(provider())
