"""DNS names as a resolver reads them (RFC 1123 host names): what ssh is given as the load balancer, and what
machines.txt holds as a machine's FQDN.

Letters of either case, digits and '-', in labels of at most 63 characters that start and end with a letter or digit,
separated by dots, with an optional trailing dot (an absolute name); at most 253 characters without that dot.
Kubernetes' names of objects (a node's name) follow a narrower rule, the lowercase RFC 1123 subdomain of
apimachinery's validation, which network/rules.py checks: a name a resolver takes may still be refused as a node
name (``Worker-0``), and the two must not be confused.
"""

from __future__ import annotations

import re

DNS_NAME_MAX_LENGTH = 253
"""RFC 1035's limit on a name, without the trailing dot of an absolute one."""
_LABEL = r"[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?"
DNS_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")
"""Labels separated by dots, with an optional trailing dot; the length is DNS_NAME_MAX_LENGTH's."""


def is_dns_name(text: str) -> bool:
    """Whether ``text`` is a DNS name, absolute (trailing dot) or not, of at most DNS_NAME_MAX_LENGTH characters."""
    return DNS_NAME.fullmatch(text) is not None and len(text.removesuffix(".")) <= DNS_NAME_MAX_LENGTH
