"""Expiry times and the warnings about them: the admin certificate inside its renewal window, the CA near its end."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from components.pki.lifetimes import (
    CertificateExpiry,
    admin_renewal_warning,
    ca_expiry_warning,
    ca_outlived_warning,
    expired_ca_problem,
    parse_rfc3339,
    rfc3339,
)

NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)


def admin(hours_left: float) -> CertificateExpiry:
    return CertificateExpiry("the admin certificate", NOW + timedelta(hours=hours_left))


def ca(days_left: float) -> CertificateExpiry:
    return CertificateExpiry("the CA", NOW + timedelta(days=days_left))


def test_rfc3339_is_utc_with_seconds_as_the_tls_provider_records_it() -> None:
    assert rfc3339(datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2027-01-02T03:04:05Z"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2027-01-02T03:04:05Z", datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("2027-01-02T04:04:05+01:00", datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ("not a time", None),
        (None, None),
        (12, None),
    ],
    ids=["zulu", "offset", "garbage", "absent", "number"],
)
def test_parse_rfc3339_reads_recorded_times_and_nothing_else(text: object, expected: datetime | None) -> None:
    assert parse_rfc3339(text) == expected


def test_no_admin_warning_outside_the_renewal_window() -> None:
    assert admin_renewal_warning(admin(721), 720, NOW, dry_run=True) is None


def test_admin_warning_inside_the_window_says_when_and_what_happens() -> None:
    text = admin_renewal_warning(admin(72), 720, NOW, dry_run=True)
    assert text == (
        "the admin certificate expires 2026-11-29T10:00:00Z (in 3 days), inside pki.earlyRenewalHours (720 h): "
        "the next `pulumi up` renews it; export the kubeconfig again afterwards (the old one stops working when "
        "the old certificate expires)"
    )
    assert "this update renews it" in (admin_renewal_warning(admin(5), 720, NOW, dry_run=False) or "")
    assert "(in 5 hours)" in (admin_renewal_warning(admin(5), 720, NOW, dry_run=False) or "")


def test_admin_warning_past_expiry_says_expired() -> None:
    text = admin_renewal_warning(admin(-50), 720, NOW, dry_run=True) or ""
    assert text.startswith("the admin certificate expired 2026-11-24T08:00:00Z (2 days ago)")


def test_ca_warning_starts_at_the_configured_number_of_days() -> None:
    assert ca_expiry_warning(ca(91), 90, NOW, generated=True) is None
    text = ca_expiry_warning(ca(89), 90, NOW, generated=True) or ""
    assert text.startswith("the CA this stack generated expires 2027-02-23T10:00:00Z (in 89 days)")
    assert "a routine `pulumi up` never does" in text


def test_ca_warning_for_an_existing_ca_says_to_replace_the_config() -> None:
    text = ca_expiry_warning(ca(-1), 90, NOW, generated=False) or ""
    assert text.startswith("the cluster's CA (caCertPem) expired")
    assert "set caCertPem and caKeyPem" in text


def test_a_generated_ca_that_ends_exactly_with_a_new_admin_certificate_is_no_warning() -> None:
    assert ca_outlived_warning(NOW + timedelta(hours=8760), 8760, NOW) is None
    assert ca_outlived_warning(NOW + timedelta(hours=8760) - timedelta(seconds=1), 8760, NOW) is not None


def test_a_generated_ca_expires_at_its_not_after() -> None:
    assert expired_ca_problem(NOW + timedelta(seconds=1), NOW) is None
    assert (expired_ca_problem(NOW, NOW) or "").startswith("kthw: the CA this stack generated expired ")
