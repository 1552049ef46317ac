"""What a pod network refuses of the plan, and what the preview says when it changes.

* Weave is IPv4 only: no IPv6 range, no dual stack.
* A deployed Weave network keeps its IPALLOC_RANGE: peers started with different ranges refuse each other
  ("Incompatible IP allocation ranges") and forget the addresses they gave, so a change of the cluster range is
  refused unless ``weave.changeRange`` asks for it.
* Flannel and bridge apply each node's podCIDRs to its Node object: a Pulumi resource's name is never encrypted, so
  with ``nodes`` set as secret config the names would show in the stack's resource names.
* Switching one pod network for another leaves the old one's CNI config and interfaces on every node: a warning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from components.config.errors import ConfigError
from components.podnetwork.options import PodNetworkOptions


def weave_family_problem(options: PodNetworkOptions, cluster_versions: Sequence[int]) -> ConfigError | None:
    """Weave with an IPv6 range."""
    if options.mode != "weave" or list(cluster_versions) == [4]:
        return None
    return ConfigError("podNetwork", "is weave, which is IPv4 only, and network.clusterCidr has an IPv6 range",
                       "flannel or bridge for an IPv6 or dual-stack cluster, or one IPv4 network.clusterCidr",
                       safe=True)


def weave_range_problem(options: PodNetworkOptions, last_mode: str | None, last_range: str | None,
                        cluster_range: str) -> ConfigError | None:
    """A change of a deployed Weave network's range, not asked for."""
    if options.mode != "weave" or last_mode != "weave" or last_range in (None, cluster_range):
        return None
    if options.weave.change_range:
        return None
    return ConfigError(
        "network.clusterCidr",
        f"changing it from {last_range} to {cluster_range} changes the IPALLOC_RANGE of a deployed Weave network: its "
        "peers refuse each other ('Incompatible IP allocation ranges') until every node runs weave with the new "
        "range, and the addresses pods had are forgotten",
        f"{last_range}; or, to change it on purpose, `pulumi config set --path weave.changeRange true` for that "
        "update (then restart weave on every node)",
        without_values="would change the IPALLOC_RANGE of a deployed Weave network",
    )


def secret_nodes_problem(options: PodNetworkOptions, nodes_secret: bool) -> ConfigError | None:
    """Node podCIDR applies, whose resource names would show secret node names."""
    if not (options.applies_pod_cidrs and nodes_secret):
        return None
    return ConfigError(
        "podNetwork",
        f"is {options.mode}, which applies each node's podCIDRs to its Node object, one resource a node named after "
        "it, and Pulumi never encrypts a resource's name: the node names of the secret nodes key would show in "
        "the stack's state and previews",
        "nodes in plain config (addresses may stay secret elsewhere), or podNetwork none or weave", safe=True)


def pod_network_problems(options: PodNetworkOptions, cluster_versions: Sequence[int], *,
                         nodes_secret: bool) -> list[ConfigError]:
    """Every refusal of the pod network that the config alone decides, in config order (the range of a deployed
    Weave network is weave_range_problem's, with the last deployment)."""
    problems = [weave_family_problem(options, cluster_versions), secret_nodes_problem(options, nodes_secret)]
    return [problem for problem in problems if problem is not None]


def last_pod_network(last_output: Any) -> tuple[str | None, str | None]:
    """(the pod network, the first cluster range) the last deployment's ``network`` output records; (None, None)
    before the first deployment, or from a release that recorded no pod network (none, then)."""
    if not isinstance(last_output, Mapping):
        return None, None
    described = last_output.get("podNetwork")
    ranges = last_output.get("clusterCidrs")
    mode = described.get("name") if isinstance(described, Mapping) else "none"
    first = ranges[0] if isinstance(ranges, list) and ranges and isinstance(ranges[0], str) else None
    return (mode if isinstance(mode, str) else None), first


def switch_warning(mode: str, last_mode: str | None) -> str | None:
    """What a preview says when the pod network changes from one to another."""
    if last_mode in (None, "none", mode):
        return None
    return (f"podNetwork changes from {last_mode} to {mode}: {last_mode}'s CNI config and interfaces stay on every "
            "node; after this update remove them on each node as the README's 'Switching the pod network' says, "
            "and restart its kubelet, or pods may get addresses from both")
