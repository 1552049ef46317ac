"""``nodesFile``: the tutorial's machines.txt and a YAML list of nodes, with every rule of ``nodes`` naming the
file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.errors import AnyConfigError, ConfigError
from components.network_settings import parse_network
from components.network_tables import nodes_of, routes_of
from components.pod_cidr_allocation import plan_network

# The tutorial's machines.txt (docs/03-compute-resources.md), with addresses filled in.
TUTORIAL = """\
172.31.100.10 server.kubernetes.local server
172.31.100.20 node-0.kubernetes.local node-0 10.200.0.0/24
172.31.100.21 node-1.kubernetes.local node-1 10.200.1.0/24
"""


def project_with(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path


def refused_keys(tmp_path: Path, name: str, text: str, nodes: object = None) -> list[tuple[str, str]]:
    """(key, problem) of every error parse_network reports for a nodesFile with ``text``."""
    with pytest.raises(AnyConfigError) as caught:
        parse_network(None, nodes, name, project_with(tmp_path, name, text))
    return [(error.key, error.problem) for error in caught.value.errors]


def test_a_yaml_item_with_several_problems_does_not_hide_the_next_item_s(tmp_path: Path) -> None:
    text = "- {nme: worker-0, address: 172.31.101.60}\n- {name: worker-1, address: 172.31.104.256}\n"
    refused = refused_keys(tmp_path, "nodes.yaml", text)
    assert len(refused) > 2 and refused[-1][0] == "nodesFile (nodes.yaml:2).address"


def test_the_tutorials_machines_txt_plans_its_nodes(tmp_path: Path) -> None:
    # A given POD_SUBNET pins the node's block; the server line has none: it runs no pods, takes no block.
    spec = parse_network(None, None, "machines.txt", project_with(tmp_path, "machines.txt", TUTORIAL))
    output = plan_network(spec).to_output()
    assert nodes_of(output) == {
        "server": {"address": "172.31.100.10", "podCidrs": []},
        "node-0": {"address": "172.31.100.20", "podCidrs": ["10.200.0.0/24"]},
        "node-1": {"address": "172.31.100.21", "podCidrs": ["10.200.1.0/24"]},
    }
    assert routes_of(output)["server"] == []
    assert routes_of(output)["node-1"] == [{"destination": "10.200.1.0/24", "via": "172.31.100.21"}]


def test_comments_blank_lines_and_any_blanks_between_fields(tmp_path: Path) -> None:
    # The file is read as the tutorial's shell loops read it (`while read IP FQDN HOST SUBNET`): split on blanks.
    text = "# machines\n\n172.31.100.20\tnode-0.kubernetes.local   node-0  10.200.5.0/24\n"
    spec = parse_network(None, None, "machines.txt", project_with(tmp_path, "machines.txt", text))
    assert [(node.name, node.line, node.pinned[0].text) for node in spec.nodes] == [
        ("node-0", 3, "10.200.5.0/24")]


def test_a_yaml_list_reads_like_nodes(tmp_path: Path) -> None:
    # The same objects as `nodes`; a node without podCidr gets the lowest free block.
    text = "- name: worker-0\n  address: 172.31.101.60\n- {name: worker-1, address: 172.31.104.202}\n"
    spec = parse_network(None, None, "nodes.yaml", project_with(tmp_path, "nodes.yaml", text))
    assert plan_network(spec).pod_cidrs == {"worker-0": ("10.200.0.0/24",), "worker-1": ("10.200.1.0/24",)}


def test_reading_problems_name_file_line_and_column(tmp_path: Path) -> None:
    # Every line's problems are reported together, each naming its line and machines.txt's column.
    text = ("172.31.100.300 node-0.kubernetes.local node-0\n"
            "172.31.100.21 node-1 kubernetes.local node-1 10.200.1.0/24\n"
            "172.31.100.22 -bad-.local node-2 10.200.2.0\n")
    assert refused_keys(tmp_path, "machines.txt", text) == [
        ("nodesFile (machines.txt:1, IPV4_ADDRESS)", "'172.31.100.300' has an IPv4 octet with a leading zero or "
                                                     "above 255"),
        ("nodesFile (machines.txt:2)", "has 5 fields"),
        ("nodesFile (machines.txt:3, FQDN)", "is not a DNS name"),
        ("nodesFile (machines.txt:3, POD_SUBNET)", "'10.200.2.0' is an address, not a CIDR: add the prefix length"),
    ]


def test_every_rule_of_nodes_names_the_file_and_line(tmp_path: Path) -> None:
    # The same rules as `nodes` (names, kubelet's node IP rule, pins), keyed by file, line and column.
    text = ("127.0.0.1 a.local node-0 10.200.0.0/24\n"
            "172.31.100.21 b.local node-0 10.200.0.0/24\n"
            "172.31.100.22 c.local Node-2 10.200.2.0/25\n")
    assert refused_keys(tmp_path, "machines.txt", text) == [
        ("nodesFile (machines.txt:1, IPV4_ADDRESS)", "127.0.0.1 is a loopback address (127.0.0.0/8), which kubelet "
                                                     "refuses as a node IP"),
        ("nodesFile (machines.txt:2, HOSTNAME)", "'node-0' is already used by machines.txt:1"),
        ("nodesFile (machines.txt:3, HOSTNAME)", "'Node-2' is not a lowercase RFC 1123 subdomain"),
        ("nodesFile (machines.txt:2, POD_SUBNET)", "10.200.0.0/24 is already pinned by machines.txt:1"),
        ("nodesFile (machines.txt:3, POD_SUBNET)", "10.200.2.0/25 is a /25, not a node block of /24 "
                                                   "(network.nodeCidrMaskSize)"),
    ]


def test_yaml_problems_name_file_and_line(tmp_path: Path) -> None:
    # A YAML item is named by the line it starts on, its fields as in `nodes`.
    text = "- name: worker-0\n  address: 172.31.101.60\n- name: worker-1\n  address: 172.31.104.2022\n- name: w2\n"
    assert [key for key, _ in refused_keys(tmp_path, "nodes.yaml", text)] == [
        "nodesFile (nodes.yaml:3).address", "nodesFile (nodes.yaml:5).address"]


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("- name: a\n  address: [1\n", "nodesFile (nodes.yaml:3)", "is not valid YAML"),
    ("name: a\n", "nodesFile", "nodes.yaml is not a YAML list"),
    ("", "nodesFile", "'nodes.yaml' lists no machines"),
])
def test_a_yaml_file_that_is_no_list_is_refused(tmp_path: Path, text: str, key: str, problem: str) -> None:
    # The whole file must be a list of node objects.
    [(actual_key, actual_problem)] = refused_keys(tmp_path, "nodes.yaml", text)
    assert (actual_key, actual_problem.startswith(problem)) == (key, True)


def test_nodes_and_nodes_file_together_are_refused(tmp_path: Path) -> None:
    # Exactly one node list: which one wins would be a guess.
    nodes = [{"name": "worker-0", "address": "172.31.101.60"}]
    assert refused_keys(tmp_path, "machines.txt", TUTORIAL, nodes) == [("nodesFile", "is set together with nodes")]


def test_the_empty_defaults_of_pulumi_yaml_mean_unset(tmp_path: Path) -> None:
    # Pulumi.yaml declares nodes: [] and nodesFile: "" so that either may be left out.
    spec = parse_network(None, "[]", "machines.txt", project_with(tmp_path, "machines.txt", TUTORIAL))
    assert len(spec.nodes) == 3
    with pytest.raises(ConfigError) as caught:
        parse_network(None, "[]", "")
    assert (caught.value.key, caught.value.problem) == ("nodes", "is empty")
    assert "nodesFile" in caught.value.accepted


@pytest.mark.parametrize(("value", "problem"), [
    ("/etc/machines.txt", "is an absolute path"),
    ("~/machines.txt", "is an absolute path or starts with '~'"),
    ("missing.txt", "'missing.txt' does not exist in the project directory"),
    (".", "'.' is not a regular file"),
    ("", "is required"),
    (7, "is not a path"),
])
def test_the_path_must_name_a_file_of_the_project(tmp_path: Path, value: object, problem: str) -> None:
    # Relative to the project, so that every machine and CI read the same file.
    with pytest.raises(ConfigError) as caught:
        parse_network(None, None, value, tmp_path)
    assert caught.value.problem.startswith(problem)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    # Never a traceback from deep inside the decoder.
    (tmp_path / "machines.txt").write_bytes(b"172.31.100.20 n.local node-0 \xff\n")
    with pytest.raises(ConfigError, match="is not UTF-8 text"):
        parse_network(None, None, "machines.txt", tmp_path)


def test_capacity_counts_only_machines_that_run_pods(tmp_path: Path) -> None:
    # A /23 holds two /24 blocks: two nodes and the server fit.
    spec = parse_network({"clusterCidr": "10.200.0.0/23"}, None, "machines.txt",
                         project_with(tmp_path, "machines.txt", TUTORIAL))
    assert plan_network(spec).max_nodes == 2
