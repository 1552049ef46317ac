"""What stays secret because a config value it comes from was set with ``pulumi config set --secret``.

The program reads config as plain values, so Pulumi cannot see that a cluster name, an address or a CA certificate
it derives from a secret is secret too. ``SecretConfig`` says so: an output is wrapped in ``Output.secret``, and a
component built from a secret value gets a transformation that makes every input of its resources secret (and the
outputs named, for providers that copy an input into another output, such as a certificate carrying its subject).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi


def _all_inputs_secret(secret_outputs: Mapping[str, Sequence[str]]) -> pulumi.ResourceTransformation:
    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if isinstance(args.resource, pulumi.ComponentResource):
            return None
        props = {name: value if value is None else pulumi.Output.secret(value) for name, value in args.props.items()}
        opts = args.opts
        if args.type_ in secret_outputs:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(
                additional_secret_outputs=list(secret_outputs[args.type_])))
        return pulumi.ResourceTransformationResult(props, opts)

    return transform


@dataclass(frozen=True)
class SecretConfig:
    """The top-level config keys (without namespace) stored as secrets."""

    keys: frozenset[str]

    @classmethod
    def of(cls, keys: Iterable[str]) -> SecretConfig:
        return cls(frozenset(keys))

    def any(self, *keys: str) -> bool:
        """Whether any of ``keys`` is secret."""
        return not self.keys.isdisjoint(keys)

    def wrap(self, value: Any, *keys: str) -> Any:
        """``value`` as a secret Output when it comes from a secret key, else unchanged."""
        return pulumi.Output.secret(value) if self.any(*keys) else value

    def options(
        self, *keys: str, secret_outputs: Mapping[str, Sequence[str]] | None = None
    ) -> pulumi.ResourceOptions | None:
        """Options for a component built from ``keys``: every input of its resources (and ``secret_outputs``, by
        resource type, in the providers' camelCase) secret when any of them is secret."""
        if not self.any(*keys):
            return None
        return pulumi.ResourceOptions(transformations=[_all_inputs_secret(secret_outputs or {})])
