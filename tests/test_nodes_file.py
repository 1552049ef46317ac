"""``nodesFile``: the tutorial's machines.txt and a YAML list of nodes, with every rule of ``nodes`` naming the
file and line; a file outside the project is never read, and no message quotes the file."""

from __future__ import annotations

import contextlib
import os
import subprocess
from pathlib import Path

import pytest

from components.config.errors import AnyConfigError, ConfigError, problem_lines
from components.config.settings import parse_settings
from components.config.shown import hiding_values
from components.network.allocation import plan_network
from components.network.nodes_file.machines_txt import line_fields, text_lines
from components.network.nodes_file.problems import MAX_PROBLEMS
from components.network.options import parse_network
from components.network.output import network_output
from components.network.tables import nodes_of, routes_of

# The tutorial's machines.txt (docs/03-compute-resources.md), with addresses filled in.
TUTORIAL = """\
172.31.100.10 server.kubernetes.local server
172.31.100.20 node-0.kubernetes.local node-0 10.200.0.0/24
172.31.100.21 node-1.kubernetes.local node-1 10.200.1.0/24
"""
SECRET = "s3cr3t7f4a9c2e"
"""A marker in every hostile file: no message may contain it, nor any 8 characters of it."""


def project_with(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode())  # as written: no newline translation
    return tmp_path


def refusal(project: Path, name: object, hide: bool = False) -> list[ConfigError]:
    """Every error parse_network reports for the nodesFile ``name`` of ``project``; with ``hide``, as when the
    node list is set with --secret."""
    with pytest.raises(AnyConfigError) as caught, hiding_values() if hide else contextlib.nullcontext():
        parse_network(None, None, name, project)
    return caught.value.errors


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the project holding a passwd-like file whose lines would read as machines."""
    directory = tmp_path / "outside"
    directory.mkdir()
    (directory / "passwd").write_text(f"root:x:0:0:{SECRET}:/root:/bin/bash\n10.0.0.9 {SECRET}.local {SECRET}\n")
    (directory / "machines.txt").write_text(f"10.0.0.9 a.local {SECRET}\n")
    return directory


def refused_keys(tmp_path: Path, name: str, text: str, nodes: object = None) -> list[tuple[str, str]]:
    """(key, problem) of every error parse_network reports for a nodesFile with ``text``."""
    with pytest.raises(AnyConfigError) as caught:
        parse_network(None, nodes, name, project_with(tmp_path, name, text))
    return [(error.key, error.problem) for error in caught.value.errors]


def messages(errors: list[ConfigError]) -> str:
    """Everything the errors can print, values shown and hidden."""
    return "\n".join([*problem_lines(errors, False), *problem_lines(errors, True)])


def assert_quotes_nothing(errors: list[ConfigError], secrets: list[str]) -> None:
    """No message shows any secret, nor 8 characters of one; each error is safe or has a wording without values."""
    text = messages(errors)
    for secret in secrets:
        for start in range(max(1, len(secret) - 7)):
            assert secret[start:start + 8] not in text, text
    assert all(error.safe or error.without_values for error in errors)


# The formats


def test_the_tutorials_machines_txt_plans_its_nodes(tmp_path: Path) -> None:
    # A given POD_SUBNET pins the node's block; the server line has none: it runs no pods, takes no block.
    spec = parse_network(None, None, "machines.txt", project_with(tmp_path, "machines.txt", TUTORIAL))
    output = network_output(plan_network(spec))
    assert nodes_of(output) == {
        "server": {"address": "172.31.100.10", "podCidrs": []},
        "node-0": {"address": "172.31.100.20", "podCidrs": ["10.200.0.0/24"]},
        "node-1": {"address": "172.31.100.21", "podCidrs": ["10.200.1.0/24"]},
    }
    assert routes_of(output)["server"] == []
    assert routes_of(output)["node-1"] == [{"destination": "10.200.1.0/24", "via": "172.31.100.21"}]


def test_comments_blank_lines_and_spaces_or_tabs_between_fields(tmp_path: Path) -> None:
    # Fields are split as the tutorial's `while read IP FQDN HOST SUBNET` splits them: on spaces and tabs.
    text = "# machines\n\n  172.31.100.20\tnode-0.kubernetes.local   node-0  10.200.5.0/24 \t\n"
    spec = parse_network(None, None, "machines.txt", project_with(tmp_path, "machines.txt", text))
    assert [(node.name, node.line, node.pinned[0].text) for node in spec.nodes] == [
        ("node-0", 3, "10.200.5.0/24")]


def test_a_yaml_list_reads_like_nodes(tmp_path: Path) -> None:
    # The same objects as `nodes`; a node without podCidr gets the lowest free block.
    text = "- name: worker-0\n  address: 172.31.101.60\n- {name: worker-1, address: 172.31.104.202}\n"
    spec = parse_network(None, None, "nodes.yaml", project_with(tmp_path, "nodes.yaml", text))
    assert plan_network(spec).pod_cidrs == {"worker-0": ("10.200.0.0/24",), "worker-1": ("10.200.1.0/24",)}


@pytest.mark.parametrize("name", ["nodes.YAML", "nodes.Yml", "sub/NODES.yml"])
def test_an_upper_case_yaml_suffix_is_yaml(tmp_path: Path, name: str) -> None:
    # Read as machines.txt, the first line would have 2 fields.
    text = "- name: worker-0\n  address: 172.31.101.60\n"
    spec = parse_network(None, None, name, project_with(tmp_path, name, text))
    assert [(node.name, node.line) for node in spec.nodes] == [("worker-0", 1)]


def test_capacity_counts_only_machines_that_run_pods(tmp_path: Path) -> None:
    # A /23 holds two /24 blocks: two nodes and the server fit.
    spec = parse_network({"clusterCidr": "10.200.0.0/23"}, None, "machines.txt",
                         project_with(tmp_path, "machines.txt", TUTORIAL))
    assert plan_network(spec).max_nodes == 2


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


# Problems, by file, line and column


def test_reading_problems_name_file_line_and_column(tmp_path: Path) -> None:
    # Every line's problems are reported together, each naming its line and machines.txt's column, and saying
    # what is wrong without the column's text.
    text = ("172.31.100.300 node-0.kubernetes.local node-0\n"
            "172.31.100.21 node-1 kubernetes.local node-1 10.200.1.0/24\n"
            "172.31.100.22 -bad-.local Node-2 10.200.2.0\n")
    assert refused_keys(tmp_path, "machines.txt", text) == [
        ("nodesFile (machines.txt:1, IPV4_ADDRESS)", "has an IPv4 octet with a leading zero or above 255"),
        ("nodesFile (machines.txt:2)", "has 5 fields"),
        ("nodesFile (machines.txt:3, FQDN)", "is not a DNS name"),
        ("nodesFile (machines.txt:3, HOSTNAME)", "is not a lowercase RFC 1123 subdomain"),
        ("nodesFile (machines.txt:3, POD_SUBNET)", "is an address, not a CIDR: add the prefix length"),
    ]


def test_every_rule_of_nodes_names_the_file_and_line(tmp_path: Path) -> None:
    # The same rules as `nodes` (kubelet's node IP rule, unique names, pins), keyed by file, line and column; they
    # show values that were read as what their column holds.
    text = ("127.0.0.1 a.local node-0 10.200.0.0/24\n"
            "172.31.100.21 b.local node-0 10.200.0.0/24\n"
            "172.31.100.22 c.local node-2 10.200.2.0/25\n")
    assert refused_keys(tmp_path, "machines.txt", text) == [
        ("nodesFile (machines.txt:1, IPV4_ADDRESS)", "127.0.0.1 is a loopback address (127.0.0.0/8), which kubelet "
                                                     "refuses as a node IP"),
        ("nodesFile (machines.txt:2, HOSTNAME)", "'node-0' is already used by machines.txt:1"),
        ("nodesFile (machines.txt:2, POD_SUBNET)", "10.200.0.0/24 is already pinned by machines.txt:1"),
        ("nodesFile (machines.txt:3, POD_SUBNET)", "10.200.2.0/25 is a /25, not a node block of /24 "
                                                   "(network.nodeCidrMaskSize)"),
    ]


def test_yaml_problems_name_file_and_line(tmp_path: Path) -> None:
    # A YAML item is named by the line it starts on, its fields as in `nodes`.
    text = "- name: worker-0\n  address: 172.31.101.60\n- name: worker-1\n  address: 172.31.104.2022\n- name: w2\n"
    assert refused_keys(tmp_path, "nodes.yaml", text) == [
        ("nodesFile (nodes.yaml:3).address", "has an IPv4 octet with a leading zero or above 255"),
        ("nodesFile (nodes.yaml:5).address", "is required"),
    ]


def test_a_yaml_item_with_several_problems_does_not_hide_the_next_item_s(tmp_path: Path) -> None:
    text = "- {nme: worker-0, address: 172.31.101.60}\n- {name: worker-1, address: 172.31.104.256}\n"
    assert refused_keys(tmp_path, "nodes.yaml", text) == [
        ("nodesFile (nodes.yaml:1)", "has a key other than name, address and podCidr (did you mean name?)"),
        ("nodesFile (nodes.yaml:1).name", "is required"),
        ("nodesFile (nodes.yaml:2).address", "has an IPv4 octet with a leading zero or above 255"),
    ]


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("- name: a\n  address: [1\n", "nodesFile (nodes.yaml:3)", "is not valid YAML (column 1): did not find "
                                                               "expected ',' or ']'"),
    ("- name: a\n\t- b\n", "nodesFile (nodes.yaml:2)", "is not valid YAML (column 1): found a tab character that "
                                                       "violates indentation"),
    ("- a\n- b\x01\n", "nodesFile (nodes.yaml:2)", "is not valid YAML: control characters are not allowed"),
    ("name: a\n", "nodesFile (nodes.yaml:1)", "is not a YAML list"),
    ("", "nodesFile", "'nodes.yaml' lists no machines"),
])
def test_a_yaml_file_that_is_no_list_is_refused(tmp_path: Path, text: str, key: str, problem: str) -> None:
    # The whole file must be a list of node objects.
    assert refused_keys(tmp_path, "nodes.yaml", text) == [(key, problem)]


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("- name: a\n  address: 172.31.0.1\n  name: b\n", "nodesFile (nodes.yaml:3)",
     "repeats the key name of line 1, and YAML would keep only the last value"),
    ("- {name: a, address: 172.31.0.1, 'address': 172.31.0.2}\n", "nodesFile (nodes.yaml:1)",
     "repeats the key address of line 1, and YAML would keep only the last value"),
])
def test_a_yaml_key_given_twice_is_refused_at_its_line(tmp_path: Path, text: str, key: str, problem: str) -> None:
    # PyYAML (like go-yaml v2 in kubectl) keeps the last value without a word; which one was meant is a guess.
    assert refused_keys(tmp_path, "nodes.yaml", text) == [(key, problem)]


def test_yaml_anchors_used_again_are_refused(tmp_path: Path) -> None:
    # An alias makes two items one node, both at the anchor's line; a node list has nothing to share.
    text = ("- &w {name: worker-0, address: 172.31.0.1}\n"
            "- *w\n"
            "- {name: worker-1, address: &a 172.31.0.2}\n"
            "- {name: worker-2, address: *a}\n")
    assert refused_keys(tmp_path, "nodes.yaml", text) == [
        ("nodesFile (nodes.yaml:1)", "is used again through an alias, as item 2 of the list"),
        ("nodesFile (nodes.yaml:4).address", "is a value used again through an alias"),
    ]


def test_a_billion_laughs_file_is_refused_without_expanding_it(tmp_path: Path) -> None:
    # Nine levels of ten aliases each would be 10^9 strings once expanded; the node tree has 100 nodes.
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
    text = "- {" + ", ".join(levels) + "}\n- {name: a, address: *a9}\n"
    errors = refusal(project_with(tmp_path, "nodes.yaml", text), "nodes.yaml")
    assert [error.key for error in errors] == ["nodesFile (nodes.yaml:1)"] * 10 + [
        "nodesFile (nodes.yaml:1).name", "nodesFile (nodes.yaml:1).address", "nodesFile (nodes.yaml:2).address"]


# Lines as the tutorial's loops read them


def bash_read(path: Path) -> list[list[str]]:
    """The variables of each pass of the tutorial's loop over ``path``, read by the real bash."""
    loop = r"""while read IP FQDN HOST SUBNET; do printf '%s\0' "$IP" "$FQDN" "$HOST" "$SUBNET"; done < "$1" """
    result = subprocess.run(["bash", "-c", loop, "bash", str(path)], capture_output=True, check=True,
                            env={**os.environ, "LC_ALL": "C.UTF-8"})
    values = result.stdout.decode("utf-8", "surrogateescape").split("\0")[:-1]
    return [values[start:start + 4] for start in range(0, len(values), 4)]


def kthw_read(text: str) -> list[list[str]]:
    """The fields kthw reads of each line, padded as ``read`` pads its variables."""
    return [(line_fields(line) + [""] * 4)[:4] for line in text_lines(text)[0]]


@pytest.mark.parametrize("text", [
    TUTORIAL,
    "  172.31.100.20\t node-0.local\tnode-0   10.200.0.0/24 \t\n\n\t\n",
    "172.31.100.20 a.local node-0\x0cb\n172.31.100.21\x0bb.local node-1\n",
    "172.31.100.20 a.local node-0\x1c\x1d\x1e\x1f\n# page\x0c\n172.31.100.21 b.local node-1\n",
    "172.31.100.20 a.local\x85node-0\n172.31.100.21 b.local\u2028node-1 10.200.0.0/24\u2029\n",
    "172.31.100.20\u00a0a.local node-0\n172.31.100.21 b.local\u3000node-1\n",
])
def test_lines_and_fields_are_those_of_bash_read(tmp_path: Path, text: str) -> None:
    # bash ends a line at \n only and splits fields on spaces and tabs only, where str.splitlines() and str.split()
    # also split at form feeds, vertical tabs, \x1c-\x1e, NEL, LS, PS and Unicode blanks.
    (tmp_path / "machines.txt").write_bytes(text.encode())
    assert kthw_read(text) == bash_read(tmp_path / "machines.txt")


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("\ufeff" + TUTORIAL, "nodesFile (machines.txt:1)", "starts with a byte order mark"),
    (TUTORIAL.replace("\n", "\r\n"), "nodesFile (machines.txt:1)", "has a carriage return (Windows line ends), as 2 "
                                                                   "more lines do"),
    (TUTORIAL.replace("node-1 10", "node\\-1 10"), "nodesFile (machines.txt:3)", "has a backslash"),
    (TUTORIAL.replace("server\n", "server \\\n"), "nodesFile (machines.txt:1)", "has a backslash"),
    (TUTORIAL.rstrip("\n"), "nodesFile (machines.txt:3)", "has no newline at its end"),
])
def test_what_bash_read_reads_otherwise_is_refused(tmp_path: Path, text: str, key: str, problem: str) -> None:
    # Each of these makes the tutorial's loop read something else than the lines show: the BOM joins the first
    # address, the CR the last column, a backslash escapes or joins lines, an unterminated last line is skipped.
    path = tmp_path / "machines.txt"
    path.write_bytes(text.encode())
    assert bash_read(path) != kthw_read(text.replace("\r", "").replace("\\", "").removeprefix("\ufeff") + "\n")
    [error] = refusal(tmp_path, "machines.txt")
    assert (error.key, error.problem.startswith(problem)) == (key, True)


@pytest.mark.parametrize("between", ["\x0c", "\x0b", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029"])
def test_a_duplicate_names_the_lines_an_editor_shows(tmp_path: Path, between: str) -> None:
    # str.splitlines() counted a line more at each of these characters, so the message named the wrong lines.
    text = (f"# page{between}break\n172.31.100.20 a.local node-0 10.200.0.0/24\n"
            f"# {between}\n172.31.100.21 b.local node-0 10.200.1.0/24\n")
    assert refused_keys(tmp_path, "machines.txt", text) == [
        ("nodesFile (machines.txt:4, HOSTNAME)", "'node-0' is already used by machines.txt:2")]


@pytest.mark.parametrize("between", ["\x85", "\u2028", "\u2029", "\r"])
def test_yaml_lines_are_the_lines_an_editor_shows(tmp_path: Path, between: str) -> None:
    # libyaml counts a line at NEL, LS, PS and a lone CR too (YAML 1.1 line breaks); lines are counted at newlines.
    text = (f"- {{name: node-0,{between} address: 172.31.100.20}}\n"
            f"- {{name: node-0,{between} address: '172.31.100.21{between}'}}\n- {{name: node-2, address: x}}\n")
    assert refused_keys(tmp_path, "nodes.yaml", text) == [
        ("nodesFile (nodes.yaml:2).address", "is empty or has surrounding blanks"),
        ("nodesFile (nodes.yaml:3).address", "is not an IP address")]
    text = f"- {{name: node-0,{between} address: 172.31.100.20}}\n- {{name: node-0, address: 172.31.100.21}}\n"
    assert refused_keys(tmp_path, "nodes.yaml", text) == [
        ("nodesFile (nodes.yaml:2).name", "'node-0' is already used by nodes.yaml:1")]


def test_a_yaml_file_may_have_a_bom_and_windows_line_ends(tmp_path: Path) -> None:
    # YAML allows both; the lines are those an editor shows.
    text = "\ufeff- name: node-0\r\n  address: 172.31.100.20\r\n- name: node-1\r\n  address: 172.31.100.21\r\n"
    spec = parse_network(None, None, "nodes.yaml", project_with(tmp_path, "nodes.yaml", text))
    assert [(node.name, node.line) for node in spec.nodes] == [("node-0", 1), ("node-1", 3)]


# The path


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


@pytest.mark.parametrize(("links", "value"), [
    ({}, "../outside/passwd"),
    ({}, "sub/../../outside/machines.txt"),
    ({}, "../outside/missing.txt"),
    ({"machines.txt": "/etc/passwd"}, "machines.txt"),
    ({"machines.txt": "../outside/passwd"}, "machines.txt"),
    ({"hosts": "../outside"}, "hosts/machines.txt"),
    ({"sub/link": "../../outside/passwd"}, "sub/link"),
    # A symbolic link, then '..': the kernel leaves from the link's target, not from sub/.
    ({"sub/deep": "../../outside/a/b"}, "sub/deep/../../machines.txt"),
    ({"hop": "sub", "sub/next": "../../outside"}, "hop/next/passwd"),
])
def test_a_path_that_leads_outside_the_project_is_refused(
    tmp_path: Path, outside: Path, links: dict[str, str], value: str
) -> None:
    # Whether or not the outside file exists, the same message, quoting nothing of it.
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (outside / "a" / "b").mkdir(parents=True)
    for link, target in links.items():
        (project / link).symlink_to(target)
    if not (project / "machines.txt").is_symlink():
        (project / "machines.txt").write_text(TUTORIAL)
    for hide in (False, True):
        [error] = refusal(project, value, hide)
        assert (error.key, error.problem.split(" leads")[0]) == ("nodesFile", "a secret value" if hide else repr(value))
        assert "leads outside the project directory" in error.problem
        assert_quotes_nothing([error], [SECRET, "root:x:0:0", "/bin/bash"])


@pytest.mark.parametrize(("links", "value"), [
    ({"link.txt": "machines.txt"}, "link.txt"),
    ({"hosts": "sub"}, "hosts/machines.txt"),
    ({"sub/up": ".."}, "sub/up/sub/machines.txt"),
    ({"sub/abs": "{project}/sub/machines.txt"}, "sub/abs"),
    ({}, "sub/../sub/./machines.txt"),
])
def test_links_and_dot_dots_that_stay_inside_are_followed(tmp_path: Path, links: dict[str, str], value: str) -> None:
    project = tmp_path / "project"
    (project / "sub").mkdir(parents=True)
    (project / "machines.txt").write_text(TUTORIAL)
    (project / "sub" / "machines.txt").write_text(TUTORIAL)
    for link, target in links.items():
        (project / link).symlink_to(target.format(project=project))
    assert len(parse_network(None, None, value, project).nodes) == 3


def test_a_project_reached_through_a_link_reads_its_files(tmp_path: Path) -> None:
    # The real path of the project directory is the bound, however the program was started in it.
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "machines.txt").write_text(TUTORIAL)
    (tmp_path / "project").symlink_to("real")
    assert len(parse_network(None, None, "machines.txt", tmp_path / "project").nodes) == 3


@pytest.mark.parametrize("kind", ["loop", "fifo", "unreadable"])
def test_a_path_that_cannot_be_read_is_refused_without_blocking(tmp_path: Path, kind: str) -> None:
    if kind == "loop":
        (tmp_path / "machines.txt").symlink_to("machines.txt")
    elif kind == "fifo":
        os.mkfifo(tmp_path / "machines.txt")
    else:
        (tmp_path / "dir").mkdir()
        (tmp_path / "machines.txt").symlink_to("dir/../dir")
    [error] = refusal(tmp_path, "machines.txt")
    assert error.problem.startswith("'machines.txt' ")
    assert any(words in error.problem for words in ("cannot be read", "is not a regular file"))


# Hostile files: nothing of them in any message

PEM = (f"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC{SECRET}\n"
       f"{SECRET}AoIBAQC7 bm9kZS0w {SECRET}xyz\n-----END PRIVATE KEY-----\n")
HOSTILE = {
    "passwd": (f"root:x:0:0:{SECRET}:/root:/bin/bash\n"
               f"gnats:x:41:41:Gnats {SECRET} (admin):/var/lib/gnats:/usr/sbin/nologin\n"
               f"daemon x {SECRET}\nbin x:2:2 {SECRET} /usr/sbin/nologin\n"),
    "pem": PEM,
    "token": (f"GITHUB_TOKEN=ghp_{SECRET}\nexport AWS_SECRET_ACCESS_KEY={SECRET} x y\n"
              f"Authorization: Bearer {SECRET}\n{SECRET}.{SECRET} a.local b\n"),
    "near machines": (f"10.0.0.1{SECRET} a.local node-0\n10.0.0.2 {SECRET}_.local node-1\n"
                      f"10.0.0.3 c.local {SECRET.upper()}\n10.0.0.4 d.local node-3 {SECRET}/24\n"
                      f"10.0.0.5,{SECRET} e.local node-4 10.200.0.0/24,{SECRET}\n"
                      f"::ffff:10.0.0.6 f.local node-5 10.200.1.7/24\n10.0.0.7%{SECRET} g.local node-6\n"),
    "huge line": f"10.0.0.1 a.local b {SECRET * 700_000}\n{SECRET * 700_000}\n",
}
HOSTILE_YAML = {
    "list of strings": f"- root:x:0:0:{SECRET}:/root:/bin/bash\n- {SECRET}\n",
    "mapping": f"token: {SECRET}\n",
    "items": (f"- {{name: {SECRET}, address: {SECRET}, podCidr: {SECRET}}}\n"
              f"- {{{SECRET}: 1, name: [{SECRET}], address: 10.0.0.1}}\n"
              f"- {{name: a, address: !{SECRET} x, podCidr: 10.200.1.7/24}}\n"
              f"- {{name: b, address: '::ffff:10.0.0.9', podCidr: '{SECRET}/24'}}\n"
              f"- {{name: c, address: 10.0.0.10, &{SECRET} podCidr: *{SECRET}}}\n"),
    "syntax": f"- {{name: a, address: \"\\{SECRET[0]}{SECRET}\"}}\n",
    "tag": f"- !{SECRET} x\n- {{? [{SECRET}] : 1}}\n",
    "undefined alias": f"- *{SECRET}\n",
    "pem": PEM,
}


@pytest.mark.parametrize("content", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("hide", [False, True], ids=["plain", "secret"])
def test_a_hostile_machines_txt_is_described_never_quoted(tmp_path: Path, content: str, hide: bool) -> None:
    # Whatever the file holds, a message says where and what was expected, never what is there.
    errors = refusal(project_with(tmp_path, "machines.txt", content), "machines.txt", hide)
    assert errors
    assert_quotes_nothing(errors, [SECRET, SECRET.upper(), "root:x:0:0", "/bin/bash", "Bearer", "ghp_", "BEGIN"])


@pytest.mark.parametrize("content", HOSTILE_YAML.values(), ids=HOSTILE_YAML.keys())
@pytest.mark.parametrize("hide", [False, True], ids=["plain", "secret"])
def test_a_hostile_yaml_file_is_described_never_quoted(tmp_path: Path, content: str, hide: bool) -> None:
    errors = refusal(project_with(tmp_path, "nodes.yaml", content), "nodes.yaml", hide)
    assert errors
    assert_quotes_nothing(errors, [SECRET, "root:x:0:0", "/bin/bash", "BEGIN"])


@pytest.mark.parametrize("content", [
    bytes(range(256)) * 64,
    b"\x7fELF\x02\x01\x01\x00" + SECRET.encode() + b"\x00" * 64,
    SECRET.encode() + b"\n\xff\xfe" + SECRET.encode(),
], ids=["every byte", "elf", "latin-1"])
@pytest.mark.parametrize("name", ["machines.txt", "nodes.yaml"])
def test_a_binary_file_is_refused_as_not_text(tmp_path: Path, content: bytes, name: str) -> None:
    [error] = refusal(project_with(tmp_path, name, content), name)
    assert error.problem in ("is not UTF-8 text", "has a NUL character: the file is not text")
    assert_quotes_nothing([error], [SECRET])


def test_a_file_of_many_bad_lines_stops_after_a_bound(tmp_path: Path) -> None:
    # A word list or a log would otherwise make one message per line.
    text = "".join(f"word{number}\n" for number in range(100_000))
    errors = refusal(project_with(tmp_path, "machines.txt", text), "machines.txt")
    assert len(errors) == MAX_PROBLEMS + 1
    assert (errors[-1].key, errors[-1].problem) == (
        "nodesFile", f"has {MAX_PROBLEMS} problems before line {MAX_PROBLEMS + 1}: the rest is not read")


# Secret node lists


def test_a_secret_node_list_hides_the_path_but_keeps_the_line_and_column(tmp_path: Path) -> None:
    # The path is the nodesFile value: set with --secret, messages name the line and column alone.
    text = "172.31.100.20 a.local node-0 10.200.0.0/24\n172.31.100.21 b.local node-0 10.200.0.0/23\n"
    errors = refusal(project_with(tmp_path, "machines.txt", text), "machines.txt", hide=True)
    assert problem_lines(errors, True) == [
        "invalid config kthw:nodesFile (line 2, HOSTNAME): is already used by line 1 (the values come from secret "
        "config and are not shown)",
        "invalid config kthw:nodesFile (line 2, POD_SUBNET): is not a node block of network.nodeCidrMaskSize (the "
        "values come from secret config and are not shown)",
    ]


@pytest.mark.parametrize("name", ["a b/machines.txt", f"{'d' * 40}/machines.txt", "(x)/machines.txt"])
def test_a_path_unfit_for_a_key_is_left_out_of_it(tmp_path: Path, name: str) -> None:
    # A long path is described by shown(); an unusual one would make the key hard to read.
    [error] = refusal(project_with(tmp_path, name, "a b\n"), name)
    assert error.key == "nodesFile (line 1)"


@pytest.mark.parametrize("secret", ["nodesFile", "network", "nodes"])
def test_any_secret_key_of_the_node_list_hides_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    # The three keys are read together: a --secret on any of them hides the path, as parse_settings reads them.
    text = "172.31.100.20 a.local node-0\n172.31.100.21 b.local node-0\n"
    monkeypatch.chdir(project_with(tmp_path, "machines.txt", text))
    raw = {"loadBalancer": {"address": "172.31.0.5", "user": "admin"}, "nodesFile": "machines.txt",
           "network": {}, "nodes": "[]"}
    with pytest.raises(AnyConfigError) as caught:
        parse_settings(raw, secret_keys={secret})
    assert [str(error) for error in caught.value.errors] == [
        "invalid config kthw:nodesFile (line 2, HOSTNAME): is already used by line 1 (the values come from secret "
        "config and are not shown)"]


def whole_messages(tmp_path: Path, name: str, text: str | bytes) -> list[str]:
    """Every whole message parse_network reports for a nodesFile ``name`` holding ``text``."""
    return [str(error) for error in refusal(project_with(tmp_path, name, text), name)]


PATH_ACCEPTED = ("expected a path relative to the project directory (where Pulumi.yaml is), such as machines.txt, "
                 "that stays inside it through every '..' and symbolic link")


@pytest.mark.parametrize(("value", "message"), [
    ("missing.txt", f"'missing.txt' does not exist in the project directory PROJECT; {PATH_ACCEPTED}"),
    (".", f"'.' is not a regular file; {PATH_ACCEPTED}"),
])
def test_a_path_that_names_no_file_says_where_it_looked(tmp_path: Path, value: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_network(None, None, value, tmp_path)
    assert str(caught.value).replace(str(tmp_path), "PROJECT") == f"invalid config kthw:nodesFile: {message}"


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path: Path) -> None:
    with (tmp_path / "machines.txt").open("wb") as file:
        file.truncate(64 * 2**20 + 1)  # sparse: nothing is written
    with pytest.raises(ConfigError) as caught:
        parse_network(None, None, "machines.txt", tmp_path)
    assert str(caught.value) == f"invalid config kthw:nodesFile: 'machines.txt' is larger than 64 MiB; {PATH_ACCEPTED}"


def test_whole_messages_of_a_machines_txt(tmp_path: Path) -> None:
    text = ("172.31.100.20 node-0.kubernetes.local node-0 10.200.0.0/24 extra\n"
            "172.31.100.21 -x- node-1\n"
            "172.31.100.22 node-2.kubernetes.local node-2 \xff\n")
    assert whole_messages(tmp_path, "machines.txt", text.encode("latin-1")) == [
        "invalid config kthw:nodesFile (machines.txt:3): is not UTF-8 text; expected a UTF-8 text file listing the "
        "nodes"]
    assert whole_messages(tmp_path, "machines.txt", text.replace(" \xff", "")) == [
        "invalid config kthw:nodesFile (machines.txt:1): has 5 fields; expected IPV4_ADDRESS FQDN HOSTNAME "
        "[POD_SUBNET], separated by spaces or tabs",
        "invalid config kthw:nodesFile (machines.txt:2, FQDN): is not a DNS name; expected a fully qualified host "
        "name such as node-0.kubernetes.local",
    ]


def test_yaml_items_that_are_not_plain_values_are_each_refused(tmp_path: Path) -> None:
    # SafeLoader constructs no Python object: a tagged item is read as the mapping or scalar it is, a tagged value
    # is refused; every such item is named, and the others are still read.
    text = ("- !!python/object:os.system {}\n"
            "- !!binary xyz\n"
            "- {name: !!python/name:os.system '', address: 172.31.101.61}\n"
            "- {name: worker-0, address: 172.31.101.600}\n")
    item = "expected an object {name, address, podCidr?}"
    assert whole_messages(tmp_path, "nodes.yaml", text) == [
        f"invalid config kthw:nodesFile (nodes.yaml:1).name: is required; {item}",
        f"invalid config kthw:nodesFile (nodes.yaml:1).address: is required; {item}",
        f"invalid config kthw:nodesFile (nodes.yaml:2): is not an object; {item}",
        "invalid config kthw:nodesFile (nodes.yaml:3).name: is not a plain YAML value; expected a string",
        "invalid config kthw:nodesFile (nodes.yaml:4).address: has an IPv4 octet with a leading zero or above 255; "
        "expected an IPv4 or IPv6 address such as 10.240.0.20 or fd00::20",
    ]


@pytest.mark.parametrize(("text", "message"), [
    # A character YAML does not allow is found again, to name its line.
    ("- name: a\x07\n", "invalid config kthw:nodesFile (nodes.yaml:1): is not valid YAML: control characters are "
                         "not allowed"),
    ("name: a\n", "invalid config kthw:nodesFile (nodes.yaml:1): is not a YAML list"),
])
def test_whole_messages_of_a_yaml_file_that_cannot_be_read(tmp_path: Path, text: str, message: str) -> None:
    assert whole_messages(tmp_path, "nodes.yaml", text) == [
        f"{message}; expected a YAML list of {{name, address, podCidr?}} objects"]


def test_a_yaml_node_s_problems_name_its_file_and_line(tmp_path: Path) -> None:
    text = "- {name: w, address: 172.31.101.60}\n\n- {name: w, address: 172.31.101.61}\n"
    assert whole_messages(tmp_path, "nodes.yaml", text) == [
        "invalid config kthw:nodesFile (nodes.yaml:3).name: 'w' is already used by nodes.yaml:1; expected a unique "
        "node name"]
