"""A fuzzer over the whole raw config ``parse_settings`` takes: random shapes, types, unicode and huge values, alone
or grafted into the dev stack's config, decoded or as the JSON text Pulumi hands over.

Whatever it makes, the program either accepts the config or refuses it with ConfigError/CollectedConfigError, every
line naming its key (``invalid config kthw:<key>: ``), no line showing key material, a long value or a secret
value; and an accepted config carries no key material anywhere but in ``caKeyPem``.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.config.errors import AnyConfigError
from components.config.settings import TOP_LEVEL_KEYS, Settings, parse_settings
from components.config.shown import SHOWN_MAX_CHARACTERS
from tests.helpers.leaks import assert_shows_nothing_of
from tests.helpers.mock_program import DEV_CONFIG, plain_strings
from tests.helpers.pki import make_ca

CA = make_ca()
KEY_MARKERS = ("PRIVATE KEY", CA.key.splitlines()[1])
PARSED_HERE = ("clusterName", "adminUser", "loadBalancer", "tunnel", "pki", "verify", "caCertPem", "caKeyPem")
"""The keys whose messages this module's parsing writes (network and nodes have their own)."""

OBJECT_KEYS = (
    "address", "user", "sshPort", "apiPort", "localPort", "manage", "identityFile", "knownHostsFile",
    "strictHostKeyChecking", "algorithm", "rsaBits", "ecdsaCurve", "validityHours", "earlyRenewalHours",
    "clusterCidr", "serviceCidr", "nodeCidrMaskSize", "nodeCidrMaskSizeIpv6", "dnsServiceIndex", "name", "podCidr",
)
TEXTS = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=80),
    st.sampled_from([
        "", " ", "none", "/dev/null", "~/.ssh/kthw", "#x", "${HOME}/x", "%d/x", "y", "1e3", "0o17", "08", "null",
        "10.200.0.0/16", "10.32.0.0/24", "172.31.108.99", "fd00::1", "\uff11\uff10.0.0.1", "RSA", "ECDSA", "P256",
        "yes", "accept-new", "true", "false", "admin", "a" * 65, "x" * 5000, CA.cert, CA.key, CA.cert + CA.key,
    ]),
)
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True), TEXTS,
)
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(OBJECT_KEYS), st.text(max_size=8), st.sampled_from(["\n", CA.key])),
                        children, max_size=5),
    ),
    max_leaves=12,
)
TOP_KEYS = st.one_of(
    st.sampled_from(TOP_LEVEL_KEYS),
    st.sampled_from(["clustername", "caCert", "tunnel.localPort", "nodes[0].name", "loadbalancer", "\n", "a b",
                     "tunnel.\u00e9", "k" * 100, CA.key]),
    st.text(max_size=10),
)


def graft(raw: dict[str, Any], path: list[Any], value: Any) -> dict[str, Any]:
    """``raw`` with the value at ``path`` (keys or indexes, made where missing) replaced."""
    raw = copy.deepcopy(raw)
    target: Any = raw
    for step in path[:-1]:
        if isinstance(target, dict):
            target = target.setdefault(step if isinstance(step, str) else str(step), {})
        elif isinstance(target, list) and target:
            target = target[step % len(target)] if isinstance(step, int) else target[0]
        else:
            return raw
    if isinstance(target, dict):
        target[path[-1] if isinstance(path[-1], str) else str(path[-1])] = value
    elif isinstance(target, list) and target:
        target[path[-1] % len(target) if isinstance(path[-1], int) else 0] = value
    return raw


PLAUSIBLE = st.sampled_from([
    "y", "1e3", "08", "lab", "system:admin", "a" * 64, 2222, 16443, True, "true", 24, 8760, 720, "ECDSA", "P384",
    "~/.ssh/known_hosts_kthw", "/etc/kthw/known_hosts", "accept-new", "yes", "lb.example.com", "fd00::99",
    "10.200.0.0/16,fd00:10:244::/56", {"localPort": 7000, "manage": True},
    {"validityHours": 100, "earlyRenewalHours": 5},
])
"""Values that are right somewhere, so grafted configs are often accepted."""
STEPS = st.one_of(st.sampled_from(TOP_LEVEL_KEYS + OBJECT_KEYS), st.integers(min_value=0, max_value=3))


@st.composite
def raw_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A whole config: random, or the dev config with a few values replaced anywhere; top-level objects sometimes
    as JSON text."""
    if draw(st.booleans()):
        raw = draw(st.dictionaries(TOP_KEYS, VALUES, max_size=6))
    else:
        raw = copy.deepcopy(DEV_CONFIG)
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            path = [draw(st.sampled_from(TOP_LEVEL_KEYS)), *draw(st.lists(STEPS, max_size=2))]
            raw = graft(raw, path, draw(st.one_of(VALUES, PLAUSIBLE)))
        if draw(st.integers(min_value=0, max_value=3)) == 0:
            raw.update(caCertPem=CA.cert, caKeyPem=CA.key)
    for key in list(raw):
        if isinstance(raw[key], dict | list) and draw(st.booleans()):
            raw[key] = json.dumps(raw[key])
    return raw


def assert_message_is_clean(error: AnyConfigError, raw: dict[str, Any],
                            secret_keys: tuple[str, ...]) -> None:
    errors = error.errors
    lines = str(error).split("\n")
    assert len(lines) == len(errors)
    for problem, line in zip(errors, lines):
        assert line.startswith(f"invalid config kthw:{problem.key}: "), line
        assert not any(marker in line for marker in KEY_MARKERS), line
        top = problem.key.split(".")[0].split("[")[0]
        long_values = (text for text in plain_strings(raw) if len(text) > SHOWN_MAX_CHARACTERS)
        assert not any(text in line for text in long_values), line
        if top in secret_keys and top in PARSED_HERE and isinstance(raw.get(top), str) and len(raw[top]) > 3:
            assert raw[top] not in line.removeprefix(f"invalid config kthw:{problem.key}"), line
        if top in secret_keys:
            assert_shows_nothing_of(line.removeprefix(f"invalid config kthw:{problem.key}"), raw.get(top))


def assert_no_key_material(settings_: Settings) -> None:
    for field in dataclasses.fields(settings_):
        if field.name != "ca_key_pem":
            value = json.dumps(getattr(settings_, field.name), default=lambda item: repr(item))
            assert not any(marker in value for marker in KEY_MARKERS), field.name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=raw_configs(), secret_keys=st.lists(st.sampled_from(TOP_LEVEL_KEYS), max_size=3, unique=True).map(
    lambda keys: [*keys, "caKeyPem"]))
def test_any_config_is_accepted_or_refused_clearly(raw: dict[str, Any], secret_keys: list[str]) -> None:
    try:
        parsed = parse_settings(raw, tuple(secret_keys))
    except AnyConfigError as error:
        assert_message_is_clean(error, raw, tuple(secret_keys))
    else:
        assert_no_key_material(parsed)
