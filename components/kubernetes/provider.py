"""The one kubernetes Provider every cluster object goes through, made from the stack's own kubeconfig, and the
read of the cluster that precedes the first object.

* ``cluster_identifier`` is a constant: without one, pulumi-kubernetes replaces the provider, and so every object in
  the cluster, whenever the kubeconfig changes (a renewed admin certificate, another tunnel.localPort). It is not
  the clusterName, whose change would do the same.
* Server-side apply, pulumi-kubernetes' default, is set explicitly: the node podCIDRs are applied as NodePatch,
  which only exists with it.
* The provider checks kube-apiserver once, when it starts, and treats the cluster as unreachable for the rest of the
  run when that fails: so it depends on the managed tunnel, and is started only after the read below.
* Its kubeconfig holds the admin key: the provider's inputs are secret in the state.
"""

from __future__ import annotations

import socket
import urllib.parse
from collections.abc import Sequence

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.cluster.api import ApiConnection, ClusterAccessError, current_entries
from components.kubernetes.existing import Prerequisite, api_path, missing_prerequisites, refusal, someone_elses
from components.kubernetes.objects import ClusterObject

CLUSTER_IDENTIFIER = "kthw"
REACH_TIMEOUT_SECONDS = 2.0


class ClusterObjectsError(pulumi.RunError):
    """The cluster cannot take the objects: unreachable, or holding someone else's objects of the same names."""


def server_of(kubeconfig: str) -> str:
    """The server of the kubeconfig's current context."""
    cluster, _ = current_entries(yaml.safe_load(kubeconfig))
    return str(cluster["server"])


def reachable(server: str, timeout: float = REACH_TIMEOUT_SECONDS) -> bool:
    """Whether anything accepts a connection at the server's host and port (the tunnel's local end)."""
    url = urllib.parse.urlsplit(server)
    try:
        with socket.create_connection((url.hostname or "localhost", url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


def read_existing(kubeconfig: str, objects: Sequence[ClusterObject], prerequisites: Sequence[ClusterObject] = (),
                  ) -> tuple[dict[str, dict[str, str] | None], set[str]]:
    """Each object's annotations as the cluster has it (None when it has none of that name), and the references of
    the ``prerequisites`` it does not have; first the API's version, so that a cluster that does not answer (a
    tunnel whose far end is down) fails here even with nothing to read."""
    found: dict[str, dict[str, str] | None] = {}
    with ApiConnection(kubeconfig) as api:
        api.get_json("/version")
        for item in objects:
            live = api.find_json(api_path(item))
            found[item.reference] = None if live is None else dict(live.get("metadata", {}).get("annotations") or {})
        unique = {item.reference: item for item in prerequisites}
        absent = {reference for reference, item in unique.items() if api.find_json(api_path(item)) is None}
    return found, absent


def check_cluster(kubeconfig: str, objects: Sequence[ClusterObject], stack: str, adopt: Sequence[str], *,
                  dry_run: bool, prerequisites: Sequence[Prerequisite] = (), made: Sequence[ClusterObject] = ()) -> str:
    """Read the cluster before the first object is applied: refuse someone else's objects, a missing namespace a
    binding goes into, and, in an update, a cluster that cannot be reached (naming the tunnel); warn of a missing role
    a binding grants. ``made`` is every object kthw makes (a prerequisite among them is not missing). A preview of an
    unreachable cluster says so once and goes on from the config alone. Returns the kubeconfig, for the provider to
    start with only after this."""
    server = server_of(kubeconfig)
    try:
        if not reachable(server):
            raise ClusterAccessError(
                f"nothing answers at {server}: the SSH tunnel to the API server is not open. Run tunnelCommand (or, "
                "with tunnel.manage, check why it did not open), then `pulumi up` again: the other outputs are "
                "recorded, and the next update applies the objects")
        found, absent = read_existing(kubeconfig, objects, [item.target for item in prerequisites])
    except ClusterAccessError as error:
        if dry_run:
            pulumi.log.info(f"kthw: the cluster was not contacted ({error}): the cluster objects of this preview are "
                            "computed from the config alone")
            return kubeconfig
        raise ClusterObjectsError(f"kthw: the cluster objects cannot be applied: {error}") from None
    problem = refusal(someone_elses(found, stack), adopt)
    if problem is not None:
        raise ClusterObjectsError(problem)
    blocking, missing_roles = missing_prerequisites(prerequisites, absent, made)
    for warning in missing_roles:
        pulumi.log.warn(f"kthw: {warning}")
    if blocking:
        raise ClusterObjectsError("kthw: " + "; ".join(blocking) + " (`kubectl create namespace NAME`, or remove the "
                                  "grant from the config)")
    return kubeconfig


def cluster_provider(name: str, kubeconfig: pulumi.Output[str], *, opts: pulumi.ResourceOptions | None = None,
                     ) -> k8s.Provider:
    """The provider, started with ``kubeconfig`` (an Output that resolves once the cluster has been read)."""
    secret: pulumi.Output[str] = pulumi.Output.secret(kubeconfig)
    return k8s.Provider(
        name,
        kubeconfig=secret,
        cluster_identifier=CLUSTER_IDENTIFIER,
        enable_server_side_apply=True,
        opts=opts,
    )
