"""``clusterObjects``: how kthw puts objects into the cluster. Each default is declared once, here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from components.config_values import boolean, decoded, integer_in, json_object, or_default
from components.errors import ConfigError, Problems
from components.podnetwork.options import config_keys

WAIT_SECONDS = 600
"""pulumi-kubernetes' own default: 10 minutes for a DaemonSet, a Deployment or a Service to become ready."""
_REFERENCE = re.compile(r"[A-Z][A-Za-z]*/([a-z0-9][a-z0-9.-]*/)?[a-z0-9][a-z0-9.:-]*")
_REFERENCE_ACCEPTED = ("Kind/namespace/name, or Kind/name for a cluster-scoped object (e.g. "
                       "DaemonSet/kube-system/weave-net)")


@dataclass(frozen=True)
class ClusterObjectsOptions:
    """``clusterObjects``: the readiness wait, and the objects found in the cluster that kthw may take over."""

    wait_seconds: int = WAIT_SECONDS
    """How long `pulumi up` waits for a DaemonSet, Deployment or Service to be ready; 0: it does not wait."""
    adopt: tuple[str, ...] = ()
    """Objects made by someone else (``kubectl apply`` of the same manifest, say) that kthw may take over, as
    Kind/namespace/name; any other object already in the cluster is refused."""
    delete_adopted: bool = False
    """Let `pulumi destroy` (or switching the object off) delete an adopted object; by default it is left."""


def parse_adopt(value: Any) -> tuple[str, ...]:
    items = decoded([] if value is None else value, "clusterObjects.adopt", list, _REFERENCE_ACCEPTED)
    problems = Problems()
    for index, item in enumerate(items):
        if not isinstance(item, str) or not _REFERENCE.fullmatch(item):
            problems.errors.append(ConfigError(f"clusterObjects.adopt[{index}]", "is not an object reference",
                                               _REFERENCE_ACCEPTED, safe=True))
    problems.raise_any()
    return tuple(items)


def parse_cluster_objects(value: Any) -> ClusterObjectsOptions:
    problems = Problems()
    obj = json_object({} if value is None else value, "clusterObjects", config_keys(ClusterObjectsOptions),
                      problems=problems)
    defaults = ClusterObjectsOptions()
    options = ClusterObjectsOptions(
        wait_seconds=problems.check(lambda: integer_in(or_default(obj, "waitSeconds", defaults.wait_seconds),
                                                       "clusterObjects.waitSeconds", 0, 24 * 3600),
                                    defaults.wait_seconds),
        adopt=problems.check(lambda: parse_adopt(obj.get("adopt")), defaults.adopt),
        delete_adopted=problems.check(lambda: boolean(or_default(obj, "deleteAdopted", defaults.delete_adopted),
                                                      "clusterObjects.deleteAdopted"), defaults.delete_adopted),
    )
    problems.raise_any()
    return options
