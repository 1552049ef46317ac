"""The admin certificate never outlives its CA, at the exact edge of both rules (components/pki/options.py):
an admin certificate ending exactly when the CA does is accepted, one ending an hour later is refused.

A configured CA (caCertPem): an admin certificate issued now lasts pki.validityHours from now. A generated CA is
created in the same `up` as the first admin certificate and lasts pki.caValidityHours.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from components.config.errors import ConfigError
from components.config.settings import parse_settings
from tests.helpers.mock_program import DEV_CONFIG
from tests.helpers.pki import Pem, make_ca

HOUR = datetime.timedelta(hours=1)
SECRET = ("caKeyPem",)


@pytest.fixture(scope="module")
def ca_ending() -> tuple[Pem, datetime.datetime]:
    """A CA and the exact second it expires (X.509 keeps whole seconds), half a year from now."""
    end = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=180)).replace(microsecond=0)
    return make_ca(not_after=end), end


def config(pki: dict[str, Any], ca: Pem | None = None) -> dict[str, Any]:
    pair = {} if ca is None else {"caCertPem": ca.cert, "caKeyPem": ca.key}
    return {**DEV_CONFIG, "pki": {"earlyRenewalHours": 1, **pki}, **pair}


def test_admin_ending_exactly_when_the_configured_ca_does_is_accepted(ca_ending: tuple[Pem, datetime.datetime]) -> None:
    ca, end = ca_ending
    settings = parse_settings(config({"validityHours": 100}, ca), SECRET, now=end - 100 * HOUR)
    assert settings.pki.validity_hours == 100 and settings.ca_cert_not_after == end


def test_admin_ending_an_hour_after_the_configured_ca_is_refused(ca_ending: tuple[Pem, datetime.datetime]) -> None:
    ca, end = ca_ending
    with pytest.raises(ConfigError) as caught:
        parse_settings(config({"validityHours": 101}, ca), SECRET, now=end - 100 * HOUR)
    assert caught.value.key == "pki.validityHours"
    assert "at most 100 hours (pulumi config set --path pki.validityHours 100)" in str(caught.value)


def test_admin_ending_a_second_after_the_configured_ca_is_refused(ca_ending: tuple[Pem, datetime.datetime]) -> None:
    """Hours left are counted down: 100 hours minus a second leave room for 99."""
    ca, end = ca_ending
    with pytest.raises(ConfigError) as caught:
        parse_settings(config({"validityHours": 100}, ca), SECRET, now=end - 100 * HOUR + datetime.timedelta(seconds=1))
    assert "at most 99 hours" in str(caught.value)


def test_admin_as_long_as_the_generated_ca_is_accepted() -> None:
    settings = parse_settings(config({"validityHours": 500, "caValidityHours": 500}))
    assert (settings.pki.validity_hours, settings.pki.ca_validity_hours) == (500, 500)


def test_admin_an_hour_longer_than_the_generated_ca_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(config({"validityHours": 501, "caValidityHours": 500}))
    assert caught.value.key == "pki.validityHours"
    assert str(caught.value) == (
        "invalid config kthw:pki.validityHours: 501 hours would make the admin certificate outlive the CA the stack "
        "generates, which lasts pki.caValidityHours 500 hours; expected at most 500 hours (pulumi config set --path "
        "pki.validityHours 500), or pki.caValidityHours of at least 501")


def test_the_generated_ca_rule_says_which_validity_is_the_default() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(config({"caValidityHours": 8759}))
    assert "8760 (the default) hours would make" in str(caught.value)
    assert "pki.caValidityHours 8759 hours" in str(caught.value)


def test_the_generated_ca_rule_shows_no_value_of_a_secret_pki() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(config({"validityHours": 501, "caValidityHours": 500}), ("pki",))
    assert "501" not in str(caught.value) and "500" not in str(caught.value)
    assert "outlive the CA the stack generates" in str(caught.value)


def test_a_configured_ca_is_not_held_to_the_generated_ca_s_validity(ca_ending: tuple[Pem, datetime.datetime]) -> None:
    """pki.caValidityHours applies only to a CA the stack generates."""
    ca, end = ca_ending
    settings = parse_settings(config({"validityHours": 100, "caValidityHours": 50}, ca), SECRET, now=end - 200 * HOUR)
    assert settings.ca_cert_pem == ca.cert
