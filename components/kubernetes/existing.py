"""Objects already in the cluster that kthw did not make: refused unless the user asks kthw to take them over.

pulumi-kubernetes 4.25.0 creates with a server-side apply, which takes over an object of the same name without a word
(await.Creation: "we currently always upsert the object"), so a weave-net or coredns installed earlier by hand would
become the stack's, and `pulumi destroy` would delete it. Before the objects are applied, kthw reads each one from the
cluster: one that exists without this stack's annotation (components/kubernetes/objects.py) is someone else's, and
is refused unless ``clusterObjects.adopt`` names it. Node objects are not among them: kthw only sets their podCIDRs.

The same read finds the prerequisites kthw does not make: a namespace a RoleBinding goes into (without it the apply
fails, so the update stops first, saying what is missing and for whom), and the role a binding grants (without it the
binding grants nothing: a warning).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

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
    adopted = set(adopt)
    taken = [reference for reference in references if reference not in adopted]
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


@dataclass(frozen=True)
class Prerequisite:
    """An object that one of kthw's needs and kthw does not make."""

    target: ClusterObject
    """What must exist (only its kind, name and namespace are read)."""
    needed_by: str
    """Who needs it, as messages name them: ``users[0] (alice)``."""
    blocking: bool
    """True: the apply fails without it (a namespace); False: a binding grants nothing until it exists."""

    def missing(self) -> str:
        """What the message says of it when the cluster does not have it."""
        where = "" if self.target.namespace is None else f" in namespace {self.target.namespace}"
        effect = ("kthw cannot make its binding there" if self.blocking
                  else "its binding is made, but grants nothing until the role exists")
        return f"{self.needed_by}: the cluster has no {self.target.kind} {self.target.name}{where}: {effect}"


def missing_prerequisites(prerequisites: Sequence[Prerequisite], absent: Collection[str],
                          made: Iterable[ClusterObject]) -> tuple[list[str], list[str]]:
    """(what stops the update, what is only warned of): the prerequisites whose reference is ``absent`` from the
    cluster, but for those kthw makes itself."""
    made_here = {item.reference for item in made}
    missing = [item for item in prerequisites
               if item.target.reference in absent and item.target.reference not in made_here]
    blocking = [item.missing() for item in missing if item.blocking]
    return blocking, [item.missing() for item in missing if not item.blocking]
