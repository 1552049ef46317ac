"""Every listed node carries the plan's pod CIDRs in the cluster (podNetwork flannel or bridge).

Kubernetes sets a node's spec.podCIDR(s) once, from "" to a value, and never changes them (ValidateNodeUpdate), and
kube-controller-manager's range allocator gives a node a block the moment it appears. So kthw is the only allocator:
the plan's flags turn the controller manager's allocation off (--allocate-node-cidrs=false; then nothing in
Kubernetes writes podCIDRs), and a server-side apply of each listed Node sets its podCIDRs: it makes the Node object
before its kubelet registers (the kubelet then finds it and keeps it), or fills in the podCIDRs of one that registered
without. The apply is kept on delete: `pulumi destroy` never deletes a Node, and its podCIDRs cannot be taken back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from components.kubernetes.objects import ClusterObject


def node_objects(pod_cidrs: Mapping[str, Sequence[str]]) -> list[ClusterObject]:
    """A Node apply per node that runs pods: spec.podCIDR (the first, as the API keeps both fields) and podCIDRs."""
    return [
        ClusterObject("v1", "Node", name, None, {"spec": {"podCIDR": cidrs[0], "podCIDRs": list(cidrs)}})
        for name, cidrs in pod_cidrs.items() if cidrs
    ]
