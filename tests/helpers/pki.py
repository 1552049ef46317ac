"""Real certificates for tests, made with cryptography: a CA (good, or unusual in one chosen way) and a client
certificate it signs. What cryptography's builder will not write (a version 1 certificate, a negative serial, a
duplicate extension, an RSASSA-PSS key...) is made by editing a built certificate's DER and signing it again."""

from __future__ import annotations

import base64
import datetime
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa, x25519
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from components.pki import der
from components.pki.der import Element

PrivateKey = (rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
              | dsa.DSAPrivateKey | x25519.X25519PrivateKey)
SigningKey = (rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey
              | dsa.DSAPrivateKey)

TEN_YEARS = datetime.timedelta(days=3650)


@dataclass(frozen=True)
class Pem:
    cert: str
    key: str


def key_pem(key: PrivateKey, private_format: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8) -> str:
    return key.private_bytes(serialization.Encoding.PEM, private_format, serialization.NoEncryption()).decode()


def ec_key(curve: ec.EllipticCurve | None = None) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(curve or ec.SECP256R1())


def csr_pem(key: ec.EllipticCurvePrivateKey, common_name: str, groups: Sequence[str] = ()) -> str:
    """A certificate request for CN ``common_name`` and one O per group, as a user would make with openssl req."""
    subject = x509.Name([*(x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups),
                         x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    return x509.CertificateSigningRequestBuilder().subject_name(subject).sign(key, hashes.SHA256()).public_bytes(
        serialization.Encoding.PEM).decode()


def rsa_key(bits: int, exponent: int = 65537) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=exponent, key_size=bits)


def rsa_key_with_exponent(exponent: int) -> rsa.RSAPrivateKey:
    """A 2048-bit RSA key with a public exponent cryptography will not generate (an odd prime is safe)."""
    primes = rsa_key(2048).private_numbers()
    p, q = primes.p, primes.q
    d = pow(exponent, -1, math.lcm(p - 1, q - 1))
    public = rsa.RSAPublicNumbers(exponent, p * q)
    return rsa.RSAPrivateNumbers(p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q),
                                 public).private_key()


def _name(common_name: str, organization: str | None = None) -> x509.Name:
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    return x509.Name(attributes)


def make_ca(
    common_name: str = "Kubernetes",
    *,
    key: PrivateKey | None = None,
    signer: SigningKey | None = None,
    subject: x509.Name | None = None,
    is_ca: bool | None = True,
    path_length: int | None = None,
    key_cert_sign: bool | None = None,
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    serial: int | None = None,
    starts: datetime.timedelta = datetime.timedelta(0),
    lasts: datetime.timedelta = TEN_YEARS,
    not_before: datetime.datetime | None = None,
    not_after: datetime.datetime | None = None,
    rsa_padding: padding.PSS | padding.PKCS1v15 | None = None,
) -> Pem:
    """A self-signed certificate and its key: a good CA by default. ``is_ca`` None leaves out basicConstraints,
    ``key_cert_sign`` adds a keyUsage with or without keyCertSign, ``extensions`` adds (extension, critical)
    pairs, ``starts``/``lasts`` place its validity relative to now (``not_before``/``not_after`` fix either end).
    ``signer`` signs instead of ``key`` (for a key that cannot sign, such as X25519)."""
    key = key or ec_key()
    if signer is None:
        assert not isinstance(key, x25519.X25519PrivateKey), "an X25519 key cannot sign: give a signer"
        signer = key
    name = _name(common_name) if subject is None else subject
    begin = not_before or datetime.datetime.now(datetime.UTC) + starts
    builder = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number() if serial is None else serial)
        .not_valid_before(begin).not_valid_after(not_after or begin + lasts)
    )
    if is_ca is not None:
        builder = builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=path_length), critical=True)
    if key_cert_sign is not None:
        usage = x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
            key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=True, encipher_only=False,
            decipher_only=False,
        )
        builder = builder.add_extension(usage, critical=True)
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    hash_algorithm = None if isinstance(signer, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey) else hashes.SHA256()
    cert = builder.sign(signer, hash_algorithm, rsa_padding=rsa_padding)
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


# Editing DER: for what the builder will not write


def encode(tag: int, content: bytes) -> bytes:
    """One DER element."""
    length = len(content)
    if length < 0x80:
        return bytes([tag, length]) + content
    size = (length.bit_length() + 7) // 8
    return bytes([tag, 0x80 | size]) + length.to_bytes(size, "big") + content


def encode_oid(dotted: str) -> bytes:
    """An OBJECT IDENTIFIER element."""
    arcs = [int(arc) for arc in dotted.split(".")]
    body = b""
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        while arc > 0x7F:
            arc >>= 7
            chunk.append(0x80 | (arc & 0x7F))
        body += bytes(reversed(chunk))
    return encode(der.OID, body)


def algorithm(dotted: str, parameters: bytes | None = None) -> bytes:
    """An AlgorithmIdentifier: the OID, and the parameters' element when given."""
    return encode(der.SEQUENCE, encode_oid(dotted) + (parameters or b""))


RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
RSASSA_PSS = "1.2.840.113549.1.1.10"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
P256 = "1.2.840.10045.3.1.7"
ED25519 = "1.3.101.112"
ECDSA_WITH_SHA1 = "1.2.840.10045.4.1"
ECDSA_WITH_SHA384 = "1.2.840.10045.4.3.3"
NULL = encode(der.NULL, b"")


def _pem(label: str, data: bytes) -> str:
    body = base64.b64encode(data).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {label}-----", *lines, f"-----END {label}-----", ""])


def _pem_der(text: str) -> bytes:
    return base64.b64decode("".join(line for line in text.strip().splitlines() if not line.startswith("-----")))


ResigningKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey


def _sign(key: ResigningKey, data: bytes, digest: hashes.HashAlgorithm) -> bytes:
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), digest)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(digest))
    return key.sign(data)


def rebuilt(pem: Pem, edit: Callable[[list[Element]], list[bytes]], *, digest: hashes.HashAlgorithm | None = None,
            outer_algorithm: bytes | None = None, trailing: bytes = b"") -> Pem:
    """``pem`` with its TBSCertificate's fields (in order) replaced by what ``edit`` returns, signed again by its
    own key. The outer signature algorithm stays unless ``outer_algorithm`` replaces it; ``trailing`` bytes follow
    the certificate inside its PEM block."""
    key = serialization.load_pem_private_key(pem.key.encode(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey)
    tbs, signature_algorithm, _ = der.element(_pem_der(pem.cert)).children()
    new_tbs = encode(der.SEQUENCE, b"".join(edit(tbs.children())))
    signature = _sign(key, new_tbs, digest or hashes.SHA256())
    outer = outer_algorithm or signature_algorithm.encoded
    cert = encode(der.SEQUENCE, new_tbs + outer + encode(der.BIT_STRING, b"\x00" + signature))
    return Pem(_pem("CERTIFICATE", cert + trailing), pem.key)


def tbs_fields(fields: list[Element]) -> dict[str, int]:
    """Where each TBSCertificate field sits in ``fields`` (version 3 layout, with its [0] version)."""
    names = ["version", "serial", "signature", "issuer", "validity", "subject", "spki"]
    found = {name: index for index, name in enumerate(names)}
    for index, field in enumerate(fields[len(names):], start=len(names)):
        if field.tag == der.context(3):
            found["extensions"] = index
    return found


def replaced(fields: list[Element], **new: bytes) -> list[bytes]:
    """The fields' encodings, with those named (``serial=...``) replaced."""
    where = {index: new[name] for name, index in tbs_fields(fields).items() if name in new}
    return [where.get(index, field.encoded) for index, field in enumerate(fields)]


def with_spki_algorithm(pem: Pem, algorithm_identifier: bytes) -> Pem:
    """``pem`` whose certificate names its public key with another AlgorithmIdentifier (same key bits)."""
    def edit(fields: list[Element]) -> list[bytes]:
        _, bits = fields[tbs_fields(fields)["spki"]].children()
        return replaced(fields, spki=encode(der.SEQUENCE, algorithm_identifier + bits.encoded))
    return rebuilt(pem, edit)


def with_compressed_point(pem: Pem) -> Pem:
    """``pem`` (a P-256 CA) whose certificate holds its public key as a compressed point."""
    key = serialization.load_pem_private_key(pem.key.encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    spki = algorithm(EC_PUBLIC_KEY, encode_oid(P256)) + encode(der.BIT_STRING, b"\x00" + point)
    return rebuilt(pem, lambda fields: replaced(fields, spki=encode(der.SEQUENCE, spki)))


def pkcs8_with_algorithm(pem_key: str, algorithm_identifier: bytes) -> str:
    """A PKCS #8 key whose PrivateKeyInfo names its algorithm with another AlgorithmIdentifier."""
    version, _, *rest = der.element(_pem_der(pem_key)).children()
    body = version.encoded + algorithm_identifier + b"".join(part.encoded for part in rest)
    return _pem("PRIVATE KEY", encode(der.SEQUENCE, body))


def version_1(pem: Pem) -> Pem:
    """``pem`` as an X.509 version 1 certificate: no version field, no extensions."""
    def edit(fields: list[Element]) -> list[bytes]:
        where = tbs_fields(fields)
        drop = {where["version"], where.get("extensions", -1)}
        return [field.encoded for index, field in enumerate(fields) if index not in drop]
    return rebuilt(pem, edit)


def with_serial(pem: Pem, serial: int) -> Pem:
    size = (serial.bit_length() + 8) // 8
    return rebuilt(pem, lambda fields: replaced(
        fields, serial=encode(der.INTEGER, serial.to_bytes(size, "big", signed=True))))


def with_extension_twice(pem: Pem) -> Pem:
    """``pem`` with its last extension written a second time."""
    def edit(fields: list[Element]) -> list[bytes]:
        (sequence,) = fields[tbs_fields(fields)["extensions"]].children()
        listed = [extension.encoded for extension in sequence.children()]
        body = encode(der.SEQUENCE, b"".join([*listed, listed[-1]]))
        return replaced(fields, extensions=encode(der.context(3), body))
    return rebuilt(pem, edit)


def with_bytes_replaced(pem: Pem, old: bytes, new: bytes) -> Pem:
    """``pem`` with ``old`` replaced by ``new`` (of the same length) wherever it appears in the TBSCertificate."""
    assert len(old) == len(new)
    return rebuilt(pem, lambda fields: [field.encoded.replace(old, new) for field in fields])


def with_inner_signature_algorithm(pem: Pem, algorithm_identifier: bytes) -> Pem:
    """``pem`` whose TBSCertificate names another signature algorithm than the certificate's outer one."""
    return rebuilt(pem, lambda fields: replaced(fields, signature=algorithm_identifier))


def signed_with_sha1(pem: Pem) -> Pem:
    """``pem`` (an ECDSA CA) self-signed with ECDSA and SHA-1, which cryptography no longer writes."""
    sha1 = algorithm(ECDSA_WITH_SHA1)
    return rebuilt(pem, lambda fields: replaced(fields, signature=sha1), digest=hashes.SHA1(), outer_algorithm=sha1)


def with_bytes_at(pem: Pem, changes: dict[int, int]) -> Pem:
    """``pem`` with the certificate's DER bytes at the given offsets replaced, not signed again."""
    data = bytearray(_pem_der(pem.cert))
    for offset, value in changes.items():
        data[offset] = value
    return Pem(_pem("CERTIFICATE", bytes(data)), pem.key)


def tbs_span(pem: Pem) -> range:
    """The offsets of the certificate's TBSCertificate in its DER (what the signature covers)."""
    outer = der.element(_pem_der(pem.cert))
    tbs = outer.children()[0]
    start = len(outer.encoded) - len(outer.content)
    return range(start, start + len(tbs.encoded))


def with_trailing_bytes(pem: Pem) -> Pem:
    """``pem`` with two zero bytes after the certificate inside its PEM block."""
    return rebuilt(pem, lambda fields: [field.encoded for field in fields], trailing=b"\x00\x00")
