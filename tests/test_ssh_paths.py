"""The ssh path rule against the real ssh client: every path settings accept is read by ssh as exactly the one file
it names, and the values refused are ones ssh reads as something else. ``ssh -G`` prints the settings it resolved
without connecting."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from components.config.errors import ConfigError
from components.config.shown import hiding_values
from components.tunnel.ssh_files import expanded, home_directory, ssh_file_path

SSH = shutil.which("ssh")


def resolved_known_hosts(value: str) -> list[str]:
    """The known-hosts files ssh would use with ``-o UserKnownHostsFile=value`` (no user or system config)."""
    assert SSH, "ssh must be on PATH (openssh-client)"
    output = subprocess.run(
        [SSH, "-F", "/dev/null", "-G", "-o", f"UserKnownHostsFile={value}", "-o", "StrictHostKeyChecking=accept-new",
         "lb.example"],
        check=True, capture_output=True, text=True, timeout=30,
    ).stdout
    (line,) = [line for line in output.splitlines() if line.startswith("userknownhostsfile ")]
    return line.split()[1:]


def accepted(value: str) -> bool:
    try:
        ssh_file_path(value, "tunnel.knownHostsFile")
    except ConfigError:
        return False
    return True


PATH_TEXT = st.text(alphabet="abc/._-~#$%{}'\"\\ \t,=@:;*?`()!&|<>+^[]\u00e9", min_size=1, max_size=24)
PATHS = st.one_of(
    PATH_TEXT,
    st.builds(lambda start, rest: start + rest, st.sampled_from(["/", "~/", "/etc/kthw/", "~/.ssh/"]), PATH_TEXT),
)


# Mostly paths the rule accepts (PATHS mostly yields refused ones), so the property is tested on many of them.
LIKELY_ACCEPTED = st.builds(lambda start, rest: start + rest, st.sampled_from(["/", "~/", "/etc/kthw/", "~/.ssh/"]),
                            st.text(alphabet="abc/._-~,=@:+^\u00e9", min_size=1, max_size=24))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.one_of(LIKELY_ACCEPTED, PATHS))
def test_every_accepted_path_is_the_one_file_ssh_reads(value: str) -> None:
    assume(accepted(value))
    # The same file, however its slashes are spelt (ssh writes "~//x" as "/home/x", not "/home//x").
    assert [os.path.normpath(path) for path in resolved_known_hosts(value)] == [os.path.normpath(expanded(value))]


@pytest.mark.parametrize(("value", "ssh_reads"), [
    ("none", ["none"]),  # no known-hosts file at all
    ("NONE", ["none"]),
    ("#/etc/kthw/hosts", None),  # a comment: ssh falls back to its default files
    ("${HOME}/kthw", None),  # an environment variable, expanded
    ("%d/kthw", None),  # a token, expanded
    ("/etc/kthw/a b", ["/etc/kthw/a", "b"]),  # two files
    ('"/etc/kthw/q"', ["/etc/kthw/q"]),  # quotes removed
])
def test_values_ssh_reads_as_something_else_are_refused(value: str, ssh_reads: list[str] | None) -> None:
    """Each refused spelling really makes ssh use other files than the one written."""
    resolved = resolved_known_hosts(value)
    if ssh_reads is None:
        assert resolved != [value]
    else:
        assert resolved == ssh_reads  # "none" is ssh's keyword for no file
    assert not accepted(value)


def test_tilde_is_left_to_ssh_which_expands_it_to_the_home_directory() -> None:
    assert resolved_known_hosts("~/.ssh/known_hosts_kthw") == [f"{home_directory()}/.ssh/known_hosts_kthw"]
    assert accepted("~/.ssh/known_hosts_kthw")


def test_dev_null_is_taken_literally_by_ssh_and_refused_here() -> None:
    """ssh uses /dev/null as given: an always-empty file, so with accept-new any host key is accepted."""
    assert resolved_known_hosts("/dev/null") == ["/dev/null"]
    assert not accepted("/dev/null")


ACCEPTED_TEXT = ("expected an absolute path, or one starting with ~/ (ssh expands ~ to your home directory), of a "
                 "regular file, without blanks, quotes, backslashes, '$', '%' or '#', e.g. ~/.ssh/known_hosts_kthw")
KEY = "invalid config kthw:tunnel.knownHostsFile"
SYSTEM_PATH = "a secret value is a device or system path, not a file"


@pytest.mark.parametrize(("value", "problem", "secret_problem"), [
    (7, "is an integer, not a path", None),
    ("", "is empty", None),
    ("/" + "k" * 4096, "is a string of 4097 characters, longer than a path can be (4096)",
     "is a secret value, longer than a path can be (4096)"),
    ("None", "'none' makes ssh use no file at all", None),
    ("$HOME/k", "starts with $HOME/, which the tunnel's ssh does not expand as your shell would; write ~/... instead",
     None),
    ("${HOME}/k",
     "starts with ${HOME}/, which the tunnel's ssh does not expand as your shell would; write ~/... instead", None),
    ("~ops/k", "'~ops/k' is not a file in your home directory: write ~/...",
     "a secret value is not a file in your home directory: write ~/..."),
    ("etc/k", "'etc/k' is relative: ssh would read it from whatever directory it runs in",
     "a secret value is relative: ssh would read it from whatever directory it runs in"),
    ("/etc/kthw/", "'/etc/kthw/' names a directory", "a secret value names a directory"),
    ("/dev", "'/dev' is a device or system path, not a file", SYSTEM_PATH),
    ("/proc", "'/proc' is a device or system path, not a file", SYSTEM_PATH),
    ("/sys", "'/sys' is a device or system path, not a file", SYSTEM_PATH),
    ("/proc/self/../1/environ", "'/proc/self/../1/environ' is a device or system path, not a file", SYSTEM_PATH),
    ("/etc", "'/etc' exists and is not a regular file", "a secret value exists and is not a regular file"),
])
def test_every_refusal_says_why_also_for_a_secret_value(value: object, problem: str,
                                                        secret_problem: str | None) -> None:
    """The same reason for a value set with --secret, where the message shows no part of the value."""
    with pytest.raises(ConfigError) as caught:
        ssh_file_path(value, "tunnel.knownHostsFile")
    assert str(caught.value) == f"{KEY}: {problem}; {ACCEPTED_TEXT}"
    with hiding_values(), pytest.raises(ConfigError) as hidden:
        ssh_file_path(value, "tunnel.knownHostsFile")
    assert str(hidden.value) == f"{KEY}: {secret_problem or problem}; {ACCEPTED_TEXT}"


def test_a_path_with_ssh_syntax_says_which_character_unless_secret() -> None:
    with pytest.raises(ConfigError) as caught:
        ssh_file_path("/etc/a b", "tunnel.knownHostsFile")
    assert str(caught.value) == (f"{KEY}: '/etc/a b' has ' ', which ssh reads as syntax (a comment, a variable, a "
                                 f"token, a separator or a quote); {ACCEPTED_TEXT}")
    with hiding_values(), pytest.raises(ConfigError) as hidden:
        ssh_file_path("/etc/a b", "tunnel.knownHostsFile")
    assert str(hidden.value) == (f"{KEY}: has a character ssh reads as syntax (the values come from secret config "
                                 "and are not shown)")


def test_without_a_password_database_entry_tilde_is_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """ssh takes the home directory from the password database; a user without an entry falls back to $HOME."""
    def no_entry(uid: int) -> object:
        raise KeyError(uid)

    monkeypatch.setattr(pwd, "getpwuid", no_entry)
    monkeypatch.setenv("HOME", "/home/nobody-here")
    assert expanded("~/.ssh/known_hosts") == "/home/nobody-here/.ssh/known_hosts"
