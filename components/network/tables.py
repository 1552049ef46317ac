"""The per-node parts of the ``network`` output as text tables, one line per node or route, and their readers.

Why text: the Pulumi CLI prints every stack output in full after each ``pulumi up``, and an object's diff with all
its unchanged keys (pkg/backend/display/object_diff.go: getResourceOutputsPropertiesString, printObjectDiff), so a
map of 5,000 nodes printed 3.5 MB per ``up`` and buried a removed node 285 KB deep in ``preview --diff``. A string
it prints as its first three lines (truncatePropertyString), and a change to it as a line diff with two lines of
context (printLineDiff). A string that parses whole as a JSON or YAML collection it would print decoded and whole
(decodeValue): lines whose addresses end in ``::`` read as YAML ``KEY: VALUE`` pairs (``worker-0 2001:db8:1::
fd00:10:244::/64``), so a table of them parses as a mapping. The header line prevents it: after a plain first line,
YAML refuses such a line (tests/test_engine_printed_output.py checks it with the real CLI), and JSON never starts
with a letter.

    nodeTable:   NAME ADDRESSES POD_CIDRS      one line per node; ADDRESSES and POD_CIDRS comma-separated,
                 worker-0 172.31.101.60 10.200.0.0/24      POD_CIDRS in the order of clusterCidrs, ``-`` for a
                 server 172.31.100.10 -                     machine that runs no pods
    routeTable:  NODE DESTINATION VIA          one line per route: a pod CIDR, via the node's address of its family
    bridgeConfTable: NODE 10-BRIDGE.CONF       podNetwork bridge: per node that runs pods, its 10-bridge.conf as one
                                               line of JSON (for /etc/cni/net.d/10-bridge.conf on that node)
    verification.registeredNodeTable: NAME     one line per planned node the cluster has registered (verify)

Lines are sorted by node name (then by cluster range), so the text does not depend on the order of the node list,
and each ends with a newline. ``nodes_of`` and ``routes_of`` give back the objects the output held before
(``{NAME: {address, podCidrs}}`` and ``{NAME: [{destination, via}]}``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NODE_TABLE = "nodeTable"
ROUTE_TABLE = "routeTable"
REGISTERED_TABLE = "registeredNodeTable"
"""In the ``verification`` output (verify): the planned nodes the cluster has registered."""
NODE_HEADER = ("NAME", "ADDRESSES", "POD_CIDRS")
ROUTE_HEADER = ("NODE", "DESTINATION", "VIA")
BRIDGE_TABLE = "bridgeConfTable"
BRIDGE_HEADER = ("NODE", "10-BRIDGE.CONF")
REGISTERED_HEADER = ("NAME",)
NO_POD_CIDRS = "-"
"""POD_CIDRS of a machine that runs no pods (a machines.txt line without a pod subnet)."""


class TableError(ValueError):
    """A table that is not as ``render_table`` writes it; the message says where (a line number, never a line)."""


def render_table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The header, then one line per row, fields separated by one blank, each line ending with a newline."""
    return "".join(f"{' '.join(fields)}\n" for fields in (header, *rows))


def node_rows(nodes: Iterable[tuple[str, str, Sequence[str]]]) -> list[tuple[str, str, str]]:
    """(name, addresses text, pod CIDRs) -> nodeTable rows, sorted by name."""
    return sorted((name, addresses, ",".join(pod_cidrs) or NO_POD_CIDRS) for name, addresses, pod_cidrs in nodes)


def read_table(text: object, header: Sequence[str], what: str) -> list[list[str]]:
    """The rows of a table ``what`` (its output key, for messages); TableError when it is not one."""
    if not isinstance(text, str):
        raise TableError(f"{what} is not a string")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines or lines[0].split(" ") != list(header):
        raise TableError(f"{what} does not start with the line {' '.join(header)}")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split(" ")
        if len(fields) != len(header) or not all(fields):
            raise TableError(f"{what} line {number} does not have {len(header)} fields separated by one blank")
        rows.append(fields)
    return rows


def read_nodes(text: object) -> dict[str, tuple[str, list[str]]]:
    """nodeTable -> {name: (addresses text, pod CIDRs)}; TableError when it is not one, or names a node twice."""
    nodes: dict[str, tuple[str, list[str]]] = {}
    for number, (name, addresses, pod_cidrs) in enumerate(read_table(text, NODE_HEADER, NODE_TABLE), start=2):
        if name in nodes:
            raise TableError(f"{NODE_TABLE} line {number} names a node of an earlier line")
        nodes[name] = (addresses, [] if pod_cidrs == NO_POD_CIDRS else pod_cidrs.split(","))
    return nodes


def nodes_of(network: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The ``network`` output's nodes as an object: ``{NAME: {"address": ..., "podCidrs": [...]}}``."""
    return {name: {"address": addresses, "podCidrs": pod_cidrs}
            for name, (addresses, pod_cidrs) in read_nodes(network[NODE_TABLE]).items()}


def routes_of(network: Mapping[str, Any]) -> dict[str, list[dict[str, str]]]:
    """The ``network`` output's routes by node: ``{NAME: [{"destination": ..., "via": ...}]}``, an empty list for
    a node without routes."""
    routes: dict[str, list[dict[str, str]]] = {name: [] for name in read_nodes(network[NODE_TABLE])}
    for name, destination, via in read_table(network[ROUTE_TABLE], ROUTE_HEADER, ROUTE_TABLE):
        routes.setdefault(name, []).append({"destination": destination, "via": via})
    return routes


def registered_of(verification: Mapping[str, Any]) -> list[str]:
    """The ``verification`` output's registered nodes, sorted."""
    return [name for (name,) in read_table(verification[REGISTERED_TABLE], REGISTERED_HEADER, REGISTERED_TABLE)]
