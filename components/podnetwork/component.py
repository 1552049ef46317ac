"""``kthw:index:PodNetwork``: the pod network's objects (Weave's or Flannel's) and, where the network reads them, the
applies that give each listed node the plan's podCIDRs."""

from __future__ import annotations

import contextlib
from typing import Any

import pulumi

from components.config.shown import hiding_values
from components.kubernetes.component import ObjectGroup
from components.kubernetes.objects import ClusterObject
from components.network.model import NetworkPlan
from components.podnetwork.flannel import flannel_objects
from components.podnetwork.node_cidrs import node_objects
from components.podnetwork.options import PodNetworkOptions
from components.podnetwork.rules import last_pod_network, switch_warning, weave_range_problem
from components.podnetwork.weave import weave_objects


def pod_network_objects(options: PodNetworkOptions, plan: NetworkPlan) -> list[ClusterObject]:
    """Every object the pod network puts into the cluster for ``plan``: none for none."""
    spec = plan.spec
    objects: list[ClusterObject] = []
    if options.mode == "weave":
        objects += weave_objects(str(spec.cluster_cidrs[0]), options.weave.kube_image, options.weave.npc_image)
    elif options.mode == "flannel":
        ranges: dict[int, str] = {cidr.version: str(cidr) for cidr in spec.cluster_cidrs}
        masks: dict[int, int] = {cidr.version: spec.node_mask(cidr.version) for cidr in spec.cluster_cidrs}
        objects += flannel_objects(ranges, masks, backend=options.flannel.backend, image=options.flannel.image,
                                   cni_plugin_image=options.flannel.cni_plugin_image)
    if options.applies_pod_cidrs:
        objects += node_objects(plan.pod_cidrs)
    return objects


def announce(options: PodNetworkOptions, plan: NetworkPlan, last_output: Any, *, hide_values: bool) -> None:
    """Stop where a deployed Weave network's range would change unasked, and warn where the pod network switches
    (before any resource is registered)."""
    last_mode, last_range = last_pod_network(last_output)
    with hiding_values() if hide_values else contextlib.nullcontext():
        problem = weave_range_problem(options, last_mode, last_range, str(plan.spec.cluster_cidrs[0]))
    if problem is not None:
        raise pulumi.RunError(str(problem))
    warning = switch_warning(options.mode, last_mode)
    if warning is not None:
        pulumi.log.warn(warning)


class PodNetwork(ObjectGroup):
    """``kthw:index:PodNetwork``: one typed resource per object of the pod network."""

    TYPE = "kthw:index:PodNetwork"
