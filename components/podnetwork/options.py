"""The pod network keys: ``podNetwork`` (which network the plan is carried into the cluster with) and the options of
each network, ``weave`` and ``flannel``. Each default is declared once, here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from components.config_values import boolean, json_object, one_of, or_default
from components.errors import Problems
from components.podnetwork import flannel, weave
from components.podnetwork.images import parse_image

MODES = ("none", "weave", "flannel", "bridge")
"""none: nothing is applied to the cluster; weave and flannel: their objects; bridge: Kubernetes the Hard Way's
10-bridge.conf on each node. Flannel and bridge also apply the plan's podCIDRs to the nodes."""
DEFAULT_MODE = "none"


def camel(name: str) -> str:
    """A dataclass field's config key: ``kube_image`` is ``kubeImage``."""
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def config_keys(options: type) -> tuple[str, ...]:
    """The config keys of an options dataclass, in field order."""
    return tuple(camel(field.name) for field in fields(options))


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
    """``flannel``: the images (for a mirror) and the backend."""

    image: str = flannel.IMAGE
    cni_plugin_image: str = flannel.CNI_PLUGIN_IMAGE
    backend: str = "vxlan"


@dataclass(frozen=True)
class PodNetworkOptions:
    """``podNetwork`` and the options of the chosen network."""

    mode: str = DEFAULT_MODE
    weave: WeaveOptions = WeaveOptions()
    flannel: FlannelOptions = FlannelOptions()

    @property
    def applies_pod_cidrs(self) -> bool:
        """Whether the nodes carry the plan's podCIDRs in the cluster (flannel reads them, bridge hands them out)."""
        return self.mode in ("flannel", "bridge")


def parse_weave(value: Any) -> WeaveOptions:
    problems = Problems()
    obj = json_object({} if value is None else value, "weave", config_keys(WeaveOptions), problems=problems)
    defaults = WeaveOptions()
    options = WeaveOptions(
        kube_image=problems.check(lambda: parse_image(or_default(obj, "kubeImage", defaults.kube_image),
                                                      "weave.kubeImage"), defaults.kube_image),
        npc_image=problems.check(lambda: parse_image(or_default(obj, "npcImage", defaults.npc_image),
                                                     "weave.npcImage"), defaults.npc_image),
        change_range=problems.check(lambda: boolean(or_default(obj, "changeRange", defaults.change_range),
                                                    "weave.changeRange"), defaults.change_range),
    )
    problems.raise_any()
    return options


def parse_flannel(value: Any) -> FlannelOptions:
    problems = Problems()
    obj = json_object({} if value is None else value, "flannel", config_keys(FlannelOptions), problems=problems)
    defaults = FlannelOptions()
    options = FlannelOptions(
        image=problems.check(lambda: parse_image(or_default(obj, "image", defaults.image), "flannel.image"),
                             defaults.image),
        cni_plugin_image=problems.check(lambda: parse_image(
            or_default(obj, "cniPluginImage", defaults.cni_plugin_image), "flannel.cniPluginImage"),
            defaults.cni_plugin_image),
        backend=problems.check(lambda: one_of(or_default(obj, "backend", defaults.backend), "flannel.backend",
                                              flannel.BACKENDS), defaults.backend),
    )
    problems.raise_any()
    return options


def parse_pod_network(mode: Any, weave_value: Any, flannel_value: Any) -> PodNetworkOptions:
    """``podNetwork``, ``weave`` and ``flannel``, every problem reported together."""
    problems = Problems()
    options = PodNetworkOptions(
        mode=problems.check(lambda: one_of(DEFAULT_MODE if mode in (None, "") else mode, "podNetwork", MODES),
                            DEFAULT_MODE),
        weave=problems.check(lambda: parse_weave(weave_value), WeaveOptions()),
        flannel=problems.check(lambda: parse_flannel(flannel_value), FlannelOptions()),
    )
    problems.raise_any()
    return options
