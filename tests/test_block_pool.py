"""A pool's block arithmetic against ipaddress: which node blocks a block of any size overlaps (what the cluster's
nodes hold takes every node block it touches: cidr_set.go Occupy with getBeginningAndEndIndices)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import cast

import pytest

from components.network.addresses import IPNetwork
from components.network.allocation import BlockPool
from components.network.blocks import PodBlock


def overlapped(cluster: IPNetwork, mask: int, block: IPNetwork) -> list[int]:
    """The reference: every node block of ``cluster`` that ``block`` shares an address with."""
    if block.version != cluster.version:
        return []
    node_blocks = cast(Iterator[IPNetwork], cluster.subnets(new_prefix=mask))
    return [index for index, node_block in enumerate(node_blocks) if node_block.overlaps(block)]


@pytest.mark.parametrize(("cluster", "mask", "block"), [
    ("10.200.0.0/16", 24, "10.200.0.0/24"),
    ("10.200.0.0/16", 24, "10.200.5.0/24"),
    ("10.200.0.0/16", 24, "10.200.0.0/32"),        # one address: the range's first
    ("10.200.0.0/16", 24, "10.200.5.0/32"),        # one address: the first of block 5
    ("10.200.0.0/16", 24, "10.200.5.255/32"),      # one address: the last of block 5
    ("10.200.0.0/16", 24, "10.200.6.0/23"),        # larger than a node block: two of them
    ("10.200.0.0/16", 24, "10.200.7.128/25"),      # smaller: part of one
    ("10.200.0.0/16", 24, "10.200.0.0/15"),        # holds the whole range and more
    ("10.200.0.0/16", 24, "10.199.255.0/24"),      # just below the range
    ("10.200.0.0/16", 24, "10.201.0.0/24"),        # just above
    ("10.200.0.0/16", 24, "10.200.255.0/24"),      # the last block
    ("10.200.0.0/24", 32, "10.200.0.0/31"),        # single-address node blocks
    ("10.200.0.0/24", 32, "10.200.0.255/32"),
    ("10.200.0.0/16", 24, "fd00::/64"),            # another family
    ("fd00:10::/56", 64, "fd00:10:0:3::/64"),
    ("fd00:10::/56", 64, "fd00:10::/48"),
    ("fd00:10::/56", 64, "10.200.0.0/24"),
])
def test_a_block_overlaps_the_node_blocks_it_shares_addresses_with(cluster: str, mask: int, block: str) -> None:
    cluster_range, block_range = ipaddress.ip_network(cluster), ipaddress.ip_network(block)
    pool = BlockPool(cluster_range, mask)
    assert list(pool.overlapped_by(PodBlock.of(block_range))) == overlapped(cluster_range, mask, block_range)
