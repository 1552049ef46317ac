"""The whole messages about caCertPem and caKeyPem that cannot be used, which read the same for secret config (they
show no key material). What Go accepts at the edges (validity to the second, serial 0): test_ca_go_x509.py."""

from __future__ import annotations

import contextlib
import datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from components.config.shown import hiding_values
from components.pki.ca_pem import check_ca_certificate, check_ca_key
from tests.helpers.pki import ec_key, key_pem, make_ca

CA = make_ca()
NOW = datetime.datetime.now(datetime.UTC)
CERT = ("invalid config kthw:caCertPem: {}; expected the cluster's CA certificate in PEM, exactly one CERTIFICATE "
        "block and nothing else (ca.pem)")
KEY = ("invalid config kthw:caKeyPem: {}; expected the CA's unencrypted private key in PEM, exactly one block "
       "(ca-key.pem), set with --secret")
KEY_OF_ANOTHER_KIND = ("invalid config kthw:caKeyPem: {}; expected a CA key the tls provider signs with: RSA "
                       "(rsaEncryption) of 2048 bits or more, ECDSA on P-224, P-256, P-384 or P-521, or Ed25519")
BAD_BASE64 = "-----BEGIN {0}-----\nnot base64!\n-----END {0}-----\n"


@pytest.mark.parametrize(("value", "problem"), [
    (7, "is an integer, not PEM text"),
    ("", "holds 0 PEM blocks (none), not one CERTIFICATE block"),
    (CA.cert + CA.cert, "holds 2 PEM blocks (CERTIFICATE, CERTIFICATE), not one CERTIFICATE block"),
    ("x" + CA.cert, "holds text outside its PEM block(s)"),
    (BAD_BASE64.format("CERTIFICATE"), "cannot be parsed as an X.509 certificate"),
])
def test_a_ca_certificate_that_cannot_be_read(value: object, problem: str) -> None:
    for hidden in (False, True):
        with hiding_values() if hidden else contextlib.nullcontext():
            _, errors = check_ca_certificate(value, NOW)
        assert [str(error) for error in errors] == [CERT.format(problem)]


@pytest.mark.parametrize(("value", "message"), [
    (7, KEY.format("is an integer, not PEM text")),
    ("", KEY.format("holds 0 PEM block(s) (none), not one private key")),
    ("x" + CA.key, KEY.format("holds text outside its PEM block")),
    (CA.cert, KEY.format("holds 1 PEM block(s) (CERTIFICATE), not one private key")),
    (BAD_BASE64.format("PRIVATE KEY"), KEY.format("cannot be read as an unencrypted private key")),
    (key_pem(ec_key(ec.SECP256K1())),
     KEY_OF_ANOTHER_KIND.format("is an elliptic-curve key on secp256k1, which Go does not use")),
])
def test_a_ca_key_that_cannot_be_used(value: object, message: str) -> None:
    for hidden in (False, True):
        with hiding_values() if hidden else contextlib.nullcontext():
            _, errors = check_ca_key(value)
        assert [str(error) for error in errors] == [message]

