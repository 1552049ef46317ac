"""What Go's certificate and key parsers refuse in a CA's encoding, read from its DER as they read it.

Go's crypto/x509 (parser.go, parseCertificate; pkcs8.go, ParsePKCS8PrivateKey) is stricter than cryptography in
places and reads fields cryptography does not expose: the version, a negative serial, the two signature algorithm
fields, the string types of names, the public key's algorithm identifier. The tls provider and kube-apiserver both
read the CA with it, so what it refuses is refused here before anything is signed. The extensions it hands on are
judged by ca_extensions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from cryptography.hazmat.primitives import serialization

from components.config.shown import shown
from components.pki import der
from components.pki.der import Element


class Refusal(NamedTuple):
    """Why Go would not use a CA certificate or key, and what it would accept instead."""

    problem: str
    accepted: str


@dataclass(frozen=True)
class Extension:
    """One extension as the certificate encodes it."""

    oid: str
    critical: bool
    value: bytes
    """The content of its extnValue OCTET STRING."""


RSA_ENCRYPTION = "1.2.840.113549.1.1.1"
EC_PUBLIC_KEY = "1.2.840.10045.2.1"
ED25519 = "1.3.101.112"
GO_CURVES = {"1.3.132.0.33": "P-224", "1.2.840.10045.3.1.7": "P-256", "1.3.132.0.34": "P-384", "1.3.132.0.35": "P-521"}
"""The named curves Go's crypto/x509 reads (x509.go, namedCurveFromOID); the tls provider signs with each."""
OTHER_CURVES = {
    "1.3.132.0.10": "secp256k1", "1.2.840.10045.3.1.1": "P-192 (secp192r1)",
    "1.3.36.3.3.2.8.1.1.7": "brainpoolP256r1", "1.3.36.3.3.2.8.1.1.11": "brainpoolP384r1",
    "1.3.36.3.3.2.8.1.1.13": "brainpoolP512r1",
}
OTHER_KEYS = {
    "1.2.840.113549.1.1.10": "an RSASSA-PSS key", "1.3.101.113": "an Ed448 key", "1.3.101.110": "an X25519 key",
    "1.3.101.111": "an X448 key", "1.2.840.10040.4.1": "a DSA key", "1.2.840.10046.2.1": "a Diffie-Hellman key",
}
KEYS_ACCEPTED = ("a CA key the tls provider signs with: RSA (rsaEncryption) of 2048 bits or more, ECDSA on P-224, "
                 "P-256, P-384 or P-521, or Ed25519")

_STRING_TYPES = {der.T61_STRING: "T61String", der.PRINTABLE_STRING: "PrintableString", der.UTF8_STRING: "UTF8String",
                 der.BMP_STRING: "BMPString", der.IA5_STRING: "IA5String", der.NUMERIC_STRING: "NumericString"}
"""The string types Go reads in a name (parser.go, parseASN1String), by tag."""
_OTHER_STRING_TYPES = {0x1C: "UniversalString", 0x1A: "VisibleString", 0x1B: "GeneralString",
                       0x15: "VideotexString", 0x19: "GraphicString", 0x03: "BIT STRING", 0x04: "OCTET STRING"}
_PRINTABLE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'()+,-./ :=?*&")
"""PrintableString as Go reads it (parser.go, isPrintable): the ASN.1 set, and '*' and '&', which real
certificates carry."""
NAMES_ACCEPTED = ("names in the string types Go reads (UTF8String, PrintableString, IA5String, BMPString, "
                  "NumericString, T61String), as openssl, cfssl and kubeadm write them")


def key_algorithm_refusal(algorithm: Element, subject: str) -> Refusal | None:
    """Why Go would not sign with a key named by this AlgorithmIdentifier; ``subject`` begins the problem ("has",
    "is")."""
    oid, *parameters = algorithm.children()
    name = der.oid_text(oid.content)
    if name in (RSA_ENCRYPTION, ED25519):
        return None
    if name == EC_PUBLIC_KEY:
        return _curve_refusal(parameters[0] if parameters else None, subject)
    kind = OTHER_KEYS.get(name, f"a key of algorithm {name}")
    return Refusal(f"{subject} {kind}: Go's crypto/x509 (the tls provider, kube-apiserver) signs and verifies only "
                   "with RSA, ECDSA and Ed25519 keys", KEYS_ACCEPTED)


def _curve_refusal(parameter: Element | None, subject: str) -> Refusal | None:
    if parameter is None or parameter.tag != der.OID:
        return Refusal(f"{subject} an elliptic-curve key given by explicit parameters, which Go does not read",
                       f"{KEYS_ACCEPTED}, the curve named by its OID (openssl's default)")
    curve = der.oid_text(parameter.content)
    if curve in GO_CURVES:
        return None
    return Refusal(f"{subject} an elliptic-curve key on {OTHER_CURVES.get(curve, curve)}, which Go does not use",
                   KEYS_ACCEPTED)


def _spki_refusal(spki: Element) -> Refusal | None:
    """Why Go's parser refuses the certificate's public key (parser.go, parsePublicKey), or cannot sign with it."""
    algorithm, bits = spki.children()
    oid, *parameters = algorithm.children()
    name, encoded = der.oid_text(oid.content), [parameter.encoded for parameter in parameters]
    if name == RSA_ENCRYPTION and encoded != [b"\x05\x00"]:
        return Refusal("names its RSA key without the NULL parameters RFC 3279 requires, which Go refuses",
                       "the certificate with the RSA key's algorithm written as rsaEncryption with NULL parameters, "
                       "as every CA tool writes it")
    if name == ED25519 and encoded:
        return Refusal("names its Ed25519 key with parameters, which Go refuses (RFC 8410 3)", KEYS_ACCEPTED)
    refusal = key_algorithm_refusal(algorithm, "has")
    if refusal is not None:
        return refusal
    if name == EC_PUBLIC_KEY and bits.content[1:2] != b"\x04":
        return Refusal("has its elliptic-curve point in compressed form, which Go refuses",
                       "the certificate with an uncompressed point, as every CA tool writes it")
    try:
        serialization.load_der_public_key(spki.encoded)
    except Exception:  # ValueError, or UnsupportedAlgorithm
        return Refusal("has a malformed public key (an elliptic-curve point off its curve, or an RSA key that is "
                       "not one), which Go refuses", "the CA's certificate as its CA tool wrote it")
    return None


def _string_refusal(tag: int, content: bytes) -> Refusal | None:
    """Why Go cannot read one attribute value of a name (parser.go, parseASN1String)."""
    if tag not in _STRING_TYPES:
        kind = _OTHER_STRING_TYPES.get(tag, f"value of ASN.1 tag {tag}")
        return Refusal(f"has a name in a {kind}, which Go cannot read", NAMES_ACCEPTED)
    if tag == der.PRINTABLE_STRING and not set(content) <= _PRINTABLE:
        odd = "".join(sorted({chr(byte) for byte in content if byte not in _PRINTABLE}))
        return Refusal(f"has a PrintableString name with characters PrintableString does not allow "
                       f"({shown(odd)}), which Go refuses", f"{NAMES_ACCEPTED}; a UTF8String for such characters")
    if not _decodes(tag, content):
        return Refusal(f"has a {_STRING_TYPES[tag]} name Go cannot decode", NAMES_ACCEPTED)
    return None


def _decodes(tag: int, content: bytes) -> bool:
    """Whether a value of one of Go's string types holds what its type allows."""
    if tag == der.UTF8_STRING:
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            return False
    if tag == der.IA5_STRING:
        return content.isascii()
    if tag == der.NUMERIC_STRING:
        return all(chr(byte) in "0123456789 " for byte in content)
    if tag == der.BMP_STRING:
        return _valid_bmp(content)
    return True  # T61String: Go reads each byte as Latin-1


def _valid_bmp(content: bytes) -> bool:
    """UCS-2 without surrogates or noncharacters, after an optional terminator (parser.go, parseASN1String)."""
    if len(content) % 2:
        return False
    if content.endswith(b"\x00\x00"):
        content = content[:-2]
    points = [int.from_bytes(content[i:i + 2], "big") for i in range(0, len(content), 2)]
    return not any(point in (0xFFFE, 0xFFFF) or 0xFDD0 <= point <= 0xFDEF or 0xD800 <= point <= 0xDFFF
                   for point in points)


def _name_refusals(name: Element) -> list[Refusal]:
    """Each attribute value Go cannot read in a Name (SEQUENCE OF SET OF {type, value})."""
    refusals = []
    for relative in name.children():
        for attribute in relative.children():
            _, value = attribute.children()
            refusal = _string_refusal(value.tag, value.content)
            if refusal is not None and refusal not in refusals:
                refusals.append(refusal)
    return refusals


def _extensions(field: Element) -> list[Extension]:
    """The extensions of the [3] field, in order, duplicates included."""
    (sequence,) = field.children()
    found = []
    for encoded in sequence.children():
        oid, *flag, value = encoded.children()
        flags = [(part.tag, part.content) for part in flag]
        if flags not in ([], [(der.BOOLEAN, b"\x00")], [(der.BOOLEAN, b"\xff")]):
            raise ValueError("malformed critical flag")  # Go: "x509: malformed extension critical field"
        found.append(Extension(der.oid_text(oid.content), flags == [(der.BOOLEAN, b"\xff")], value.content))
    return found


def certificate_refusals(certificate: bytes) -> tuple[list[Refusal], list[Extension]]:
    """What Go's parser refuses in a DER certificate outside its extensions, and the extensions as Go reads them
    (none below version 3: Go skips them). Raises ValueError when the DER itself is malformed."""
    tbs, outer_algorithm, _ = der.element(certificate).children()
    fields = tbs.children()
    version = 0
    if fields and fields[0].tag == der.context(0):
        version = der.integer(der.element(fields[0].content).content)
        fields = fields[1:]
    serial, inner_algorithm, issuer, _validity, subject, spki, *rest = fields
    refusals = []
    if not 0 <= version <= 2:
        refusals.append(Refusal(f"is X.509 version {version + 1}, which Go does not read",
                                "an X.509 version 3 certificate"))
    if der.integer(serial.content) < 0:
        refusals.append(Refusal("has a negative serial number, which Go refuses (since Go 1.23)",
                                "a certificate with a positive serial number (RFC 5280 4.1.2.2)"))
    if inner_algorithm.content != outer_algorithm.content:
        refusals.append(Refusal(
            "names different signature algorithms inside and outside its signed part, which Go refuses",
            "a certificate whose two signature algorithm fields agree (RFC 5280 4.1.1.2), as CA tools write them"))
    for name in (issuer, subject):
        refusals += [refusal for refusal in _name_refusals(name) if refusal not in refusals]
    spki_refusal = _spki_refusal(spki)
    refusals += [] if spki_refusal is None else [spki_refusal]
    extensions = [] if version != 2 else [ext for field in rest if field.tag == der.context(3)
                                          for ext in _extensions(field)]
    return refusals, extensions


def private_key_refusal(pkcs8: bytes) -> Refusal | None:
    """Why the tls provider cannot use a PKCS #8 private key (ParsePKCS8PrivateKey reads RSA, ECDSA, Ed25519 and
    X25519; the provider signs with the first three). Raises ValueError when the DER is malformed."""
    _, algorithm, *_ = der.element(pkcs8).children()
    return key_algorithm_refusal(algorithm, "is")
