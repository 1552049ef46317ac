"""The whole messages of a podCidr pin the plan cannot take (kube-controller-manager's cidrset Occupy refuses a block
outside the range or of another size; range_allocator.go matches a node's podCIDRs to the ranges by position and
gives a node without any a block of every range), plain and for secret config."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from components.config.errors import AnyConfigError
from components.config.shown import SECRET_VALUES
from components.network.model import NetworkSpec
from components.network.rules import validate_network
from tests.helpers.network_specs import DUAL_CLUSTER, DUAL_SERVICE, node, spec, valid_plan

KEY = "invalid config kthw:nodes[{}].podCidr"
HIDDEN = f"({SECRET_VALUES})"
SINGLE = "expected one IPv4 /24 inside 10.200.0.0/16, comma-separated in the order of network.clusterCidr"
DUAL = ("expected one IPv4 /24 inside 10.200.0.0/16 and one IPv6 /64 inside fd00:10:244::/56, comma-separated in the "
        "order of network.clusterCidr")


def refusals(network: NetworkSpec, judge: Callable[[NetworkSpec], object] = validate_network) -> list[tuple[str, str]]:
    """(plain, secret) message of every problem ``judge`` finds: the static rules, or the whole plan."""
    with pytest.raises(AnyConfigError) as caught:
        judge(network)
    return [(error.text(False), error.text(True)) for error in caught.value.errors]


def dual(pin: str) -> NetworkSpec:
    return spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.100.1,fd00::1", pin=pin)])


@pytest.mark.parametrize(("pin", "problem", "secret_problem"), [
    ("10.200.0.0/24,fd00:10:244::/64,10.200.1.0/24", "has 3 CIDRs for 2 cluster ranges",
     "has more CIDRs than there are cluster ranges"),
    ("fd00:10:244::/64,10.200.0.0/24", "fd00:10:244::/64 is IPv6 where network.clusterCidr has IPv4 10.200.0.0/16",
     "lists its families in another order than network.clusterCidr"),
    ("10.200.0.0/24,fd00:10:244::/65",
     "fd00:10:244::/65 is a /65, not a node block of /64 (network.nodeCidrMaskSizeIpv6)",
     "is not a node block of network.nodeCidrMaskSizeIpv6"),
])
def test_a_dual_stack_pin_that_does_not_fit_the_ranges(pin: str, problem: str, secret_problem: str) -> None:
    key = KEY.format(0)
    assert refusals(dual(pin)) == [(f"{key}: {problem}; {DUAL}", f"{key}: {secret_problem} {HIDDEN}")]


def test_a_new_node_pinning_one_block_of_two_ranges_is_counted_in_the_singular() -> None:
    # Fewer pins than ranges pass the static rules (a node deployed before a range was added keeps what it holds);
    # the plan refuses them for a node that holds nothing.
    key = KEY.format(0)
    assert refusals(dual("10.200.0.0/24"), valid_plan) == [(
        f"{key}: has 1 CIDR for 2 cluster ranges, and a node that holds no pod CIDR yet gets one of every range "
        "(kube-controller-manager allocates them all at once); expected one CIDR per range of network.clusterCidr, "
        "comma-separated in its order; fewer only for a node deployed before a range was added, which keeps exactly "
        "the blocks it holds",
        f"{key}: has fewer CIDRs than there are cluster ranges, and a new node gets one of every range {HIDDEN}",
    )]


def test_pins_outside_the_range_of_another_size_or_taken_twice() -> None:
    nodes = [node(0, "172.31.100.1", pin="10.201.0.0/24"), node(1, "172.31.100.2", pin="10.200.0.0/25"),
             node(2, "172.31.100.3", pin="10.200.3.0/24"), node(3, "172.31.100.4", pin="10.200.3.0/24")]
    assert refusals(spec(nodes=nodes)) == [
        (f"{KEY.format(0)}: 10.201.0.0/24 lies outside network.clusterCidr 10.200.0.0/16; {SINGLE}",
         f"{KEY.format(0)}: lies outside network.clusterCidr {HIDDEN}"),
        (f"{KEY.format(1)}: 10.200.0.0/25 is a /25, not a node block of /24 (network.nodeCidrMaskSize); {SINGLE}",
         f"{KEY.format(1)}: is not a node block of network.nodeCidrMaskSize {HIDDEN}"),
        (f"{KEY.format(3)}: 10.200.3.0/24 is already pinned by nodes[2]; expected a unique block per node",
         f"{KEY.format(3)}: is already pinned by nodes[2] {HIDDEN}"),
    ]


def test_a_pin_of_the_whole_range_is_the_one_node_block_of_a_range_as_large_as_the_mask() -> None:
    validate_network(spec("10.200.0.0/24", nodes=[node(0, "172.31.100.1", pin="10.200.0.0/24")]))
