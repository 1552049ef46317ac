"""Container image references, read as the container runtime reads them (github.com/distribution/reference, which
containerd's CRI parses every pod's image with: ParseDockerRef), and pinned: a tag or a digest, never the implicit
``latest`` that would change what a node pulls from one day to the next.

The grammar (distribution/reference's regexp.go): ``[domain/]path[:tag][@digest]``; a domain is DNS labels (any
case) or a bracketed IPv6 address, with an optional port; path components are lowercase letters and digits joined by
``.``, ``_``, ``__`` or runs of ``-``; a tag is a word character then up to 127 word characters, ``.`` or ``-``; a
digest is an algorithm the runtime knows (sha256, sha384, sha512) and its exact hex length. The path, as the runtime
normalizes it (``weave`` is ``docker.io/library/weave``), is at most 255 characters.
"""

from __future__ import annotations

import re

from components.config.errors import ConfigError

_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"(?:{_DOMAIN_COMPONENT}(?:\.{_DOMAIN_COMPONENT})*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?"
_PATH_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_PATH = rf"{_PATH_COMPONENT}(?:/{_PATH_COMPONENT})*"
_TAG = r"[\w][\w.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"(?P<name>(?:{_DOMAIN}/)?{_PATH})(?::(?P<tag>{_TAG}))?(?:@(?P<digest>{_DIGEST}))?",
                        re.ASCII)
PATH_MAX_LENGTH = 255
"""distribution/reference's NameTotalLengthMax, which it checks against the path without the domain."""
DIGEST_HEX_LENGTHS = {"sha256": 64, "sha384": 96, "sha512": 128}
"""The digest algorithms the runtime verifies, and their hex lengths (opencontainers/go-digest)."""
ACCEPTED = ("an image reference with a tag or a digest, such as docker.io/rajchaudhuri/weave-kube:2.9.0 or "
            "registry.example.com/weave-kube@sha256:<64 hex digits>")


def image_problem(reference: str) -> str | None:
    """Why the runtime would refuse ``reference``, or why kthw does (no tag nor digest); None when it is fine."""
    match = _REFERENCE.fullmatch(reference)
    if match is None:
        return "is not an image reference"
    name, tag, digest = match.group("name", "tag", "digest")
    path = normalized_path(name)
    if len(path) > PATH_MAX_LENGTH:
        return f"has a repository path of {len(path)} characters, more than {PATH_MAX_LENGTH}"
    if digest is not None:
        algorithm, hex_digits = digest.split(":", 1)
        if algorithm not in DIGEST_HEX_LENGTHS:
            return f"has a digest of an algorithm the runtime does not verify ({', '.join(DIGEST_HEX_LENGTHS)})"
        if len(hex_digits) != DIGEST_HEX_LENGTHS[algorithm]:
            return f"has a {algorithm} digest of {len(hex_digits)} hex digits, not {DIGEST_HEX_LENGTHS[algorithm]}"
    if tag is None and digest is None:
        return "has neither a tag nor a digest, so every node would pull whatever 'latest' is that day"
    return None


def normalized_path(name: str) -> str:
    """The repository path of ``name`` as the runtime reads it (splitDockerDomain): the first component is a
    registry only when it has a dot or a colon, is ``localhost`` or has upper case; a path of one component on Docker
    Hub is under ``library/``."""
    first, slash, rest = name.partition("/")
    if slash and ("." in first or ":" in first or first == "localhost" or first.lower() != first):
        return rest
    return name if slash else f"library/{name}"


def parse_image(value: object, key: str) -> str:
    """An image reference the runtime accepts, with a tag or a digest."""
    if not isinstance(value, str):
        raise ConfigError(key, "is not a string", ACCEPTED, safe=True)
    problem = image_problem(value)
    if problem is not None:
        raise ConfigError(key, problem, ACCEPTED, safe=True)
    return value
