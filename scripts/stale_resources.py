"""The resources of a stack's state that an earlier kthw declared and the current one has no plugin for, in the
order `pulumi state delete` must remove them (a resource before the provider it uses). Reads `pulumi stack export`
on stdin, prints one URN a line.

0.1 read the kubernetes Service through a pulumi-kubernetes provider under the ClusterVerification component; its
state records that provider at version 4.34.2 (the label the toolchain of that time gave a build of 4.25.0), which
no machine here has, and the engine loads it even to delete the two (CHANGELOG.md, "Upgrading a stack").
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from typing import Any

VERIFY_COMPONENT = "kthw:index:ClusterVerification"
KUBERNETES_PROVIDER = "pulumi:providers:kubernetes"


def stale_urns(resources: Iterable[Mapping[str, Any]]) -> list[str]:
    """The URNs to delete: every kubernetes provider whose parent is the verify component, after every resource that
    uses one of them."""
    resources = list(resources)
    components = {item["urn"] for item in resources if item.get("type") == VERIFY_COMPONENT}
    providers = [item for item in resources
                 if item.get("type") == KUBERNETES_PROVIDER and item.get("parent") in components]
    references = {f"{item['urn']}::{item.get('id', '')}" for item in providers}
    users = [item["urn"] for item in resources if item.get("provider") in references]
    return users + [item["urn"] for item in providers]


def main() -> None:
    exported = json.load(sys.stdin)
    for urn in stale_urns(exported.get("deployment", {}).get("resources") or []):
        print(urn)


if __name__ == "__main__":
    main()
