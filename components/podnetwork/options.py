"""The pod network keys: ``podNetwork`` (which network the plan is carried into the cluster with) and the options of
each network, ``weave`` and ``flannel``. Each default is declared once, here."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.config.errors import Problems
from components.config.objects import OptionsObject, default_of
from components.config.values import boolean, one_of
from components.podnetwork import flannel, weave
from components.podnetwork.images import parse_image

MODES = ("none", "weave", "flannel", "bridge")
"""none: nothing is applied to the cluster; weave and flannel: their objects; bridge: Kubernetes the Hard Way's
10-bridge.conf on each node. Flannel and bridge also apply the plan's podCIDRs to the nodes."""
APPLIES_POD_CIDRS = ("flannel", "bridge")
"""The pod networks under which the nodes carry the plan's podCIDRs (flannel reads them, bridge hands them out), and
kthw, not kube-controller-manager, gives them."""


@dataclass(frozen=True)
class WeaveOptions:
    """``weave``: the images (for a mirror), and whether a change of the range is meant."""

    kube_image: str = weave.KUBE_IMAGE
    npc_image: str = weave.NPC_IMAGE
    change_range: bool = False
    """Let an update change the range of a deployed Weave network: its peers then refuse each other until every
    node restarts weave with the new range, and the addresses pods had are forgotten."""


@dataclass(frozen=True)
class FlannelOptions:
    """``flannel``: the images (for a mirror) and the backend (one of flannel.BACKENDS)."""

    image: str = flannel.IMAGE
    cni_plugin_image: str = flannel.CNI_PLUGIN_IMAGE
    backend: str = "vxlan"


@dataclass(frozen=True)
class PodNetworkOptions:
    """``podNetwork`` and the options of the chosen network."""

    mode: str = "none"
    """One of MODES."""
    weave: WeaveOptions = field(default_factory=WeaveOptions)
    flannel: FlannelOptions = field(default_factory=FlannelOptions)

    @property
    def applies_pod_cidrs(self) -> bool:
        """Whether the nodes carry the plan's podCIDRs in the cluster (APPLIES_POD_CIDRS)."""
        return self.mode in APPLIES_POD_CIDRS


def parse_weave(value: Any) -> WeaveOptions:
    problems = Problems()
    obj = OptionsObject.read(WeaveOptions, "weave", value, problems)
    options = WeaveOptions(
        kube_image=obj.field("kube_image", parse_image),
        npc_image=obj.field("npc_image", parse_image),
        change_range=obj.field("change_range", boolean),
    )
    problems.raise_any()
    return options


def parse_flannel(value: Any) -> FlannelOptions:
    problems = Problems()
    obj = OptionsObject.read(FlannelOptions, "flannel", value, problems)
    options = FlannelOptions(
        image=obj.field("image", parse_image),
        cni_plugin_image=obj.field("cni_plugin_image", parse_image),
        backend=obj.field("backend", lambda choice, key: one_of(choice, key, flannel.BACKENDS)),
    )
    problems.raise_any()
    return options


def parse_pod_network(mode: Any, weave_value: Any, flannel_value: Any) -> PodNetworkOptions:
    """``podNetwork``, ``weave`` and ``flannel``, every problem reported together."""
    default = default_of(PodNetworkOptions, "mode")
    problems = Problems()
    options = PodNetworkOptions(
        mode=problems.check(lambda: one_of(default if mode in (None, "") else mode, "podNetwork", MODES), default),
        weave=problems.check(lambda: parse_weave(weave_value), WeaveOptions()),
        flannel=problems.check(lambda: parse_flannel(flannel_value), FlannelOptions()),
    )
    problems.raise_any()
    return options
