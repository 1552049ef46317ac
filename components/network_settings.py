"""The ``network`` and ``nodes`` config keys, read into a NetworkSpec and checked against every network rule."""

from __future__ import annotations

from typing import Any

from components.cidr import parse_ip
from components.config_values import cidr_list, decoded, integer_in, json_object, or_default
from components.errors import ConfigError
from components.network_plan import NetworkSpec, NodeSpec
from components.network_rules import validate_network


def parse_nodes(value: Any) -> tuple[NodeSpec, ...]:
    """``nodes``: a list of {name, address, podCidr?}; address and podCidr take one value or two (dual-stack)."""
    if value is None:
        raise ConfigError("nodes", "is required", "a list of {name, address, podCidr?} objects")
    items = decoded(value, "nodes", list, "a list of {name, address, podCidr?} objects")
    nodes = []
    for index, item in enumerate(items):
        key = f"nodes[{index}]"
        obj = json_object(item, key, ("name", "address", "podCidr"), ("name", "address"))
        if not isinstance(obj["name"], str):
            raise ConfigError(f"{key}.name", f"{obj['name']!r} is not a string", "a node name such as 'worker-0'")
        address = obj["address"]
        if not isinstance(address, str):
            raise ConfigError(f"{key}.address", f"{address!r} is not a string", "one IP address, or two")
        pin = obj.get("podCidr")
        nodes.append(NodeSpec(
            index=index,
            name=obj["name"],
            addresses=tuple(parse_ip(part, f"{key}.address") for part in address.split(",")),
            pinned=() if pin is None else cidr_list(pin, f"{key}.podCidr"),
        ))
    return tuple(nodes)


def parse_network(value: Any, nodes: Any) -> NetworkSpec:
    """``network`` and ``nodes``, checked together against every rule of the network plan."""
    keys = ("clusterCidr", "serviceCidr", "nodeCidrMaskSize", "nodeCidrMaskSizeIpv6", "dnsServiceIndex")
    obj = json_object({} if value is None else value, "network", keys)
    spec = NetworkSpec(
        cluster_cidrs=cidr_list(or_default(obj, "clusterCidr", "10.200.0.0/16"), "network.clusterCidr"),
        service_cidrs=cidr_list(or_default(obj, "serviceCidr", "10.32.0.0/24"), "network.serviceCidr"),
        node_cidr_mask_size=integer_in(or_default(obj, "nodeCidrMaskSize", 24), "network.nodeCidrMaskSize", 0, 32),
        node_cidr_mask_size_ipv6=integer_in(
            or_default(obj, "nodeCidrMaskSizeIpv6", 64), "network.nodeCidrMaskSizeIpv6", 0, 128
        ),
        dns_service_index=integer_in(or_default(obj, "dnsServiceIndex", 10), "network.dnsServiceIndex", 0, 2**20),
        nodes=parse_nodes(nodes),
    )
    validate_network(spec)
    return spec
