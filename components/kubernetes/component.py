"""``kthw:index:ClusterConnection``: the kubernetes Provider every cluster object goes through, started only once
the managed tunnel is open and the cluster has been read (provider.py says why); ObjectGroup: the shape of every
component that puts objects into the cluster through it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import pulumi
import pulumi_kubernetes as k8s

from components.kubernetes.existing import Prerequisite, owned
from components.kubernetes.objects import ClusterObject
from components.kubernetes.options import ClusterObjectsOptions
from components.kubernetes.provider import check_cluster, cluster_provider
from components.kubernetes.resources import register_objects


class ClusterConnection(pulumi.ComponentResource):
    """``kthw:index:ClusterConnection``: the provider, and what the cluster objects are applied with."""

    provider: k8s.Provider
    stack: str
    """This stack (organization/project/stack), which every object's annotation names."""
    options: ClusterObjectsOptions

    def __init__(
        self,
        name: str,
        *,
        kubeconfig: pulumi.Output[str],
        objects: Sequence[ClusterObject],
        stack: str,
        options: ClusterObjectsOptions,
        prerequisites: Sequence[Prerequisite] = (),
        tunnel: pulumi.Resource | None = None,
        tunnel_opened: pulumi.Input[bool] = True,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("kthw:index:ClusterConnection", name, None, opts)
        self.stack, self.options = stack, options
        mine = owned(objects)
        dry_run = pulumi.runtime.is_dry_run()
        # Read the cluster once the managed tunnel has had its chance (it says itself why it did not open).
        checked = pulumi.Output.all(kubeconfig, tunnel_opened).apply(
            lambda values: check_cluster(values[0], mine, stack, options.adopt, dry_run=dry_run,
                                         prerequisites=prerequisites, made=objects))
        self.provider = cluster_provider(f"{name}-provider", checked, opts=pulumi.ResourceOptions(
            parent=self, depends_on=[tunnel] if tunnel is not None else []))
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)


class ObjectGroup(pulumi.ComponentResource):
    """A component of cluster objects (its TYPE names it): one typed resource per object, through the connection."""

    TYPE: ClassVar[str]

    def __init__(self, name: str, *, objects: Sequence[ClusterObject], connection: ClusterConnection,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        register_objects(objects, parent=self, provider=connection.provider, stack=connection.stack,
                         options=connection.options)
        self.register_outputs({})  # none of its own: the stack's outputs are the record (see secret_config)
