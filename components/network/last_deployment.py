"""The last deployment's allocation, read back from this stack's own ``network`` output: its ``nodeTable``, or the
``nodes`` object of a deployment before the tables.

The output is the only record of which block every node holds, and Kubernetes never changes a node's podCIDR
once set; so an output that exists but cannot be read stops the program (LastDeploymentError), rather than
counting as a first deployment that would hand every node a new block, and so does one that gives a block to two
nodes (SharedBlockError). Reading is strict but fast: 5,000 nodes' blocks are read by ``strict_block``, with
integer arithmetic, not ``ipaddress``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from components.network.blocks import PodBlock, strict_block
from components.network.tables import NODE_TABLE, TableError, read_nodes


class LastDeploymentError(Exception):
    """The last deployment's ``network`` output exists but does not hold a readable allocation; ``detail`` says
    where it breaks (never a whole value)."""

    def __init__(self, detail: str) -> None:
        self.detail = detail
        super().__init__(self.explained(detail))

    @staticmethod
    def explained(detail: str) -> str:
        """The whole message: what is wrong, why it stops the program, and how to repair it."""
        return (
            f"the stack's previous network output cannot be read ({detail}). It records every node's pod CIDR, "
            "and planning without it could move nodes, which Kubernetes does not allow. Restore a readable state "
            "(`pulumi stack export`, repair outputs.network, `pulumi stack import`, or import an earlier "
            "checkpoint from `pulumi stack history`), then run again"
        )


class SharedBlockError(LastDeploymentError):
    """The last deployment's ``network`` output gives one block to two nodes. No cluster holds that (a podCIDR is
    one node's), so the record is damaged, and only the cluster can say which node holds the block."""

    @staticmethod
    def explained(detail: str) -> str:
        return (
            f"the stack's previous network output gives one pod CIDR to two nodes ({detail}), which "
            "kube-controller-manager never does: the record is damaged, and planning from it could route one block "
            "to two nodes. See which node carries it (`kubectl get nodes -o "
            "custom-columns=NAME:.metadata.name,PODCIDRS:.spec.podCIDRs`), then repair outputs.network to match "
            "(`pulumi stack export`, edit, `pulumi stack import`) or import an earlier checkpoint from `pulumi stack "
            "history`, and run again"
        )


@dataclass(frozen=True)
class LastDeployment:
    """What the last deployment gave out: its cluster ranges, node masks (same order), and each node's blocks."""

    cluster_cidrs: tuple[PodBlock, ...]
    """Its cluster ranges, in the order of its --cluster-cidr."""
    node_masks: tuple[int, ...]
    """The node mask of each cluster range."""
    pod_cidrs: dict[str, tuple[PodBlock, ...]]
    """Node name -> the blocks it gave the node (none for a machine that runs no pods)."""
    addresses: dict[str, str] = field(default_factory=dict, compare=False)
    """Node name -> the node's addresses as recorded (comma-separated), where recorded as text: for the preview's
    line of readdressed nodes, not part of the allocation (two deployments that gave out the same blocks are equal)."""

    def node_mask(self, version: int) -> int | None:
        """The node mask the last deployment used for one family, or None when it had no such range."""
        for cluster, mask in zip(self.cluster_cidrs, self.node_masks):
            if cluster.version == version:
                return mask
        return None


def _block_at(text: object, where: str) -> PodBlock:
    """``strict_block``, ``where`` naming the block in a refusal."""
    try:
        return strict_block(text)
    except ValueError as error:
        raise LastDeploymentError(f"{where} {error}") from None


def _name_in_message(name: object, position: int, hide_names: bool) -> str:
    """A node name from the output as a message may show it: whole when short, else only its length; only its
    position among the output's nodes when names are secret config. (Not ``shown``: a name read from the state is
    no config value, and is shown unquoted.)"""
    if hide_names:
        return f"<node {position + 1}>"
    text = str(name)
    return text if len(text) <= 64 and text.isprintable() else f"<a {len(text)}-character name>"


def _block_where(name: object, position: int, index: int, hide_names: bool, table: bool) -> str:
    """Where a node's block is in the output: ``nodeTable worker-0 POD_CIDRS[1]``, or ``nodes.worker-0.podCidrs[1]``
    in the nodes object of a deployment before the tables."""
    shown = _name_in_message(name, position, hide_names)
    return f"{NODE_TABLE} {shown} POD_CIDRS[{index}]" if table else f"nodes.{shown}.podCidrs[{index}]"


def _raise_shared(pod_cidrs: Mapping[str, tuple[PodBlock, ...]], hide_names: bool, table: bool) -> None:
    """Raise the SharedBlockError naming the first block given to two nodes (a node listing one block twice is not
    two nodes)."""
    holders: dict[tuple[int, int, int], tuple[int, str, int]] = {}  # block -> (node position, name, index)
    for position, (name, blocks) in enumerate(pod_cidrs.items()):
        for i, block in enumerate(blocks):
            first = holders.setdefault(block[:3], (position, name, i))
            if first[0] != position:
                both = "" if hide_names else f" are both {block.text}"
                raise SharedBlockError(f"{_block_where(first[1], first[0], first[2], hide_names, table)} and "
                                       f"{_block_where(name, position, i, hide_names, table)}{both}")


def _node_blocks(name: str, position: int, texts: list[Any], hide_names: bool, table: bool) -> tuple[PodBlock, ...]:
    """One node's blocks, the refusal naming the one that cannot be read."""
    try:
        return tuple(map(strict_block, texts))
    except ValueError:  # say which one: read them again, naming each (5,000 nodes' names cost when eager)
        for i, text in enumerate(texts):
            _block_at(text, _block_where(name, position, i, hide_names, table))
        raise


def _nodes_of(network_output: Mapping[str, Any], hide_names: bool,
              ) -> tuple[dict[str, tuple[PodBlock, ...]], dict[str, str]]:
    """Each node's blocks and addresses: from the ``nodeTable`` text, or from the ``nodes`` object a deployment before
    the tables recorded (``{NAME: {address, podCidrs}}``), so that the first update after the change keeps every
    block."""
    if NODE_TABLE in network_output:
        try:
            table = read_nodes(network_output[NODE_TABLE])
        except TableError as error:
            raise LastDeploymentError(str(error)) from None
        pod_cidrs = {name: _node_blocks(name, position, texts, hide_names, True)
                     for position, (name, (_, texts)) in enumerate(table.items())}
        return pod_cidrs, {name: addresses for name, (addresses, _) in table.items()}
    nodes = network_output.get("nodes")
    if not isinstance(nodes, Mapping):
        raise LastDeploymentError(f"it has neither {NODE_TABLE} nor a nodes object")
    pod_cidrs = {}
    addresses: dict[str, str] = {}
    for position, (name, node) in enumerate(nodes.items()):
        if not isinstance(node, Mapping):
            raise LastDeploymentError(f"nodes.{_name_in_message(name, position, hide_names)} is not an object")
        texts = node.get("podCidrs")
        if type(texts) is not list:
            raise LastDeploymentError(f"nodes.{_name_in_message(name, position, hide_names)}.podCidrs is not a list")
        pod_cidrs[str(name)] = _node_blocks(str(name), position, texts, hide_names, False)
        if isinstance(node.get("address"), str):
            addresses[str(name)] = node["address"]
    return pod_cidrs, addresses


def _list(value: object, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise LastDeploymentError(f"{where} is not a list")
    return value


def read_last_deployment(network_output: object, hide_names: bool = False) -> LastDeployment | None:
    """The allocation of the last deployment, from its ``network`` output; None before the first deployment (no
    output at all). ``hide_names``: the node list or network is secret config, so a refusal names nodes by position
    only."""
    if network_output is None:
        return None
    if not isinstance(network_output, Mapping):
        raise LastDeploymentError("it is not an object")
    clusters = tuple(
        _block_at(text, f"clusterCidrs[{i}]")
        for i, text in enumerate(_list(network_output.get("clusterCidrs"), "clusterCidrs"))
    )
    # Numbers come back from the engine as floats (24.0).
    masks = _list(network_output.get("nodeCidrMaskSizes"), "nodeCidrMaskSizes")
    if len(masks) != len(clusters) or not all(type(mask) in (int, float) and mask == int(mask) for mask in masks):
        raise LastDeploymentError("nodeCidrMaskSizes does not hold one integer per cluster range")
    pod_cidrs, addresses = _nodes_of(network_output, hide_names)
    if len({block[:3] for blocks in pod_cidrs.values() for block in blocks}) < sum(map(len, pod_cidrs.values())):
        _raise_shared(pod_cidrs, hide_names, NODE_TABLE in network_output)
    return LastDeployment(
        cluster_cidrs=clusters, node_masks=tuple(int(mask) for mask in masks), pod_cidrs=pod_cidrs,
        addresses=addresses,
    )
