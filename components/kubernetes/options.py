"""``clusterObjects``: how kthw puts objects into the cluster. Each default is declared once, here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.config.errors import ConfigError, Problems
from components.config.objects import OptionsObject
from components.config.values import boolean, decoded, integer_in

_REFERENCE = re.compile(r"[A-Z][A-Za-z]*/([a-z0-9][a-z0-9.-]*/)?[a-z0-9][a-z0-9.:-]*")
_REFERENCE_ACCEPTED = ("Kind/namespace/name, or Kind/name for a cluster-scoped object (e.g. "
                       "DaemonSet/kube-system/weave-net)")


@dataclass(frozen=True)
class ClusterObjectsOptions:
    """``clusterObjects``: the readiness wait, and the objects found in the cluster that kthw may take over."""

    wait_seconds: int = 600
    """How long `pulumi up` waits for a DaemonSet, Deployment or Service to be ready (pulumi-kubernetes' own default,
    10 minutes); 0: it does not wait."""
    adopt: tuple[str, ...] = ()
    """Objects made by someone else (``kubectl apply`` of the same manifest, say) that kthw may take over, as
    Kind/namespace/name; any other object already in the cluster is refused."""
    delete_adopted: bool = False
    """Let `pulumi destroy` (or switching the object off) delete an adopted object; by default it is left."""


def parse_adopt(value: Any, key: str) -> tuple[str, ...]:
    items = decoded(value, key, list, _REFERENCE_ACCEPTED)
    problems = Problems()
    for index, item in enumerate(items):
        if not isinstance(item, str) or not _REFERENCE.fullmatch(item):
            problems.errors.append(ConfigError(f"{key}[{index}]", "is not an object reference", _REFERENCE_ACCEPTED,
                                               safe=True))
    problems.raise_any()
    return tuple(items)


def parse_cluster_objects(value: Any) -> ClusterObjectsOptions:
    problems = Problems()
    obj = OptionsObject.read(ClusterObjectsOptions, "clusterObjects", value, problems)
    options = ClusterObjectsOptions(
        wait_seconds=obj.field("wait_seconds", lambda seconds, key: integer_in(seconds, key, 0, 24 * 3600)),
        adopt=obj.field("adopt", parse_adopt),
        delete_adopted=obj.field("delete_adopted", boolean),
    )
    problems.raise_any()
    return options
