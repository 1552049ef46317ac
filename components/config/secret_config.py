"""What stays secret because a config value it comes from was set with ``pulumi config set --secret``.

The program reads config as plain values, so Pulumi cannot see that a cluster name, an address or a CA certificate
it derives from a secret is secret too. ``SecretConfig`` says so: an output is wrapped in ``Output.secret``, and a
component built from a secret value gets a transformation that makes every input and every output of its resources
secret (a provider may copy an input into any output: a certificate carries its subject, a command's stderr the
address it could not reach). Components register as their own outputs only values derived from their resources,
never plain values made from config: the stack's outputs are where secrecy is decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pulumi

Secrecy = tuple[str, ...] | Literal["always", "never"]
"""Whether a stack output is secret: "always", "never", or the config keys it comes from (secret when one of them is
set with ``--secret``)."""


def output_names(resource_class: type) -> list[str]:
    """Every output property a resource class of a provider SDK declares (its ``@pulumi.getter(name=...)``
    properties): Pulumi has no "all outputs" option, so a resource built from a secret lists them by name."""
    names: dict[str, None] = {}
    for klass in resource_class.__mro__:
        for member in vars(klass).values():
            name = getattr(getattr(member, "fget", None), "_pulumi_name", None)
            if isinstance(member, property) and isinstance(name, str):
                names[name] = None
    return list(names)


def _everything_secret(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Every input and every output of a resource (not of a component) secret: what a provider writes back, an
    error message among it (a Command's stderr), may repeat its inputs."""
    if isinstance(args.resource, pulumi.ComponentResource):
        return None
    props = {name: value if value is None else pulumi.Output.secret(value) for name, value in args.props.items()}
    outputs = pulumi.ResourceOptions(additional_secret_outputs=output_names(type(args.resource)))
    return pulumi.ResourceTransformationResult(props, pulumi.ResourceOptions.merge(args.opts, outputs))


@dataclass(frozen=True)
class SecretConfig:
    """The top-level config keys (without namespace) stored as secrets, and their values as the engine passed them."""

    keys: frozenset[str]
    """The keys set with ``--secret``."""
    values: Mapping[str, Any] = field(default_factory=dict)
    """Key -> value of every secret key that is set (in memory only: for their fingerprints)."""

    @classmethod
    def of(cls, keys: Iterable[str], raw: Mapping[str, Any] | None = None) -> SecretConfig:
        secret = frozenset(keys)
        return cls(secret, {key: value for key, value in (raw or {}).items() if key in secret})

    def any(self, *keys: str) -> bool:
        """Whether any of ``keys`` is secret."""
        return not self.keys.isdisjoint(keys)

    def wrap(self, value: Any, *keys: str) -> Any:
        """``value`` as a secret Output when it comes from a secret key, else unchanged."""
        return pulumi.Output.secret(value) if self.any(*keys) else value

    def output(self, value: Any, secrecy: Secrecy) -> Any:
        """``value`` as a stack output of this ``secrecy``: always secret, never (a plain value made to be shown, such
        as a keyed digest), or secret when one of the config keys it comes from is."""
        if secrecy == "always":
            return pulumi.Output.secret(value)
        if secrecy == "never":
            return pulumi.Output.unsecret(pulumi.Output.from_input(value))
        return self.wrap(value, *secrecy)

    def options(self, *keys: str) -> pulumi.ResourceOptions | None:
        """Options for a component built from ``keys``: every input and output of its resources secret when any of
        them is secret."""
        if not self.any(*keys):
            return None
        return pulumi.ResourceOptions(transformations=[_everything_secret])
