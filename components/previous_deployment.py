"""The last deployment's allocation, read back from this stack's own ``network`` output.

The output is the only record of which block every node holds, and Kubernetes never changes a node's podCIDR
once set; so an output that exists but cannot be read stops the program (PreviousOutputError), rather than
counting as a first deployment that would hand every node a new block. Reading is strict but fast: 5,000 nodes'
blocks are parsed by integer arithmetic, not by ``ipaddress``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from components.cidr import cidr_parts, host_bits
from components.network_plan import PodBlock
from components.network_tables import NODE_TABLE, TableError, read_nodes


class PreviousOutputError(Exception):
    """The stack's previous ``network`` output exists but does not hold a readable allocation; ``detail`` says
    where it breaks (never a whole value)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(
            f"the stack's previous network output cannot be read ({detail}). It records every node's pod CIDR, "
            "and planning without it could move nodes, which Kubernetes does not allow. Restore a readable state "
            "(`pulumi stack export`, repair outputs.network, `pulumi stack import`, or import an earlier "
            "checkpoint from `pulumi stack history`), then run again"
        )


@dataclass(frozen=True)
class PreviousDeployment:
    """What the last deployment gave out: its cluster ranges, node masks (same order), and each node's blocks."""

    cluster_cidrs: tuple[PodBlock, ...]
    node_masks: tuple[int, ...]
    pod_cidrs: dict[str, tuple[PodBlock, ...]]

    def node_mask(self, version: int) -> int | None:
        """The node mask the last deployment used for one family, or None when it had no such range."""
        for cluster, mask in zip(self.cluster_cidrs, self.node_masks):
            if cluster.version == version:
                return mask
        return None


def parse_block(text: object, where: str) -> PodBlock:
    """A CIDR as the plan writes it (``10.200.0.0/24``, ``fd00:10:244::/64``), without host bits."""
    if not isinstance(text, str):
        raise PreviousOutputError(f"{where} is not a CIDR")
    try:
        version, value, prefix = cidr_parts(text)
    except ValueError as error:
        raise PreviousOutputError(f"{where} {error}") from None
    if value & host_bits(version, prefix):
        raise PreviousOutputError(f"{where} has host bits set")
    return PodBlock(version, value, prefix, text)


def _shown(name: object) -> str:
    """A node name from the output as a message may show it: whole when short, else only its length."""
    text = str(name)
    return text if len(text) <= 64 and text.isprintable() else f"<a {len(text)}-character name>"


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PreviousOutputError(f"{where} is not a list")
    return value


def _recorded_pod_cidrs(network_output: Mapping[str, Any]) -> dict[str, tuple[PodBlock, ...]]:
    """Each node's blocks: from the ``nodeTable`` text, or from the ``nodes`` object a deployment before the tables
    recorded (``{NAME: {address, podCidrs}}``), so that the first update after the change keeps every block."""
    if NODE_TABLE in network_output:
        try:
            table = read_nodes(network_output[NODE_TABLE])
        except TableError as error:
            raise PreviousOutputError(str(error)) from None
        return {name: tuple(parse_block(text, f"{NODE_TABLE} node {_shown(name)} POD_CIDRS[{i}]")
                            for i, text in enumerate(texts)) for name, (_, texts) in table.items()}
    nodes = network_output.get("nodes")
    if not isinstance(nodes, Mapping):
        raise PreviousOutputError(f"it has neither {NODE_TABLE} nor a nodes object")
    pod_cidrs: dict[str, tuple[PodBlock, ...]] = {}
    for name, node in nodes.items():
        if not isinstance(node, Mapping):
            raise PreviousOutputError(f"nodes.{_shown(name)} is not an object")
        texts = node.get("podCidrs")
        if type(texts) is not list:
            raise PreviousOutputError(f"nodes.{_shown(name)}.podCidrs is not a list")
        pod_cidrs[str(name)] = tuple(parse_block(text, f"nodes.{_shown(name)}.podCidrs[{i}]")
                                     for i, text in enumerate(texts))
    return pod_cidrs


def read_previous_deployment(network_output: object) -> PreviousDeployment | None:
    """The allocation the last deployment recorded; None before the first deployment (no output at all)."""
    if network_output is None:
        return None
    if not isinstance(network_output, Mapping):
        raise PreviousOutputError("it is not an object")
    clusters = tuple(
        parse_block(text, f"clusterCidrs[{i}]")
        for i, text in enumerate(_list(network_output.get("clusterCidrs"), "clusterCidrs"))
    )
    # Numbers come back from the engine as floats (24.0).
    masks = _list(network_output.get("nodeCidrMaskSizes"), "nodeCidrMaskSizes")
    if len(masks) != len(clusters) or not all(type(mask) in (int, float) and mask == int(mask) for mask in masks):
        raise PreviousOutputError("nodeCidrMaskSizes does not hold one integer per cluster range")
    pod_cidrs = _recorded_pod_cidrs(network_output)
    return PreviousDeployment(
        cluster_cidrs=clusters, node_masks=tuple(int(mask) for mask in masks), pod_cidrs=pod_cidrs
    )
