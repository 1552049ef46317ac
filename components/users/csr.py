"""A user's certificate request, made in the program from the user's private key: CN the name, one O per group.

The tls provider's request takes one organization, and a user has any number of groups, so the request is made here,
with the key the tls provider generated. Its signature is deterministic (RSA PKCS#1 v1.5, ECDSA per RFC 6979), so the
same key and subject give the same request at every run, and an unchanged user previews with no changes. A user who
brings their own request keeps their key: the request is checked to name exactly the user and the groups.
"""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID


def subject(name: str, groups: Sequence[str]) -> x509.Name:
    """O for each group, in order, then CN: the subject kube-apiserver reads a user and their groups from."""
    return x509.Name([*(x509.NameAttribute(NameOID.ORGANIZATION_NAME, group) for group in groups),
                      x509.NameAttribute(NameOID.COMMON_NAME, name)])


def certificate_request(private_key_pem: str, name: str, groups: Sequence[str]) -> str:
    """The PEM request for ``name`` in ``groups``, signed deterministically with the key."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    builder = x509.CertificateSigningRequestBuilder().subject_name(subject(name, groups))
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ValueError("a user's key is RSA or ECDSA")
    if isinstance(key, ec.EllipticCurvePrivateKey):
        request = builder.sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    else:
        request = builder.sign(key, hashes.SHA256())  # PKCS#1 v1.5: deterministic
    return request.public_bytes(serialization.Encoding.PEM).decode()


def request_identity(request_pem: str) -> tuple[str | None, tuple[str, ...], bool]:
    """(CN, the O values in order, whether the request's signature is valid) of a PEM certificate request."""
    request = x509.load_pem_x509_csr(request_pem.encode())
    names = request.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    groups = request.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)
    return (str(names[0].value) if names else None, tuple(str(group.value) for group in groups),
            request.is_signature_valid)
