"""How kthw puts objects into the cluster: through one kubernetes Provider made from the stack's own kubeconfig, as
typed pulumi-kubernetes resources, after a read of the cluster that refuses someone else's objects.

options.py    clusterObjects: the readiness wait, the objects kthw may take over, whether an adopted one is deleted
objects.py    a cluster object as plain data (kind, name, namespace, fields) and kthw's label and stack annotation
existing.py   objects already in the cluster that this stack did not make: who they are, and the refusal
provider.py   the provider (constant cluster identifier, server-side apply) and the read of the cluster before it
resources.py  each cluster object as a typed resource: the kinds, the waits, what is kept on delete
component.py  kthw:index:ClusterConnection: the provider, after the managed tunnel and the read of the cluster
"""
