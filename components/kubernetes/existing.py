"""Objects already in the cluster that kthw did not make: refused unless the user asks kthw to take them over.

pulumi-kubernetes 4.25.0 creates with a server-side apply, which takes over an object of the same name without a word
(await.Creation: "we currently always upsert the object"), so a weave-net or coredns installed earlier by hand would
become the stack's, and `pulumi destroy` would delete it. Before the objects are applied, kthw reads each one from the
cluster: one that exists without this stack's annotation (components/kubernetes/objects.py) is someone else's, and
is refused unless ``clusterObjects.adopt`` names it. Node objects are not among them: kthw only sets their podCIDRs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from components.kubernetes.objects import STACK_ANNOTATION, ClusterObject

PLURALS = {
    "Namespace": "namespaces", "ServiceAccount": "serviceaccounts", "ConfigMap": "configmaps", "Service": "services",
    "Node": "nodes", "DaemonSet": "daemonsets", "Deployment": "deployments", "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings", "Role": "roles", "RoleBinding": "rolebindings",
}
"""The API's resource name of each kind kthw makes."""
OWNED_KINDS = frozenset(PLURALS) - {"Node"}


def api_path(item: ClusterObject) -> str:
    """The object's path on kube-apiserver (``/apis/apps/v1/namespaces/kube-system/daemonsets/weave-net``)."""
    prefix = "/api/v1" if item.api_version == "v1" else f"/apis/{item.api_version}"
    namespace = "" if item.namespace is None else f"/namespaces/{item.namespace}"
    return f"{prefix}{namespace}/{PLURALS[item.kind]}/{item.name}"


def someone_elses(found: Mapping[str, Mapping[str, str] | None], stack: str) -> list[str]:
    """The references of the objects ``found`` (reference -> its annotations, None when absent) that exist without
    ``stack``'s annotation."""
    return [reference for reference, annotations in found.items()
            if annotations is not None and annotations.get(STACK_ANNOTATION) != stack]


def refusal(references: Sequence[str], adopt: Sequence[str]) -> str | None:
    """What stops the update when objects of someone else's would be taken over; None when every one is adopted."""
    taken = [reference for reference in references if reference not in set(adopt)]
    if not taken:
        return None
    commands = "; ".join(f"pulumi config set --path 'clusterObjects.adopt[{index}]' {reference}"
                         for index, reference in enumerate(taken, start=len(adopt)))
    return (f"kthw: the cluster already has {len(taken)} object{'' if len(taken) == 1 else 's'} this update would "
            f"make, which this stack did not make: {', '.join(taken)}. kthw does not take over someone else's "
            "objects (and `pulumi destroy` would then delete them). Delete them first (say, `kubectl delete` the "
            f"manifest that made them), or let kthw take them over: {commands} (an adopted object is kept on "
            "destroy unless clusterObjects.deleteAdopted is true)")


def owned(objects: Iterable[ClusterObject]) -> list[ClusterObject]:
    """The objects kthw makes and owns (every kind but Node)."""
    return [item for item in objects if item.kind in OWNED_KINDS]
