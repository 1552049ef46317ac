"""Each rule of the network plan, at its exact boundary, traced to the Kubernetes code it mirrors."""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Sequence

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from components.config.errors import AnyConfigError, CollectedConfigError, ConfigError
from components.config.shown import hiding_values
from components.network.addresses import format_ip, parse_cidr, parse_ip
from components.network.allocation import allocate
from components.network.model import NetworkPlan, NetworkSpec, NodeSpec
from components.network.output import flags, network_output, routes
from components.network.rules import validate_families, validate_network
from components.network.tables import routes_of
from components.network.usable_address import unusable_address_reason
from tests.helpers.network_specs import (
    DUAL_CLUSTER,
    DUAL_SERVICE,
    cidrs,
    deployed,
    last_deployment_of,
    node,
    renumber,
    spec,
    valid_plan,
    workers,
)


def refused(network: NetworkSpec) -> ConfigError:
    """The one error validate_network raises for this spec."""
    with pytest.raises(ConfigError) as caught:
        validate_network(network)
    return caught.value


def replan(plan: NetworkPlan, nodes: Sequence[NodeSpec]) -> NetworkPlan:
    """Plan the same network with another node list, keeping the allocation recorded in ``plan``'s output."""
    return valid_plan(dataclasses.replace(plan.spec, nodes=renumber(nodes)), deployed(plan))


# CIDR and address syntax (components/network/addresses.py)


@pytest.mark.parametrize("text", ["10.200.0.0/16", "fd00:10:244::/56", "0.0.0.0/0", "::/0", "10.0.0.1/32",
                                  "fd00::1/128"])
def test_canonical_cidrs_are_accepted(text: str) -> None:
    # apimachinery pkg/util/validation/ip.go IsValidCIDR: address/prefix in canonical form.
    assert str(parse_cidr(text, "k")) == text


@pytest.mark.parametrize(("text", "problem"), [
    ("10.200.0.1/16", "host bits set; did you mean 10.200.0.0/16?"),
    ("fd00:10:244::1/56", "did you mean fd00:10:244::/56?"),
    ("10.200.0.0/255.255.0.0", "netmask notation; write it as 10.200.0.0/16"),
    ("10.200.0.0", "is an address, not a CIDR"),
    ("10.200.00.0/16", "leading zero"),
    ("10.256.0.0/16", "above 255"),
    ("::ffff:10.200.0.0/112", "IPv4-mapped"),
    (" 10.200.0.0/16", "surrounding blanks"),
    ("10.200.0.0/016", "has a leading zero in its prefix length; write /16"),
    ("10.200.0.0/-1", "invalid prefix length"),
    ("10.200.0.0/33", "0 to 32 for IPv4"),
    ("fd00::/129", "0 to 128 for IPv6"),
    ("fe80::%eth0/64", "IPv6 zone"),
    ("10.200.0.0/16/8", "is not a CIDR"),
    ("", "is not a CIDR"),
])
def test_non_canonical_cidrs_are_refused(text: str, problem: str) -> None:
    # apimachinery pkg/util/validation/ip.go IsValidCIDR: Go's strict parser refuses what Python's accepts.
    with pytest.raises(ConfigError) as caught:
        parse_cidr(text, "network.clusterCidr")
    assert caught.value.key == "network.clusterCidr"
    assert problem in caught.value.problem


@pytest.mark.parametrize(("text", "problem"), [
    ("10.200.0.0/ 16", "'10.200.0.0/ 16' has a blank in its prefix length"),
    ("10.200.0.0/16 ", "'10.200.0.0/16 ' has a blank in its prefix length"),
    ("10.200.0.0/1\t6", "has a blank in its prefix length"),
    ("10.200.0.0/16\n", "'10.200.0.0/16\\n' has a line break in its prefix length"),
    ("fd00::/64\r\n", "has a line break in its prefix length"),
    ("10.200.0.0/\uff11\uff16", "writes its prefix length in non-ASCII digits; write /16 in ASCII digits"),
    ("10.200.0.0/\u0661\u0666", "writes its prefix length in non-ASCII digits; write /16 in ASCII digits"),
    ("10.200.0.0/16\u00e9", "has characters other than ASCII digits in its prefix length"),
    ("10.200.0.0/", "has no prefix length after its '/'"),
    ("10.200.0.0/+16", "has an invalid prefix length (0 to 32 for IPv4)"),
    ("10.200.0.0/0033", "has an invalid prefix length (0 to 32 for IPv4)"),
])
def test_what_is_wrong_with_a_prefix_length_is_said(text: str, problem: str) -> None:
    # Go's net.ParseCIDR and netip.ParsePrefix read ASCII digits only; the message names the character at fault.
    with pytest.raises(ConfigError) as caught:
        parse_cidr(text, "network.clusterCidr")
    assert problem in caught.value.problem


def test_a_prefix_length_hint_shows_no_secret_value() -> None:
    # The hint repeats the value: with --secret config only the wording without values is printed.
    with hiding_values(), pytest.raises(ConfigError) as caught:
        parse_cidr("10.200.0.0/\uff11\uff16", "network.clusterCidr")
    assert str(caught.value) == ("invalid config kthw:network.clusterCidr: writes its prefix length in non-ASCII "
                                 "digits (the values come from secret config and are not shown)")


@pytest.mark.parametrize("text", ["10.240.0.20", "0.0.0.0", "255.255.255.255", "fd00::20", "::"])
def test_valid_addresses_are_accepted(text: str) -> None:
    # apimachinery pkg/util/validation/ip.go IsValidIP.
    assert str(parse_ip(text, "k")) == text


@pytest.mark.parametrize(("value", "problem"), [
    ("10.240.0.020", "leading zero"),
    ("10.240.0", "is not an IP address"),
    ("1.2.3.4.5", "is not an IP address"),
    ("fd00::g", "is not an IP address"),
    ("::ffff:1.2.3.4", "write the IPv4 address 1.2.3.4"),
    ("", "is empty"),
    ("1.2.3.4 ", "surrounding blanks"),
    (7, "is not a string"),
])
def test_invalid_addresses_are_refused(value: object, problem: str) -> None:
    # apimachinery pkg/util/validation/ip.go IsValidIP: no leading zeros, no IPv4-mapped IPv6.
    with pytest.raises(ConfigError) as caught:
        parse_ip(value, "nodes[3].address")
    assert caught.value.key == "nodes[3].address"
    assert problem in caught.value.problem


# Families


@pytest.mark.parametrize("text", ["10.200.0.0/16", "fd00:10:244::/56", DUAL_CLUSTER, "fd00:10:244::/56,10.200.0.0/16"])
def test_one_cidr_or_one_per_family(text: str) -> None:
    # cmd/kube-controller-manager/app/core.go: at most two cluster CIDRs, dual-stack means one per family.
    assert validate_families(cidrs(text), "network.clusterCidr") == []


@pytest.mark.parametrize(("text", "problem"), [
    ("10.200.0.0/16,10.201.0.0/16", "has two IPv4 CIDRs"),
    ("fd00:10:244::/56,fd00:10:245::/56", "has two IPv6 CIDRs"),
    ("10.200.0.0/16,fd00:10:244::/56,10.201.0.0/16", "has 3 CIDRs"),
])
def test_same_family_twice_or_three_cidrs_refused(text: str, problem: str) -> None:
    # cmd/kube-apiserver/app/options/validation.go validateClusterIPFlags: "must be of different IP family".
    [error] = validate_families(cidrs(text), "network.serviceCidr")
    assert (error.key, error.problem) == ("network.serviceCidr", problem)


def test_service_families_must_match_cluster_families() -> None:
    # kubernetes/website docs/concepts/services-networking/dual-stack.md: both families in --cluster-cidr and
    # --service-cluster-ip-range.
    error = refused(spec(DUAL_CLUSTER, "10.32.0.0/24"))
    assert error.key == "network.serviceCidr"
    assert "covers IPv4 but network.clusterCidr covers IPv4+IPv6" in error.problem


def test_service_families_in_another_order_accepted() -> None:
    # cmd/kube-apiserver/app/options/validation.go: the primary service range may be of either family.
    validate_network(spec(DUAL_CLUSTER, "fd00:10:96::/112,10.32.0.0/24"))


# Service ranges and service IPs


@pytest.mark.parametrize(("cluster", "service", "ok"), [
    ("10.200.0.0/16", "10.32.0.0/12", True),
    ("10.200.0.0/16", "10.32.0.0/11", False),
    ("fd00:10:244::/56", "fd00:10:96::/108", True),
    ("fd00:10:244::/56", "fd00:10:96::/107", False),
])
def test_service_range_at_most_2_to_the_20(cluster: str, service: str, ok: bool) -> None:
    # kubeadm constants MaximumBitsForServiceSubnet = 20; kube-apiserver validation.go validateMaxCIDRRange.
    network = spec(cluster, service)
    if ok:
        validate_network(network)
    else:
        error = refused(network)
        assert error.key == "network.serviceCidr"
        assert "holds at most 2^20 addresses" in error.problem


@pytest.mark.parametrize(("service", "dns", "ok"), [
    ("10.32.0.0/24", 2, True),
    ("10.32.0.0/24", 254, True),
    ("10.32.0.0/24", 255, False),
    ("10.32.0.0/24", 1, False),
    ("10.32.0.0/24", 0, False),
    ("10.32.0.0/30", 2, True),
    ("10.32.0.0/30", 3, False),
])
def test_ipv4_dns_index_within_usable_addresses(service: str, dns: int, ok: bool) -> None:
    # pkg/registry/core/service/ipallocator: not the network address, not the IPv4 broadcast, index 1 is kubernetes.
    network = spec("10.200.0.0/16", service, dns=dns)
    if ok:
        validate_network(network)
    else:
        assert refused(network).key == "network.dnsServiceIndex"


@pytest.mark.parametrize(("service", "dns", "ok"), [
    ("fd00:10:96::/120", 255, True),
    ("fd00:10:96::/120", 256, False),
    ("fd00:10:96::/126", 3, True),
])
def test_ipv6_dns_index_may_be_the_last_address(service: str, dns: int, ok: bool) -> None:
    # pkg/registry/core/service/ipallocator: IPv6 has no broadcast address, its last address is usable.
    network = spec("fd00:10:244::/56", service, dns=dns)
    if ok:
        validate_network(network)
    else:
        error = refused(network)
        assert error.key == "network.dnsServiceIndex"
        assert error.accepted == "an index from 2 to 255"


@pytest.mark.parametrize("service", ["10.32.0.0/31", "10.32.0.0/32", "fd00:10:96::/127"])
def test_service_range_too_small_for_two_service_ips(service: str) -> None:
    # pkg/registry/core/service/ipallocator: a /31 leaves no address for the kubernetes and DNS services.
    cluster = "fd00:10:244::/56" if ":" in service else "10.200.0.0/16"
    error = refused(spec(cluster, service, dns=2))
    assert error.key == "network.serviceCidr"
    assert "no room for the kubernetes service IP" in error.problem


def test_dns_index_checked_against_the_first_service_range_only() -> None:
    # kubeadm constants GetDNSIP: the DNS IP comes from the first service subnet.
    assert refused(spec(DUAL_CLUSTER, DUAL_SERVICE, dns=300)).key == "network.dnsServiceIndex"
    plan = valid_plan(spec(DUAL_CLUSTER, "fd00:10:96::/112,10.32.0.0/24", dns=300))
    assert plan.cluster_dns_ip == "fd00:10:96::12c"


@pytest.mark.parametrize(("service", "kubernetes_ip", "dns_ip"), [
    ("10.32.0.0/24", "10.32.0.1", "10.32.0.10"),
    ("10.96.0.0/12", "10.96.0.1", "10.96.0.10"),
    ("fd00:10:96::/112,10.32.0.0/24", "fd00:10:96::1", "fd00:10:96::a"),
])
def test_kubernetes_and_dns_service_ips(service: str, kubernetes_ip: str, dns_ip: str) -> None:
    # kubeadm constants GetAPIServerVirtualIP (index 1) and GetDNSIP (index 10) of the first service range.
    cluster = DUAL_CLUSTER if "," in service else "10.200.0.0/16"
    plan = valid_plan(spec(cluster, service))
    assert (plan.kubernetes_service_ip, plan.cluster_dns_ip) == (kubernetes_ip, dns_ip)


# Node masks and capacity


@pytest.mark.parametrize(("cluster", "mask4", "mask6", "key", "ok"), [
    ("10.0.0.0/8", 24, 64, "", True),
    ("10.0.0.0/8", 25, 64, "network.nodeCidrMaskSize", False),
    ("10.200.0.0/16", 30, 64, "", True),
    ("10.200.0.0/16", 15, 64, "network.nodeCidrMaskSize", False),
    ("fd00:10::/48", 24, 64, "", True),
    ("fd00:10::/48", 24, 65, "network.nodeCidrMaskSizeIpv6", False),
    ("fd00:10::/48", 24, 47, "network.nodeCidrMaskSizeIpv6", False),
])
def test_node_mask_within_16_bits_of_cluster_mask(cluster: str, mask4: int, mask6: int, key: str, ok: bool) -> None:
    # kubeadm validation.go ValidatePodSubnetNodeMask (PodSubnetNodeMaskMaxDiff = 16); cidr_set.go NewCIDRSet.
    service = "fd00:96::/112" if ":" in cluster else "192.168.0.0/24"
    network = spec(cluster, service, mask4=mask4, mask6=mask6)
    if ok:
        validate_network(network)
    else:
        error = refused(network)
        assert error.key == key
        assert "at most 16 bits smaller" in error.problem


@pytest.mark.parametrize(("cluster", "mask4", "mask6", "key"), [
    ("10.200.0.0/16", 31, 64, "network.nodeCidrMaskSize"),
    ("10.200.0.0/16", 32, 64, "network.nodeCidrMaskSize"),
    ("fd00:10::/112", 24, 127, "network.nodeCidrMaskSizeIpv6"),
    ("fd00:10::/112", 24, 128, "network.nodeCidrMaskSizeIpv6"),
])
def test_a_node_mask_that_leaves_no_address_for_pods_is_refused(cluster: str, mask4: int, mask6: int,
                                                                 key: str) -> None:
    # CNI host-local range.go Canonicalize: "too small to allocate from" below 2 host bits (tests/test_host_local.py
    # runs the plugin itself).
    service = "fd00:96::/112" if ":" in cluster else "192.168.0.0/24"
    error = refused(spec(cluster, service, mask4=mask4, mask6=mask6))
    mask = mask4 if key == "network.nodeCidrMaskSize" else mask6
    assert (error.key, error.problem) == (key, f"{mask} leaves no address for pods: CNI's host-local refuses a "
                                               f"/{mask} node block as too small to allocate from")
    assert error.accepted == ("a mask from 16 to 30" if key == "network.nodeCidrMaskSize" else
                              "a mask from 112 to 126")


def test_a_cluster_range_too_small_for_any_usable_block_says_so() -> None:
    # A /31 cluster range holds no block host-local can allocate from, whatever the mask.
    error = refused(spec("10.200.0.0/31", mask4=31))
    assert error.key == "network.nodeCidrMaskSize"
    assert error.accepted == "a network.clusterCidr range of /30 or shorter, and a mask of at most 30"


def test_node_mask_equal_to_cluster_mask_gives_one_block() -> None:
    # kubeadm validation.go ValidatePodSubnetNodeMask refuses only a node mask shorter than the pod subnet's.
    plan = valid_plan(spec("10.200.0.0/24", nodes=workers(1)))
    assert plan.max_nodes == 1
    assert plan.pod_cidrs == {"worker-0": ("10.200.0.0/24",)}
    assert "2 nodes do not fit" in refused(spec("10.200.0.0/24", nodes=workers(2))).problem


def test_mask_of_an_absent_family_is_ignored() -> None:
    # cmd/kube-controller-manager/app/core.go setNodeCIDRMaskSizes: a mask applies to its family's cluster CIDR.
    validate_network(spec("10.200.0.0/16", mask6=8))
    validate_network(spec("fd00:10:244::/56", "fd00:10:96::/112", mask4=0))


@pytest.mark.parametrize(("cluster", "expected"), [
    ("10.200.0.0/16", 256),
    ("10.200.0.0/16,fd00:10:244::/62", 4),
    ("10.200.0.0/22,fd00:10:244::/56", 4),
    ("fd00:10:244::/56,10.200.0.0/21", 8),
])
def test_max_nodes_is_the_smallest_across_families(cluster: str, expected: int) -> None:
    # cidr_set.go getMaxCIDRs per cluster CIDR; range_allocator.go gives each node one block of every CIDR set.
    service = DUAL_SERVICE if "," in cluster else "10.32.0.0/24"
    assert valid_plan(spec(cluster, service)).max_nodes == expected


def test_capacity_says_how_many_fit() -> None:
    # cidr_set.go AllocateNext: ErrCIDRRangeNoCIDRsRemaining once every block is used.
    valid_plan(spec("10.200.0.0/23", nodes=workers(2)))
    error = refused(spec("10.200.0.0/23", nodes=workers(3)))
    assert error.key == "nodes"
    assert error.problem == "3 nodes do not fit: network.clusterCidr holds 2 node blocks (10.200.0.0/23 in /24 blocks)"
    assert error.accepted.startswith("at most 2 nodes")


def test_capacity_of_dual_stack_names_both_ranges() -> None:
    # range_allocator.go: a node needs a block from each cluster CIDR, the smaller set runs out first.
    error = refused(spec("10.200.0.0/16,fd00:10:244::/63", DUAL_SERVICE, workers(3, "46")))
    assert "holds 2 node blocks (10.200.0.0/16 in /24 blocks, fd00:10:244::/63 in /64 blocks)" in error.problem


# Overlaps and node addresses


@pytest.mark.parametrize(("cluster", "service"), [
    ("10.200.0.0/16", "10.200.255.0/24"),
    ("10.200.0.0/16", "10.192.0.0/12"),
    (DUAL_CLUSTER, "10.32.0.0/24,fd00:10:244:ff::/112"),
])
def test_service_and_cluster_ranges_disjoint(cluster: str, service: str) -> None:
    # range_allocator.go filterOutServiceRange only carves an overlap out of the pod blocks; the plan refuses it.
    error = refused(spec(cluster, service))
    assert error.key == "network.serviceCidr"
    assert "overlaps network.clusterCidr" in error.problem


def test_adjacent_service_and_cluster_ranges_accepted() -> None:
    # range_allocator.go filterOutServiceRange: only a true overlap matters, adjacent ranges are fine.
    validate_network(spec("10.200.0.0/16", "10.201.0.0/24"))
    validate_network(spec("10.200.0.0/16", "10.199.255.0/24"))


@pytest.mark.parametrize(("address", "inside"), [
    ("10.200.0.0", "10.200.0.0/16"),
    ("10.200.255.255", "10.200.0.0/16"),
    ("10.32.0.0", "10.32.0.0/24"),
    ("10.32.0.255", "10.32.0.0/24"),
    ("172.31.0.2,fd00:10:244::5", "fd00:10:244::/56"),
])
def test_node_address_inside_a_range_refused(address: str, inside: str) -> None:
    # pkg/proxy (kube-proxy --cluster-cidr): traffic from the cluster range is pod traffic, to a service range a
    # ClusterIP's; a node address inside either is mistaken for one.
    error = refused(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.0.1"), node(1, address)]))
    assert error.key == "nodes[1].address"
    assert f"lies inside {inside}" in error.problem


@pytest.mark.parametrize("address", ["10.199.255.255", "10.201.0.0", "10.32.1.0", "fd00:10:244:100::"])
def test_node_address_just_outside_the_ranges_accepted(address: str) -> None:
    # pkg/proxy (kube-proxy --cluster-cidr): only an address inside a range of its own family is mistaken.
    validate_network(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, address)]))


def test_ipv6_address_in_ipv4_cluster_accepted() -> None:
    # pkg/proxy (kube-proxy --cluster-cidr): ranges are compared per family.
    validate_network(spec(nodes=[node(0, "172.31.0.1,fd00:10:244::5")]))


@pytest.mark.parametrize(("address", "problem"), [
    ("172.31.0.1,172.31.0.2", "has two IPv4 addresses"),
    ("2001:db8::1,2001:db8::2", "has two IPv6 addresses"),
    ("172.31.0.9", "172.31.0.9 is already used by nodes[0]"),
    ("172.31.0.2,2001:db8::1", "2001:db8::1 is already used by nodes[0]"),
])
def test_node_addresses_one_per_family_and_unique(address: str, problem: str) -> None:
    # component-helpers node/util ParseNodeIPArgument (kubelet --node-ip): one IP or a dual-stack pair, unique.
    error = refused(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.0.9,2001:db8::1"), node(1, address)]))
    assert (error.key, error.problem) == ("nodes[1].address", problem)


@pytest.mark.parametrize("address", ["172.31.0.2,172.31.0.3,172.31.0.4", "172.31.0.2,2001:db8::2,172.31.0.3"])
def test_more_than_two_node_addresses_refused(address: str) -> None:
    # component-helpers node/util ParseNodeIPArgument (kubelet --node-ip): at most a dual-stack pair.
    error = refused(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.0.9"), node(1, address)]))
    assert error.key == "nodes[1].address"


# Node names

NAME_253 = ".".join(["a" * 63] * 3) + "." + "a" * 61


@pytest.mark.parametrize("name", ["worker-0", "0", "a", "w.example.com", "1-2.3", NAME_253])
def test_dns1123_subdomain_names_accepted(name: str) -> None:
    # apimachinery pkg/util/validation/validation.go IsDNS1123Subdomain (at most 253 characters).
    assert len(NAME_253) == 253
    validate_network(spec(nodes=[node(0, "172.31.0.1", name=name)]))


@pytest.mark.parametrize("name", ["Worker-0", "worker_0", "-w", "w-", ".w", "w.", "w..x", "", "w x", "worker-0\n",
                                  NAME_253 + "a"])
def test_non_dns1123_names_refused(name: str) -> None:
    # apimachinery pkg/util/validation/validation.go IsDNS1123Subdomain.
    error = refused(spec(nodes=[node(0, "172.31.0.1"), node(1, "172.31.0.2", name=name)]))
    assert error.key == "nodes[1].name"
    assert "RFC 1123 subdomain" in error.problem


@pytest.mark.parametrize(("cluster", "service", "address", "family"), [
    ("fd00:10:244::/56", "fd00:10:96::/112", "172.31.0.1", "IPv6"),
    ("10.200.0.0/16", "10.32.0.0/24", "2001:db8::1", "IPv4"),
])
def test_a_pod_node_without_an_address_of_the_cluster_family_is_refused(cluster: str, service: str, address: str,
                                                                       family: str) -> None:
    # Pods get addresses of the cluster ranges' families only (kube-controller-manager: one podCIDR per range), and
    # the route controller (pkg/controller/route) routes a podCIDR through the node's address of its family.
    error = refused(spec(cluster, service, [node(0, address)]))
    assert error.key == "nodes[0].address"
    assert error.problem == (f"{address} has no {family} address, and network.clusterCidr is {family} only: the "
                             "node's pods would get addresses no route through the node reaches")
    assert error.without_values.startswith("has no address of the family of network.clusterCidr")


@pytest.mark.parametrize(("cluster", "service", "address"), [
    ("fd00:10:244::/56", "fd00:10:96::/112", "172.31.0.1,2001:db8::1"),
    (DUAL_CLUSTER, DUAL_SERVICE, "2001:db8::1"),
    (DUAL_CLUSTER, DUAL_SERVICE, "172.31.0.1"),
])
def test_a_node_with_an_address_of_some_cluster_family_is_accepted(cluster: str, service: str, address: str) -> None:
    validate_network(spec(cluster, service, [node(0, address)]))


def test_a_machine_that_runs_no_pods_needs_no_address_of_the_cluster_family() -> None:
    # machines.txt's control-plane host: no podCIDR, no route.
    machine = node(0, "172.31.0.1")._replace(runs_pods=False)
    validate_network(spec("fd00:10:244::/56", "fd00:10:96::/112", [machine, node(1, "2001:db8::1")]))


def test_duplicate_names_refused() -> None:
    # Node names are object names, unique in the cluster (apiserver registry).
    error = refused(spec(nodes=[node(0, "172.31.0.1", name="a"), node(1, "172.31.0.2", name="a")]))
    assert (error.key, error.problem) == ("nodes[1].name", "'a' is already used by nodes[0]")


# Pinned pod CIDRs


@pytest.mark.parametrize(("cluster", "service", "pin", "problem"), [
    ("10.200.0.0/16", "10.32.0.0/24", "10.201.0.0/24", "10.201.0.0/24 lies outside network.clusterCidr 10.200.0.0/16"),
    ("10.200.0.0/16", "10.32.0.0/24", "10.200.0.0/25", "is a /25, not a node block of /24 (network.nodeCidrMaskSize)"),
    ("10.200.0.0/16", "10.32.0.0/24", "10.200.0.0/23", "is a /23, not a node block of /24"),
    ("10.200.0.0/16", "10.32.0.0/24", "fd00:10:244::/64", "is IPv6 where network.clusterCidr has IPv4"),
    (DUAL_CLUSTER, DUAL_SERVICE, "fd00:10:244::/64,10.200.0.0/24", "is IPv6 where network.clusterCidr has IPv4"),
    ("10.200.0.0/16", "10.32.0.0/24", "10.200.0.0/24,fd00:10:244::/64", "has 2 CIDRs for 1 cluster range"),
    (DUAL_CLUSTER, DUAL_SERVICE, "10.200.0.0/24,fd00:10:244::/80", "is a /80, not a node block of /64"),
])
def test_pin_inside_cluster_range_with_node_mask(cluster: str, service: str, pin: str, problem: str) -> None:
    # cidr_set.go Occupy / range_allocator.go occupyCIDRs: a node's podCIDR must be a block of the cluster CIDR.
    error = refused(spec(cluster, service, [node(0, "172.31.0.1", pin)]))
    assert error.key == "nodes[0].podCidr"
    assert problem in error.problem


def test_duplicate_pin_refused() -> None:
    # cidr_set.go Occupy: a block belongs to one node.
    nodes = [node(0, "172.31.0.1", "10.200.7.0/24"), node(1, "172.31.0.2", "10.200.7.0/24")]
    error = refused(spec(nodes=nodes))
    assert (error.key, error.problem) == ("nodes[1].podCidr", "10.200.7.0/24 is already pinned by nodes[0]")


def test_pin_on_the_last_block_accepted() -> None:
    # cidr_set.go getIndexForIP: the last block of the cluster CIDR is a valid index.
    plan = valid_plan(spec(nodes=[node(0, "172.31.0.1", "10.200.255.0/24")]))
    assert plan.pod_cidrs == {"worker-0": ("10.200.255.0/24",)}


# Flags and routes


def test_flags_single_stack_ipv4() -> None:
    # cmd/kube-controller-manager/app/core.go: --node-cidr-mask-size for a single cluster CIDR.
    assert flags(valid_plan(spec())) == {
        "kubeApiserver": ["--service-cluster-ip-range=10.32.0.0/24"],
        "kubeControllerManager": ["--allocate-node-cidrs=true", "--cluster-cidr=10.200.0.0/16",
                                  "--service-cluster-ip-range=10.32.0.0/24", "--node-cidr-mask-size=24"],
        "kubeProxy": ["--cluster-cidr=10.200.0.0/16"],
        "kubelet": ["--cluster-dns=10.32.0.10", "--cluster-domain=cluster.local"],
    }


def test_flags_single_stack_ipv6() -> None:
    # cmd/kube-controller-manager/app/core.go setNodeCIDRMaskSizes: --node-cidr-mask-size also sets the IPv6 mask.
    plan = valid_plan(spec("fd00:10:244::/56", "fd00:10:96::/112"))
    assert flags(plan) == {
        "kubeApiserver": ["--service-cluster-ip-range=fd00:10:96::/112"],
        "kubeControllerManager": ["--allocate-node-cidrs=true", "--cluster-cidr=fd00:10:244::/56",
                                  "--service-cluster-ip-range=fd00:10:96::/112", "--node-cidr-mask-size=64"],
        "kubeProxy": ["--cluster-cidr=fd00:10:244::/56"],
        "kubelet": ["--cluster-dns=fd00:10:96::a", "--cluster-domain=cluster.local"],
    }
    assert plan.pod_cidrs == {"worker-0": ("fd00:10:244::/64",), "worker-1": ("fd00:10:244:1::/64",)}


def test_flags_dual_stack_in_config_order() -> None:
    # cmd/kube-controller-manager/app/core.go: dual-stack refuses --node-cidr-mask-size, needs -ipv4/-ipv6.
    plan = valid_plan(spec("fd00:10:244::/56,10.200.0.0/16", DUAL_SERVICE, mask4=25, mask6=72))
    controller_manager = flags(plan)["kubeControllerManager"]
    assert controller_manager == [
        "--allocate-node-cidrs=true",
        "--cluster-cidr=fd00:10:244::/56,10.200.0.0/16",
        "--service-cluster-ip-range=10.32.0.0/24,fd00:10:96::/112",
        "--node-cidr-mask-size-ipv4=25",
        "--node-cidr-mask-size-ipv6=72",
    ]
    assert flags(plan)["kubeProxy"] == ["--cluster-cidr=fd00:10:244::/56,10.200.0.0/16"]
    assert plan.pod_cidrs["worker-1"] == ("fd00:10:244:0:100::/72", "10.200.0.128/25")
    assert plan.node_masks == (72, 25)


def test_routes_match_families() -> None:
    # pkg/controller/route/route_controller.go: one route per podCIDR, towards the node's address of that family.
    nodes = [node(0, "2001:db8::60,172.31.101.60"), node(1, "172.31.104.202")]
    plan = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, nodes))
    assert routes(plan) == {
        "worker-0": [{"destination": "10.200.0.0/24", "via": "172.31.101.60"},
                     {"destination": "fd00:10:244::/64", "via": "2001:db8::60"}],
        "worker-1": [{"destination": "10.200.1.0/24", "via": "172.31.104.202"}],
    }


def test_routes_are_keyed_by_node_so_removing_one_changes_only_its_entry() -> None:
    # A preview diff keys what is keyed in reality: removing worker-0 removes its routes and touches no other.
    first = valid_plan(spec(nodes=workers(3)))
    second = replan(first, first.spec.nodes[1:])
    before, after = routes_of(network_output(first)), routes_of(network_output(second))
    assert set(before) - set(after) == {"worker-0"}
    assert {name: routes for name, routes in before.items() if name != "worker-0"} == after


def test_dev_stack_output() -> None:
    # The network output of the tutorial's cluster: kube-controller-manager hands out 10.200.0.0/24, 10.200.1.0/24.
    nodes = [node(0, "172.31.101.60"), node(1, "172.31.104.202")]
    output = network_output(valid_plan(spec(nodes=nodes)))
    assert {key: value for key, value in output.items() if key != "flags"} == {
        "clusterCidrs": ["10.200.0.0/16"],
        "serviceCidrs": ["10.32.0.0/24"],
        "kubernetesServiceIp": "10.32.0.1",
        "clusterDnsIp": "10.32.0.10",
        "nodeCidrMaskSizes": [24],
        "maxNodes": 256,
        "nodeCount": 2,
        "nodeTable": "NAME ADDRESSES POD_CIDRS\n"
                     "worker-0 172.31.101.60 10.200.0.0/24\n"
                     "worker-1 172.31.104.202 10.200.1.0/24\n",
        "routeTable": "NODE DESTINATION VIA\n"
                      "worker-0 10.200.0.0/24 172.31.101.60\n"
                      "worker-1 10.200.1.0/24 172.31.104.202\n",
        "kubeProxyConfiguration": {"kind": "KubeProxyConfiguration",
                                   "apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "clusterCIDR": "10.200.0.0/16"},
        "kubeletConfiguration": {"kind": "KubeletConfiguration", "apiVersion": "kubelet.config.k8s.io/v1beta1",
                                 "clusterDNS": ["10.32.0.10"], "clusterDomain": "cluster.local"},
        "podNetwork": {"name": "none", "podAddressesFromNodePodCidrs": True, "routesNeeded": True},
        "dns": "none",
    }


# Allocation


def test_pins_first_then_lowest_free_in_list_order() -> None:
    # range_allocator.go occupies existing podCIDRs first; cidr_set.go AllocateNext scans from the first block.
    nodes = [node(0, "172.31.0.1"), node(1, "172.31.0.2", "10.200.0.0/24"), node(2, "172.31.0.3"),
             node(3, "172.31.0.4", "10.200.2.0/24"), node(4, "172.31.0.5")]
    assert valid_plan(spec(nodes=nodes)).pod_cidrs == {
        "worker-0": ("10.200.1.0/24",),
        "worker-1": ("10.200.0.0/24",),
        "worker-2": ("10.200.3.0/24",),
        "worker-3": ("10.200.2.0/24",),
        "worker-4": ("10.200.4.0/24",),
    }


def test_dual_stack_allocates_one_block_per_family() -> None:
    # range_allocator.go AllocateOrOccupyCIDR: one podCIDR from each cluster CIDR, in --cluster-cidr order.
    nodes = [node(0, "172.31.0.1", "10.200.0.0/24,fd00:10:244:5::/64"), node(1, "172.31.0.2")]
    assert valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, nodes)).pod_cidrs == {
        "worker-0": ("10.200.0.0/24", "fd00:10:244:5::/64"),
        "worker-1": ("10.200.1.0/24", "fd00:10:244::/64"),
    }


def test_removing_a_middle_node_keeps_the_others() -> None:
    # pkg/apis/core/validation ValidateNodeUpdate: a node's podCIDRs cannot change once set.
    first = valid_plan(spec(nodes=workers(3)))
    a, _, c = first.spec.nodes
    second = replan(first, [a, c])
    assert second.pod_cidrs == {"worker-0": ("10.200.0.0/24",), "worker-2": ("10.200.2.0/24",)}
    d = node(9, "172.31.0.99", name="worker-3")
    assert replan(second, [a, c, d]).pod_cidrs["worker-3"] == ("10.200.1.0/24",)


def test_reordering_keeps_every_block() -> None:
    # pkg/apis/core/validation ValidateNodeUpdate: podCIDRs are immutable whatever the config order.
    first = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(3, "46")))
    a, b, c = first.spec.nodes
    assert replan(first, [c, a, b]).pod_cidrs == first.pod_cidrs
    reordered = valid_plan(dataclasses.replace(first.spec, nodes=renumber([c, a, b])))
    assert reordered.pod_cidrs != first.pod_cidrs  # without the previous allocation the order would matter


def test_pin_on_another_nodes_previous_block_refused() -> None:
    # pkg/apis/core/validation ValidateNodeUpdate: the block's current owner cannot give it up.
    first = valid_plan(spec(nodes=workers(2)))
    added = node(2, "172.31.0.99", "10.200.0.0/24")
    with pytest.raises(ConfigError) as caught:
        replan(first, [*first.spec.nodes, added])
    assert caught.value.key == "nodes[2].podCidr"
    assert "10.200.0.0/24 is already assigned to node 'worker-0'" in caught.value.problem


def _refuse_listing(*args: object, **kwargs: object) -> None:
    raise AssertionError("subnets must be computed, not listed")


@pytest.mark.parametrize(("cluster", "mask6", "blocks"), [
    ("fd00::/32", 48, ("fd00::/48", "fd00:0:1::/48", "fd00:0:8000::/48", "fd00:0:ffff::/48")),
    ("fd00::/8", 24, ("fd00::/24", "fd00:100::/24", "fd80::/24", "fdff:ff00::/24")),
    ("fd00::/8", 16, ("fd00::/16", "fd01::/16", "fd80::/16", "fdff::/16")),
])
def test_huge_ipv6_ranges_by_arithmetic(
    monkeypatch: pytest.MonkeyPatch, cluster: str, mask6: int, blocks: tuple[str, str, str, str]
) -> None:
    # cidr_set.go indexToCIDRBlock: block = base + index << (bits - mask), with big integers.
    for name in ("subnets", "hosts", "__iter__"):
        monkeypatch.setattr(ipaddress.IPv6Network, name, _refuse_listing)
    first, second, middle, last = blocks
    nodes = [node(0, "2001:db8::1", last), node(1, "2001:db8::2"), node(2, "2001:db8::3"), node(3, "2001:db8::4")]
    network = spec(cluster, "fc00::/112", nodes, mask6=mask6)
    plan = valid_plan(network, last_deployment_of(network, {"worker-2": [middle]}))
    assert plan.max_nodes == 1 << (mask6 - cidrs(cluster)[0].prefixlen)
    assert plan.pod_cidrs == {"worker-0": (last,), "worker-1": (first,), "worker-2": (middle,), "worker-3": (second,)}


# Reading the previous allocation back


def test_previous_round_trip() -> None:
    # The network output records exactly the allocation it was built from.
    plan = valid_plan(spec(DUAL_CLUSTER, DUAL_SERVICE, workers(3, "46")))
    assert valid_plan(plan.spec, deployed(plan)).pod_cidrs == plan.pod_cidrs


def test_a_pin_cannot_move_a_node_off_its_previous_block() -> None:
    # pkg/apis/core/validation ValidateNodeUpdate: spec.podCIDRs may be set once, never changed.
    nodes = [node(0, "172.31.0.9", pin="10.200.5.0/24")]
    previous = last_deployment_of(spec(), {"worker-0": ["10.200.0.0/24"]})
    with pytest.raises(ConfigError) as error:
        allocate(spec("10.200.0.0/16", "10.32.0.0/24", nodes), previous)
    assert error.value.key == "nodes[0].podCidr"
    assert "differs from 10.200.0.0/24, which the last deployment gave node 'worker-0'" in error.value.problem
    kept = allocate(spec("10.200.0.0/16", "10.32.0.0/24", [node(0, "172.31.0.9", pin="10.200.0.0/24")]), previous)
    assert kept == {"worker-0": ("10.200.0.0/24",)}


def groups(*values: int) -> int:
    """An IPv6 address from its eight 16-bit groups."""
    return int.from_bytes(b"".join(value.to_bytes(2, "big") for value in values), "big")


ALL_GROUPS = 2**128 - 1
"""A zero_mask that keeps every group of the value."""


@given(st.integers(min_value=0, max_value=2**128 - 1), st.integers(min_value=0, max_value=2**128 - 1))
@example(0, ALL_GROUPS)
@example(groups(1, 0, 0, 1, 0, 0, 0, 1), ALL_GROUPS)  # the longer run of zero groups becomes "::"
@example(groups(1, 0, 0, 0, 1, 0, 0, 1), ALL_GROUPS)
@example(groups(0, 0, 1, 1, 1, 1, 0, 0), ALL_GROUPS)  # of equal runs, the first
@example(groups(1, 0, 1, 1, 1, 1, 1, 1), ALL_GROUPS)  # one zero group stays "0"
@example(groups(1, 1, 1, 1, 1, 1, 0, 0), ALL_GROUPS)
def test_address_formatting_is_canonical(value: int, zero_mask: int) -> None:
    # RFC 5952 as Go's netip and Python's ipaddress write it; zero_mask makes runs of zero groups likely.
    sparse = value & zero_mask & int("".join(random_group_mask(zero_mask)), 2)
    assert format_ip(sparse, 6) == str(ipaddress.IPv6Address(sparse))
    assert format_ip(sparse >> 96, 4) == str(ipaddress.IPv4Address(sparse >> 96))


def random_group_mask(seed: int) -> list[str]:
    """Per 16-bit group, all ones or all zeros, chosen by the bits of ``seed``."""
    return [("1" if seed >> group & 1 else "0") * 16 for group in range(8)]


# Addresses kubelet refuses as a node IP


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "a loopback address (127.0.0.0/8)"),
    ("127.255.255.254", "a loopback address (127.0.0.0/8)"),
    ("::1", "the loopback address"),
    ("0.0.0.0", "the unspecified address"),
    ("::", "the unspecified address"),
    ("224.0.0.1", "a multicast address (224.0.0.0/4)"),
    ("239.255.255.255", "a multicast address (224.0.0.0/4)"),
    ("ff02::1", "a multicast address (ff00::/8)"),
    ("169.254.169.254", "a link-local address (169.254.0.0/16)"),
    ("fe80::1", "a link-local address (fe80::/10)"),
    ("febf:ffff::1", "a link-local address (fe80::/10)"),
    ("255.255.255.255", "the broadcast address"),
])
def test_node_address_kubelet_refuses_is_refused(address: str, reason: str) -> None:
    # pkg/kubelet/kubelet_node_status.go validateNodeIP: no loopback, multicast, link-local unicast or all-zeros IP.
    error = refused(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, "172.31.0.1"), node(1, f"172.31.0.2,{address}"
                                                                            if ":" in address else address)]))
    assert error.key == "nodes[1].address"
    assert error.problem == f"{address} is {reason}, which kubelet refuses as a node IP"
    assert "not loopback, unspecified, multicast or link-local" in error.accepted


@pytest.mark.parametrize("address", [
    "0.0.0.1", "126.255.255.255", "223.255.255.255", "240.0.0.1", "169.253.255.255", "172.31.101.60",
    "fec0::1", "::2", "fd00::20",
    "::ffff:127.0.0.1",  # never reaches this check: node addresses refuse the IPv4-mapped form
])
def test_addresses_beside_the_ranges_kubelet_refuses_are_usable(address: str) -> None:
    # Go's net.IP IsLoopback, IsMulticast, IsLinkLocalUnicast, IsUnspecified: each range and nothing next to it.
    assert unusable_address_reason(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("address", ["126.255.255.255", "128.0.0.0", "169.253.255.255", "169.255.0.0",
                                     "223.255.255.255", "240.0.0.1", "255.255.255.254", "::2", "fec0::1",
                                     "fe7f:ffff::1", "feff::1"])
def test_node_address_next_to_a_refused_class_accepted(address: str) -> None:
    # Go's net.IP IsLoopback (127/8, ::1), IsMulticast (224/4, ff00::/8), IsLinkLocalUnicast (169.254/16,
    # fe80::/10), IsUnspecified: the neighbours of each class are ordinary addresses.
    validate_network(spec(DUAL_CLUSTER, DUAL_SERVICE, [node(0, f"172.31.0.9,{address}" if ":" in address
                                                            else address)]))


# Every problem at once


def problems_of(network: NetworkSpec) -> list[tuple[str, str]]:
    """(key, problem) of every error validate_network reports, in order."""
    with pytest.raises(AnyConfigError) as caught:
        validate_network(network)
    return [(error.key, error.problem) for error in caught.value.errors]


def test_independent_problems_are_reported_together() -> None:
    # cmd/kube-apiserver/app/options/validation.go Validate: every validateX's errors are appended, none stops it.
    nodes = [node(0, "127.0.0.1"), node(1, "172.31.0.2", name="Worker-1"), node(2, "172.31.0.3", "10.200.0.0/25")]
    network = spec("10.200.0.0/16", "10.32.0.0/24", nodes, dns=300)
    assert problems_of(network) == [
        ("network.dnsServiceIndex", "300 is outside the usable addresses of 10.32.0.0/24 (index 1 is the kubernetes "
                                    "service IP)"),
        ("nodes[0].address", "127.0.0.1 is a loopback address (127.0.0.0/8), which kubelet refuses as a node IP"),
        ("nodes[1].name", "'Worker-1' is not a lowercase RFC 1123 subdomain"),
        ("nodes[2].podCidr", "10.200.0.0/25 is a /25, not a node block of /24 (network.nodeCidrMaskSize)"),
    ]


def test_several_problems_print_one_line_each_with_its_key() -> None:
    # One preview shows every problem, each line readable alone.
    with pytest.raises(CollectedConfigError) as caught:
        validate_network(spec("10.200.0.0/16", "10.200.0.0/24", [node(0, "0.0.0.0")]))
    lines = str(caught.value).splitlines()
    assert len(lines) == 2
    assert all(line.startswith("invalid config kthw:") for line in lines)


def test_bad_cluster_families_skip_the_block_checks() -> None:
    # cidr_set.go NewCIDRSet works per cluster CIDR: with the ranges wrong, capacity and pins mean nothing.
    network = spec("10.200.0.0/16,10.201.0.0/16", "10.32.0.0/24", [node(0, "172.31.0.1", "10.0.0.0/8")])
    assert problems_of(network) == [("network.clusterCidr", "has two IPv4 CIDRs")]


def test_bad_node_mask_skips_the_block_checks_but_not_the_names() -> None:
    # kubeadm ValidatePodSubnetNodeMask: with the mask wrong, capacity and pins mean nothing; names still do.
    nodes = [node(0, "172.31.0.1", "10.200.0.0/24"), node(1, "172.31.0.2", name="a_b")]
    keys = [key for key, _ in problems_of(spec(nodes=nodes, mask4=8))]
    assert keys == ["network.nodeCidrMaskSize", "nodes[1].name"]


def test_service_range_without_room_skips_the_dns_index() -> None:
    # pkg/registry/core/service/ipallocator: no index fits a /31, so only the range is blamed.
    assert problems_of(spec(service="10.32.0.0/31", dns=300)) == [
        ("network.serviceCidr", "10.32.0.0/31 has no room for the kubernetes service IP and the cluster DNS IP"),
    ]
