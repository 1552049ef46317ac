"""A small DER reader: a certificate's or a key's elements as Go's crypto/x509 parser walks them, for the fields
cryptography reads more leniently or does not expose (a name's string types, algorithm identifiers as encoded, each
extension as written, duplicates included)."""

from __future__ import annotations

from dataclasses import dataclass

BOOLEAN, INTEGER, BIT_STRING, OCTET_STRING, NULL, OID = 0x01, 0x02, 0x03, 0x04, 0x05, 0x06
SEQUENCE, SET = 0x30, 0x31
UTF8_STRING, NUMERIC_STRING, PRINTABLE_STRING, T61_STRING, IA5_STRING, BMP_STRING = 0x0C, 0x12, 0x13, 0x14, 0x16, 0x1E


def context(number: int, constructed: bool = True) -> int:
    """The identifier octet of a context-specific tag ``[number]``."""
    return 0x80 | (0x20 if constructed else 0) | number


@dataclass(frozen=True)
class Element:
    """One DER element (tag, length, content)."""

    tag: int
    """The identifier octet: class, constructed bit and tag number (numbers above 30 are refused)."""
    content: bytes
    encoded: bytes
    """The whole element as it appears in its parent, tag and length included."""

    def children(self) -> list[Element]:
        """The elements of a constructed element's content, in order."""
        return elements(self.content)


def _read(data: bytes, start: int) -> tuple[Element, int]:
    """The element at ``start`` and the offset after it. Definite lengths only, as DER requires."""
    if start + 2 > len(data):
        raise ValueError("truncated DER element")
    tag, first = data[start], data[start + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError("DER tag numbers above 30 are not read")
    offset = start + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or offset + count > len(data):
            raise ValueError("invalid DER length")
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    end = offset + length
    if end > len(data):
        raise ValueError("truncated DER element")
    return Element(tag, data[offset:end], data[start:end]), end


def elements(data: bytes) -> list[Element]:
    """Every element of ``data``, back to back; anything else in it is malformed DER."""
    found, offset = [], 0
    while offset < len(data):
        element, offset = _read(data, offset)
        found.append(element)
    return found


def element(data: bytes) -> Element:
    """The one element ``data`` holds, with nothing after it."""
    found, end = _read(data, 0)
    if end != len(data):
        raise ValueError("trailing data after the DER element")
    return found


def oid_text(content: bytes) -> str:
    """An OBJECT IDENTIFIER's content as dotted decimal ("1.2.840.113549.1.1.1")."""
    if not content or content[-1] & 0x80:
        raise ValueError("malformed object identifier")
    arcs, value = [], 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join(str(arc) for arc in [first, arcs[0] - 40 * first, *arcs[1:]])


def integer(content: bytes) -> int:
    """An INTEGER's content as a (signed) int."""
    if not content:
        raise ValueError("empty integer")
    return int.from_bytes(content, "big", signed=True)
