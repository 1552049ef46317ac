"""What Go makes of a CA certificate's extensions when it verifies a client certificate the CA signed.

Mirrors Go's crypto/x509: parser.go (processExtensions, parseNameConstraintsExtension) says which critical extensions
it handles, refuses a few outright and reads name constraints strictly; verify.go (isValid, checkChainForKeyUsage)
refuses a chain whose CA has an unhandled critical extension ("unhandled critical extension") or an
extendedKeyUsage without client authentication ("incompatible key usage"). kube-apiserver verifies the admin
certificate with it, so such a CA would sign an admin certificate nobody can use.
"""

from __future__ import annotations

import ipaddress
import re

from components.config.shown import shown
from components.pki import der
from components.pki.ca_encoding import Extension, Refusal
from components.pki.der import Element

NAMES = {
    "2.5.29.14": "subjectKeyIdentifier", "2.5.29.15": "keyUsage", "2.5.29.17": "subjectAltName",
    "2.5.29.18": "issuerAltName", "2.5.29.19": "basicConstraints", "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints", "2.5.29.32": "certificatePolicies", "2.5.29.33": "policyMappings",
    "2.5.29.35": "authorityKeyIdentifier", "2.5.29.36": "policyConstraints", "2.5.29.37": "extendedKeyUsage",
    "2.5.29.46": "freshestCRL", "2.5.29.54": "inhibitAnyPolicy", "2.5.29.9": "subjectDirectoryAttributes",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess", "1.3.6.1.5.5.7.1.24": "tlsFeature",
}
SUBJECT_ALT_NAME, NAME_CONSTRAINTS, EXTENDED_KEY_USAGE = "2.5.29.17", "2.5.29.30", "2.5.29.37"
HANDLED = frozenset({"2.5.29.15", "2.5.29.19", "2.5.29.31", "2.5.29.32", "2.5.29.33", "2.5.29.36", "2.5.29.37",
                     "2.5.29.54"})
"""Extensions Go handles whatever they hold, critical or not (subjectAltName and nameConstraints depend on it)."""
NEVER_CRITICAL = {"2.5.29.14": "4.2.1.2", "2.5.29.35": "4.2.1.1", "1.3.6.1.5.5.7.1.1": "4.2.2.1"}
"""Extensions Go refuses when marked critical, with the RFC 5280 section that says conforming CAs never do."""
CLIENT_AUTH, ANY_USAGE = "1.3.6.1.5.5.7.3.2", "2.5.29.37.0"
USAGE_NAMES = {"1.3.6.1.5.5.7.3.1": "serverAuth", CLIENT_AUTH: "clientAuth", "1.3.6.1.5.5.7.3.3": "codeSigning",
               "1.3.6.1.5.5.7.3.4": "emailProtection", "1.3.6.1.5.5.7.3.8": "timeStamping",
               "1.3.6.1.5.5.7.3.9": "OCSPSigning", ANY_USAGE: "anyExtendedKeyUsage"}
EMAIL, DNS, URI, IP = (der.context(number, constructed=False) for number in (1, 2, 6, 7))
GENERAL_NAMES = {EMAIL: "rfc822Name", DNS: "dNSName", URI: "uniformResourceIdentifier", IP: "iPAddress"}
"""The GeneralName kinds Go reads in subjectAltName and nameConstraints, by tag."""
OTHER_GENERAL_NAMES = {der.context(0): "otherName", der.context(3): "x400Address", der.context(4): "directoryName",
                       der.context(5): "ediPartyName", der.context(8, constructed=False): "registeredID"}
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:(//(?P<authority>[^/?#]*))?[!-~]*")
_HOST = re.compile(r"[A-Za-z0-9_~-]+(\.[A-Za-z0-9_~-]+)*")
"""Host names url.Parse takes as they are (letters, digits, '-', '_', '~' and dots)."""
_USER = re.compile(r"[A-Za-z0-9._:~!$&'()*+,;=%@-]*")
"""The characters url.Parse allows in a URI's user information (validUserinfo)."""
CRITICAL_ACCEPTED = ("a CA certificate whose critical extensions are ones Go handles (basicConstraints, keyUsage, "
                     "extendedKeyUsage, subjectAltName, nameConstraints on DNS names, IP ranges, email addresses "
                     "and URIs, certificatePolicies, policyMappings, policyConstraints, inhibitAnyPolicy, "
                     "cRLDistributionPoints); any other extension non-critical")
UNHANDLED = "Go refuses every certificate it signs ('unhandled critical extension')"


def extension_name(oid: str) -> str:
    """An extension's OID with its name when known: "2.5.29.18 (issuerAltName)"."""
    return f"{oid} ({NAMES[oid]})" if oid in NAMES else oid


def extension_refusals(extensions: list[Extension]) -> list[Refusal]:
    """Every reason Go would refuse the admin certificate this CA signs, found in its extensions."""
    refusals = []
    seen: set[str] = set()
    for extension in extensions:
        if extension.oid in seen:
            refusals.append(Refusal(f"has the extension {extension_name(extension.oid)} twice, which Go refuses",
                                    "each extension at most once"))
        seen.add(extension.oid)
        try:
            refusals += _refusals(extension)
        except ValueError:
            refusals.append(Refusal(f"has a malformed {extension_name(extension.oid)} extension, which Go refuses",
                                    f"{extension_name(extension.oid)} encoded as RFC 5280 defines it"))
    return refusals


def _refusals(extension: Extension) -> list[Refusal]:
    oid, critical = extension.oid, extension.critical
    if oid in NEVER_CRITICAL:
        if not critical:
            return []
        return [Refusal(f"marks its {NAMES[oid]} critical, which Go refuses (RFC 5280 {NEVER_CRITICAL[oid]}: "
                        "conforming CAs mark it non-critical)", f"the certificate with {NAMES[oid]} non-critical")]
    if oid == EXTENDED_KEY_USAGE:
        return _usage_refusals(der.element(extension.value))
    if oid == NAME_CONSTRAINTS:
        return _name_constraint_refusals(der.element(extension.value), critical)
    if oid == SUBJECT_ALT_NAME:
        names = der.element(extension.value).children()
        refusals = [refusal for name in names if (refusal := _alt_name_refusal(name)) is not None]
        if critical and not any(name.tag in GENERAL_NAMES for name in names):
            refusals.append(Refusal("has a critical subjectAltName without a DNS name, email address, IP address or "
                                    f"URI, which Go does not handle: {UNHANDLED}", CRITICAL_ACCEPTED))
        return refusals
    if critical and oid not in HANDLED:
        return [Refusal(f"has a critical extension Go does not handle: {extension_name(oid)}; {UNHANDLED}",
                        CRITICAL_ACCEPTED)]
    return []


def _alt_name_refusal(name: Element) -> Refusal | None:
    """Why Go's parser refuses one of the CA's own subject alternative names (parser.go, parseSANExtension): names
    and emails in ASCII, an IP address of 4 or 16 bytes, a URI Go's url.Parse reads."""
    if name.tag not in GENERAL_NAMES:
        return None
    kind, value = GENERAL_NAMES[name.tag], name.content
    if name.tag == IP:
        good = len(value) in (4, 16)
    else:
        good = value.isascii() and (name.tag != URI or uri_readable(value.decode("ascii")))
    if good:
        return None
    return Refusal(f"has a subjectAltName {kind} Go cannot read: {_unreadable(name)}",
                   "subject alternative names in ASCII; URIs of the form scheme:rest, with a host Go reads as a DNS "
                   "name or an IP address")


def _unreadable(name: Element) -> str:
    """A GeneralName Go cannot read, as a refusal shows it: an IP address by its length, anything else as text."""
    return f"{len(name.content)} bytes" if name.tag == IP else shown(name.content.decode("latin-1"))


def uri_readable(text: str) -> bool:
    """Whether Go's url.Parse and domainNameValid surely read this URI (parser.go, parseSANExtension): a scheme,
    printable ASCII, valid %-escapes, and an authority whose user, host and port url.Parse takes. Stricter than Go
    in corners (an IPv6 zone, hosts with characters other than letters, digits, '-', '_', '~'), never laxer."""
    match = _URI.fullmatch(text)
    if match is None or re.search(r"%(?![0-9A-Fa-f]{2})", text):
        return False
    authority = match.group("authority")
    if authority is None:
        return True
    user, _, host_port = authority.rpartition("@")
    if _USER.fullmatch(user) is None:
        return False
    if host_port.startswith("["):
        host, closed, port = host_port[1:].partition("]")
        host_good = bool(closed) and ":" in host and _is_ip(host)
    else:
        host, _, port = host_port.partition(":")
        port = f":{port}" if port else ""
        host_good = not host or _is_ip(host) or (
            _HOST.fullmatch(host) is not None and domain_name_valid(host_port, constraint=False))
    return host_good and (not port or (port.startswith(":") and all(digit in "0123456789" for digit in port[1:])))


def _usage_refusals(usages: Element) -> list[Refusal]:
    """Go crosses out each usage a CA's extendedKeyUsage does not list (verify.go, checkChainForKeyUsage):
    kube-apiserver asks for clientAuth."""
    listed = [der.oid_text(usage.content) for usage in usages.children()]
    if not listed or CLIENT_AUTH in listed or ANY_USAGE in listed:
        return []
    names = ", ".join(USAGE_NAMES.get(usage, usage) for usage in listed)
    return [Refusal(f"has an extendedKeyUsage without clientAuth ({names}): Go refuses the client certificates it "
                    "signs ('incompatible key usage'), so kube-apiserver would refuse the admin certificate",
                    "a CA certificate without extendedKeyUsage, or one listing clientAuth or anyExtendedKeyUsage")]


def _name_constraint_refusals(constraints: Element, critical: bool) -> list[Refusal]:
    """Go reads DNS, IP, email and URI constraints (and refuses malformed ones); any other kind makes a critical
    nameConstraints unhandled, though Go checks constraints only against subject alternative names."""
    subtrees = [tree for tree in constraints.children() if tree.tag in (der.context(0), der.context(1))]
    if len(subtrees) != len(constraints.children()) or not any(tree.content for tree in subtrees):
        raise ValueError("nameConstraints without permitted or excluded subtrees")
    refusals, others = [], []
    for subtree in subtrees:
        for entry in subtree.children():
            base = entry.children()[0]
            if base.tag in GENERAL_NAMES:
                refusal = _constraint_refusal(base)
                refusals += [] if refusal is None else [refusal]
            else:
                others.append(OTHER_GENERAL_NAMES.get(base.tag, f"name of tag {base.tag:#x}"))
    if critical and others:
        kinds = ", ".join(sorted(set(others)))
        refusals.append(Refusal(
            f"has a critical nameConstraints with a {kinds}, which Go does not handle: {UNHANDLED} (Go checks "
            "name constraints only against subject alternative names, and the admin certificate has none)",
            "nameConstraints non-critical, or limited to DNS names, IP ranges, email addresses and URIs"))
    return refusals


def _constraint_refusal(base: Element) -> Refusal | None:
    """Why Go's parser refuses one DNS, email, URI or IP constraint (parser.go, parseNameConstraintsExtension)."""
    kind, value = GENERAL_NAMES[base.tag], base.content
    if base.tag == IP:
        good = len(value) in (8, 32) and _mask_valid(value[len(value) // 2:])
    else:
        text = value.decode("latin-1")
        good = value.isascii() and (
            _mailbox_valid(text) if base.tag == EMAIL and "@" in text
            else not (base.tag == URI and _is_ip(text)) and domain_name_valid(text, constraint=True))
    if good:
        return None
    return Refusal(f"has a nameConstraints {kind} Go cannot read: {_unreadable(base)}",
                   "name constraints Go reads: DNS names and domains without a trailing dot or empty labels "
                   "('.example.com' for subdomains), an address with a contiguous mask")


def domain_name_valid(name: str, *, constraint: bool) -> bool:
    """Go's domainNameValid (parser.go) as Go 1.25 and 1.26 apply it: printable ASCII labels, none empty, no
    trailing dot; a constraint may start with a dot."""
    if not name:
        return True
    if name.endswith("."):
        return False
    if constraint and name.startswith("."):
        name = name[1:]
    return all(label and all(33 <= ord(character) <= 126 for character in label) for label in name.split("."))


def _mailbox_valid(text: str) -> bool:
    """A mailbox constraint as Go reads it (verify.go, parseRFC2821Mailbox), without quoted local parts (refused
    here, though Go reads them)."""
    local, _, domain = text.partition("@")
    atext = set("!#$%&'*+-/=?^_`{|}~.") | set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    dots_fine = not local.startswith(".") and not local.endswith(".") and ".." not in local
    return bool(local) and set(local) <= atext and dots_fine and bool(domain) and domain_name_valid(
        domain, constraint=False)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def _mask_valid(mask: bytes) -> bool:
    """Ones, then zeros (parser.go, isValidIPMask)."""
    bits = "".join(f"{byte:08b}" for byte in mask)
    return "01" not in bits
