"""The rendered kubeconfig is what the tutorial's kubectl commands write, checked by kubectl itself."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from components.config.errors import ConfigError
from components.kubeconfig.options import CLUSTER_NAME_MAX, COMMON_NAME_MAX, parse_name
from components.kubeconfig.render import dump_like_kubectl, kubeconfig_dict, render_kubeconfig
from tests.helpers.pki import make_ca, make_client

KUBECTL = shutil.which("kubectl")


def kubectl(kubeconfig: Path, *args: str, cwd: Path | None = None) -> str:
    assert KUBECTL, "kubectl must be on PATH (the machine image has it)"
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    return subprocess.run(
        [KUBECTL, *args], env=env, cwd=cwd, check=True, capture_output=True, text=True, timeout=60
    ).stdout


def view(kubeconfig: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(kubectl(kubeconfig, "config", "view", "--raw", "-o", "json"))
    return result


@pytest.fixture
def credentials(tmp_path: Path) -> dict[str, str]:
    ca = make_ca()
    admin = make_client(ca)
    (tmp_path / "ca.pem").write_text(ca.cert)
    (tmp_path / "admin.pem").write_text(admin.cert)
    (tmp_path / "admin-key.pem").write_text(admin.key)
    return {"ca_cert_pem": ca.cert, "client_cert_pem": admin.cert, "client_key_pem": admin.key}


def tutorial_kubeconfig(directory: Path, cluster: str, user: str, server: str) -> Path:
    """What the tutorial's commands (with --embed-certs on the credentials too) write."""
    path = directory / "tutorial-kubeconfig"
    kubectl(path, "config", "set-cluster", cluster, "--certificate-authority=ca.pem", "--embed-certs=true",
            f"--server={server}", cwd=directory)
    kubectl(path, "config", "set-credentials", user, "--client-certificate=admin.pem",
            "--client-key=admin-key.pem", "--embed-certs=true", cwd=directory)
    kubectl(path, "config", "set-context", cluster, f"--cluster={cluster}", f"--user={user}", cwd=directory)
    kubectl(path, "config", "use-context", cluster, cwd=directory)
    return path


@pytest.mark.parametrize(
    ("cluster", "user", "server"),
    [
        ("kubernetes-the-hard-way", "admin", "https://localhost:6443"),
        ("lab.example", "system:admin", "https://localhost:16443"),
    ],
)
def test_kubeconfig_equals_what_kubectl_writes(
    tmp_path: Path, credentials: dict[str, str], cluster: str, user: str, server: str
) -> None:
    ours = tmp_path / "kthw-kubeconfig"
    ours.write_text(render_kubeconfig(cluster_name=cluster, user=user, server=server, **credentials))
    theirs = tutorial_kubeconfig(tmp_path, cluster, user, server)
    assert view(ours) == view(theirs)
    assert ours.read_text() == theirs.read_text()
    assert kubectl(ours, "config", "current-context").strip() == cluster


def test_rendering_is_deterministic(credentials: dict[str, str]) -> None:
    first = render_kubeconfig(cluster_name="c", user="u", server="https://localhost:6443", **credentials)
    second = render_kubeconfig(cluster_name="c", user="u", server="https://localhost:6443", **credentials)
    assert first.encode() == second.encode()
    assert "\n    client-key-data: " in first and first.count("\n") == 19


YAML_LOOKALIKES = st.one_of(
    st.text(alphabet="0123456789yYnNoOeExXbBtTZ_.:-+", min_size=1, max_size=26),
    st.from_regex(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(\.[0-9]{1,3})?"
                  r"(Z|-[0-9]{2}:[0-9]{2}))?", fullmatch=True),
    st.from_regex(r"(0[xXoObB])?[0-9a-fA-F_]{1,21}(\.[0-9]*)?([eE]-?[0-9]{1,3})?", fullmatch=True),
    st.from_regex(r"[0-9]{1,3}(:[0-9]{1,2}){1,3}(\.[0-9]+)?", fullmatch=True),
)
"""Texts close to what YAML reads as numbers, booleans, nulls, timestamps and base-60 values."""
NAME_CHARACTERS = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:@-", min_size=1, max_size=70
)


def accepted_names(longest: int) -> st.SearchStrategy[str]:
    """Names settings accept: generated near YAML's special forms and from the whole character set."""
    def accepted(name: str) -> bool:
        try:
            parse_name(name, "name", longest)
        except ConfigError:
            return False
        return True

    return st.one_of(YAML_LOOKALIKES, NAME_CHARACTERS).filter(accepted)


@pytest.fixture(scope="module")
def module_credentials(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    directory = tmp_path_factory.mktemp("credentials")
    ca = make_ca()
    admin = make_client(ca)
    (directory / "ca.pem").write_text(ca.cert)
    (directory / "admin.pem").write_text(admin.cert)
    (directory / "admin-key.pem").write_text(admin.key)
    return directory, {"ca_cert_pem": ca.cert, "client_cert_pem": admin.cert, "client_key_pem": admin.key}


def assert_kubectl_reads_back(names: list[str], directory: Path) -> None:
    """One kubeconfig with a cluster, user and context per name: kubectl reads it and writes it back byte for byte
    (``kubectl config view --raw`` prints with the same YAML library as ``kubectl config set-*``), so every name is
    read as the string it is and quoted exactly as kubectl quotes it."""
    entries = [kubeconfig_dict(cluster_name=name, user=name, server="https://localhost:6443", ca_cert_pem="ca",
                               client_cert_pem="cert", client_key_pem="key") for name in sorted(set(names))]
    document = {**entries[0], **{part: [entry[part][0] for entry in entries]
                                for part in ("clusters", "contexts", "users")}}
    ours = directory / "kubeconfig"
    ours.write_text(dump_like_kubectl(document))
    assert kubectl(ours, "config", "view", "--raw") == ours.read_text()


MISREAD_NAMES = [
    "y", "Y", "n", "N", "yes", "No", "on", "OFF", "true", "False", "null", "NULL", "Null", "1e3", "0o17", "08", "0x1F",
    "0b101", "1_000", "1e400", "1e-400", "9223372036854775808", "18446744073709551616", "0x1FFFFFFFFFFFFFFFFF",
    "1:20", "190:20:30", "2024-01-05", "2024-1-5", "2024-02-30", "2024-02-29", "2023-02-29", "2024-13-01",
    "2024-1-5T24:0:0Z", "2024-1-5T23:59:59Z", "2024-1-5t1:2:3.5-07:00", "0b", "0x", "1_0", "0o8", "123", "1.5",
    "1.5e3", "07", "0", "1e", "e3",
]
"""Names go-yaml reads as booleans, nulls, numbers, timestamps or base-60 values, and near misses that are strings."""


def test_kubectl_reads_back_the_names_yaml_misreads(tmp_path: Path) -> None:
    assert_kubectl_reads_back(MISREAD_NAMES, tmp_path)


EDGE_NAMES = [
    "0xFFFFFFFFFFFFFFFF", "0x10000000000000000", "0X1F", "0O17", "0B101",
    "0b1" + "0" * 63, "0b" + "1" * 64, "0b1" + "0" * 64, "0b" + "1" * 65,
    "2024-12-31", "2024-01-01", "2024-1-5T1:60:0Z", "2024-1-5T1:2:60Z", "2024-1-5T1:59:59Z",
    "2024-1-5T1:2:3-24:00", "2024-1-5T1:2:3-25:00", "2024-1-5T1:2:3-00:60", "2024-1-5T1:2:3-00:61",
]
"""Names at the edges of what go-yaml reads as a number (strconv's 64-bit bounds, upper-case base prefixes, binary
beyond 64 bits) or a timestamp (Go's time.Parse ranges: months, days, minutes, seconds, zone hours and minutes)."""


def test_kubectl_reads_back_names_at_the_edges_of_numbers_and_timestamps(tmp_path: Path) -> None:
    assert_kubectl_reads_back(EDGE_NAMES, tmp_path)


RESOLVE_TABLE = [
    "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON",
    "n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF",
    "", "~", "null", "Null", "NULL",
    ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF",
    "<<",
]
"""Every word of go-yaml v2's resolve table (resolve.go ``resolveMapList``), in its order: booleans, nulls, special
floats and the merge key."""


def test_kubectl_reads_back_every_word_of_go_yamls_resolve_table(tmp_path: Path) -> None:
    """As cluster, context and user names, each word is written as kubectl writes it: quoted where go-yaml would
    read a bool, a null or a float (``name: false`` makes kubectl refuse the file: "cannot unmarshal bool"), plain
    where it reads a string (``<<``: resolve.go looks up only texts that start with a character of its
    ``resolveTable``)."""
    assert_kubectl_reads_back(RESOLVE_TABLE, tmp_path)


def test_every_alphabetic_word_of_the_resolve_table_is_a_valid_name() -> None:
    """So each of them can reach the kubeconfig as clusterName and adminUser, and must be quoted there."""
    for word in (word for word in RESOLVE_TABLE if word.isalpha()):
        assert parse_name(word, "clusterName", CLUSTER_NAME_MAX) == word
        assert parse_name(word, "adminUser", COMMON_NAME_MAX) == word


@settings(max_examples=25, deadline=None)
@given(names=st.lists(accepted_names(COMMON_NAME_MAX), min_size=1, max_size=12, unique=True))
def test_kubectl_reads_back_every_accepted_name_as_written(tmp_path_factory: pytest.TempPathFactory,
                                                          names: list[str]) -> None:
    assert_kubectl_reads_back(names, tmp_path_factory.mktemp("names"))


@settings(max_examples=2, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cluster=accepted_names(CLUSTER_NAME_MAX), user=accepted_names(COMMON_NAME_MAX))
@example(cluster="y", user="08")
@example(cluster="1e3", user="0o17")
@example(cluster="2024-1-5T1:2:3Z", user="1:20")
def test_every_accepted_name_gives_the_kubeconfig_kubectl_writes(
    module_credentials: tuple[Path, dict[str, str]], cluster: str, user: str
) -> None:
    """The tutorial's commands with names YAML would misread write the same bytes as kthw, and kubectl reads both."""
    directory, credentials = module_credentials
    path = directory / f"tutorial-kubeconfig-{abs(hash((cluster, user)))}"
    for args in (
        ["set-cluster", cluster, "--certificate-authority=ca.pem", "--embed-certs=true",
         "--server=https://localhost:6443"],
        ["set-credentials", user, "--client-certificate=admin.pem", "--client-key=admin-key.pem", "--embed-certs=true"],
        ["set-context", cluster, f"--cluster={cluster}", f"--user={user}"],
        ["use-context", cluster],
    ):
        kubectl(path, "config", *args, cwd=directory)
    ours = render_kubeconfig(cluster_name=cluster, user=user, server="https://localhost:6443", **credentials)
    assert ours == path.read_text()
