"""Expiry times and the warnings about them: the admin certificate inside its renewal window (from
pki.earlyRenewalHours before it expires, when the tls provider's readyForRenewal makes the next `up` replace it), the
CA near its end (from pki.caExpiryWarningDays before), each at the exact edge of its window."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

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


EXPORT_AGAIN = ("export the kubeconfig again afterwards (the old one stops working when the old certificate "
                "expires)")


def admin_in(left: timedelta, *, dry_run: bool = True, window: int = 720) -> str | None:
    return admin_renewal_warning(CertificateExpiry("the admin certificate", NOW + left), window, NOW, dry_run=dry_run)


def ca_in(left: timedelta, *, generated: bool) -> str | None:
    return ca_expiry_warning(CertificateExpiry("the CA", NOW + left), 90, NOW, generated=generated)


def test_the_admin_warning_starts_exactly_at_the_renewal_window() -> None:
    assert admin_in(timedelta(hours=720, seconds=1)) is None
    assert admin_in(timedelta(hours=720)) == (
        "the admin certificate expires 2026-12-26T10:00:00Z (in 30 days), inside pki.earlyRenewalHours (720 h): "
        f"the next `pulumi up` renews it; {EXPORT_AGAIN}")


@pytest.mark.parametrize(("left", "when"), [
    (timedelta(hours=1), "expires 2026-11-26T11:00:00Z (in 1 hour)"),
    (timedelta(hours=47, minutes=59), "expires 2026-11-28T09:59:00Z (in 47 hours)"),
    (timedelta(hours=48), "expires 2026-11-28T10:00:00Z (in 2 days)"),
    (timedelta(hours=-1), "expired 2026-11-26T09:00:00Z (1 hour ago)"),
])
def test_the_admin_warning_of_an_update_says_when_in_hours_or_days(left: timedelta, when: str) -> None:
    assert admin_in(left, dry_run=False) == (
        f"the admin certificate {when}, inside pki.earlyRenewalHours (720 h): this update renews it; {EXPORT_AGAIN}")


def test_the_ca_warning_starts_exactly_at_its_number_of_days() -> None:
    assert ca_in(timedelta(days=90, seconds=1), generated=True) is None
    assert ca_in(timedelta(days=90), generated=True) == (
        "the CA this stack generated expires 2027-02-24T10:00:00Z (in 90 days): kube-apiserver and every kubelet "
        "trust it; rotate it deliberately as the README's 'Certificates over time' says; a routine `pulumi up` never "
        "does")


def test_the_warning_for_the_cluster_s_own_ca_says_to_issue_a_new_one() -> None:
    assert ca_in(timedelta(days=-3), generated=False) == (
        "the cluster's CA (caCertPem) expired 2026-11-23T10:00:00Z (3 days ago): kube-apiserver and every kubelet "
        "trust it; issue a new CA for the cluster, then set caCertPem and caKeyPem to it")


@pytest.fixture
def far_from_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local time zone is UTC+05:30 for the test."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("far_from_utc")
def test_times_are_written_in_utc_whatever_the_local_time_zone() -> None:
    assert rfc3339(datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2027-01-02T03:04:05Z"
    india = timezone(timedelta(hours=5, minutes=30))
    assert rfc3339(datetime(2027, 1, 2, 8, 34, 5, tzinfo=india)) == "2027-01-02T03:04:05Z"
