"""Fingerprints of config set with ``--secret``: a plain output that changes when such a value changes.

A change of a secret value shows nowhere else: its outputs and resource inputs are ``[secret]`` before and after,
and a preview says "unchanged". A plain digest would show the change, but an unkeyed digest of an address or a
name can be reversed by trying every candidate. So each fingerprint is an HMAC-SHA256 keyed with a key derived
from the stack's CA private key: the most guarded secret the stack has, stable across updates, never in plain text;
without it no candidate can be tried. A CA rotation changes every fingerprint once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

FINGERPRINT_KEY_LABEL = b"kthw secret config fingerprint v1\0"
"""Domain separation: the HMAC key is SHA-256 of this label and the CA key, never the CA key itself."""
FINGERPRINT_HEX_DIGITS = 32
"""128 bits of the HMAC: enough to tell any change, short enough to read in a diff."""


def canonical_value(value: Any) -> str:
    """A config value as one text, whatever way it was written: structured values (which Pulumi hands over as JSON
    text) by their decoded content, with sorted keys."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return json.dumps(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(key_material: str, name: str, value: Any) -> str:
    """The fingerprint of the secret config value ``value`` of key ``name``."""
    key = hashlib.sha256(FINGERPRINT_KEY_LABEL + key_material.encode()).digest()
    message = f"{name}\0{canonical_value(value)}".encode()
    return "hmac-sha256:" + hmac.new(key, message, hashlib.sha256).hexdigest()[:FINGERPRINT_HEX_DIGITS]


def fingerprints(key_material: str, secret_values: Mapping[str, Any]) -> dict[str, str]:
    """Top-level key -> fingerprint, for every secret config value given."""
    return {name: fingerprint(key_material, name, value) for name, value in sorted(secret_values.items())}
