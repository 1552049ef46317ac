"""The cluster DNS keys: ``dns`` (none or coredns) and ``coredns`` (its image and replicas). Each default is
declared once, here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.config_values import integer_in, json_object, one_of, or_default
from components.dns import coredns
from components.errors import Problems
from components.podnetwork.images import parse_image
from components.podnetwork.options import config_keys

MODES = ("none", "coredns")
DEFAULT_MODE = "none"


@dataclass(frozen=True)
class CorednsOptions:
    """``coredns``: the image (a CoreDNS release, or a mirror of it) and how many replicas."""

    image: str = coredns.IMAGE
    replicas: int = coredns.REPLICAS


@dataclass(frozen=True)
class DnsOptions:
    """``dns`` and the options of the chosen server."""

    mode: str = DEFAULT_MODE
    coredns: CorednsOptions = CorednsOptions()


def parse_coredns(value: Any) -> CorednsOptions:
    problems = Problems()
    obj = json_object({} if value is None else value, "coredns", config_keys(CorednsOptions), problems=problems)
    defaults = CorednsOptions()
    options = CorednsOptions(
        image=problems.check(lambda: parse_image(or_default(obj, "image", defaults.image), "coredns.image"),
                             defaults.image),
        replicas=problems.check(lambda: integer_in(or_default(obj, "replicas", defaults.replicas),
                                                   "coredns.replicas", 1, 100), defaults.replicas),
    )
    problems.raise_any()
    return options


def parse_dns(mode: Any, coredns_value: Any) -> DnsOptions:
    """``dns`` and ``coredns``, every problem reported together."""
    problems = Problems()
    options = DnsOptions(
        mode=problems.check(lambda: one_of(DEFAULT_MODE if mode in (None, "") else mode, "dns", MODES),
                            DEFAULT_MODE),
        coredns=problems.check(lambda: parse_coredns(coredns_value), CorednsOptions()),
    )
    problems.raise_any()
    return options
