"""The bridge pod network of Kubernetes the Hard Way v2: no pod network objects, a ``10-bridge.conf`` on each node
whose host-local IPAM hands out the node's podCIDR(s), and a route on every other node to each node's podCIDR(s)
through its address (the plan's routes). The node's podCIDRs are applied to its Node object as well
(components/podnetwork/node_cidrs.py), so what the bridge hands out is what the cluster says the node has.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

CNI_VERSION = "1.0.0"
DEFAULT_ROUTES = {4: "0.0.0.0/0", 6: "::/0"}
"""The default route each family's pods get through the bridge (the tutorial's IPv4 one, and its IPv6 twin)."""


def bridge_conf(pod_cidrs: Sequence[str]) -> dict[str, Any]:
    """The node's 10-bridge.conf: bridge cni0, the gateway and masquerading on, host-local over each podCIDR (a
    range set per family, as host-local allocates one address from each) with that family's default route."""
    families = [6 if ":" in cidr else 4 for cidr in pod_cidrs]
    return {
        "cniVersion": CNI_VERSION,
        "name": "bridge",
        "type": "bridge",
        "bridge": "cni0",
        "isGateway": True,
        "ipMasq": True,
        "ipam": {
            "type": "host-local",
            "ranges": [[{"subnet": cidr}] for cidr in pod_cidrs],
            "routes": [{"dst": DEFAULT_ROUTES[family]} for family in families],
        },
    }


def bridge_conf_line(pod_cidrs: Sequence[str]) -> str:
    """``bridge_conf`` as one line of JSON, for the output's table."""
    return json.dumps(bridge_conf(pod_cidrs), separators=(",", ":"))
