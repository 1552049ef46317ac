"""The cluster DNS keys: ``dns`` (none or coredns) and ``coredns`` (its image and replicas). Each default is
declared once, here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.config.errors import Problems
from components.config.objects import OptionsObject, default_of
from components.config.values import integer_in, one_of
from components.dns import coredns
from components.podnetwork.images import parse_image

MODES = ("none", "coredns")


@dataclass(frozen=True)
class CorednsOptions:
    """``coredns``: the image (a CoreDNS release, or a mirror of it) and how many replicas."""

    image: str = coredns.IMAGE
    replicas: int = coredns.REPLICAS


@dataclass(frozen=True)
class DnsOptions:
    """``dns`` and the options of the chosen server."""

    mode: str = "none"
    """One of MODES."""
    coredns: CorednsOptions = field(default_factory=CorednsOptions)


def parse_coredns(value: Any) -> CorednsOptions:
    problems = Problems()
    obj = OptionsObject.read(CorednsOptions, "coredns", value, problems)
    options = CorednsOptions(
        image=obj.field("image", parse_image),
        replicas=obj.field("replicas", lambda count, key: integer_in(count, key, 1, 100)),
    )
    problems.raise_any()
    return options


def parse_dns(mode: Any, coredns_value: Any) -> DnsOptions:
    """``dns`` and ``coredns``, every problem reported together."""
    default = default_of(DnsOptions, "mode")
    problems = Problems()
    options = DnsOptions(
        mode=problems.check(lambda: one_of(default if mode in (None, "") else mode, "dns", MODES), default),
        coredns=problems.check(lambda: parse_coredns(coredns_value), CorednsOptions()),
    )
    problems.raise_any()
    return options
