"""When the admin and CA certificates expire, and what a person should be told about it before they do.

The admin certificate renews itself: the tls provider replaces it on the first `up` inside its
``pki.earlyRenewalHours`` window. The CA never does (everything in the cluster trusts it), so its expiry is only
ever announced, from ``pki.caExpiryWarningDays`` before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from components.config.wording import counted
from components.pki.last_ca import last_ca

HOURS_PER_DAY = 24


@dataclass(frozen=True)
class CertificateExpiry:
    """One certificate's expiry, as recorded by the last deployment."""

    name: str
    """What the certificate is, for messages ("the admin certificate")."""
    not_after: datetime
    """When it stops being valid (UTC)."""


def rfc3339(moment: datetime) -> str:
    """``moment`` as RFC 3339 in UTC with seconds, the form the tls provider records (``2027-11-26T10:00:00Z``)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_rfc3339(text: object) -> datetime | None:
    """An RFC 3339 time as the last deployment's outputs record it, or None when it is absent or unreadable."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _in(delta: timedelta) -> str:
    """A remaining time in words: "in 3 days", "in 5 hours", "2 days ago"."""
    hours = int(abs(delta.total_seconds()) // 3600)
    amount, unit = (hours // HOURS_PER_DAY, "day") if hours >= 2 * HOURS_PER_DAY else (hours, "hour")
    words = counted(amount, unit)
    return f"in {words}" if delta.total_seconds() >= 0 else f"{words} ago"


def admin_renewal_warning(admin: CertificateExpiry, early_renewal_hours: int, now: datetime,
                          *, dry_run: bool) -> str | None:
    """What to say when the admin certificate is inside its renewal window or past its expiry; None otherwise."""
    left = admin.not_after - now
    if left > timedelta(hours=early_renewal_hours):
        return None
    state = "expired" if left.total_seconds() <= 0 else "expires"
    when = f"{state} {rfc3339(admin.not_after)} ({_in(left)})"
    action = "the next `pulumi up` renews it" if dry_run else "this update renews it"
    return (f"{admin.name} {when}, inside pki.earlyRenewalHours ({early_renewal_hours} h): {action}; "
            "export the kubeconfig again afterwards (the old one stops working when the old certificate expires)")


def ca_expiry_warning(ca: CertificateExpiry, warning_days: int, now: datetime, *, generated: bool) -> str | None:
    """What to say from ``warning_days`` before the CA expires; None before that."""
    left = ca.not_after - now
    if left > timedelta(days=warning_days):
        return None
    state = "expired" if left.total_seconds() <= 0 else "expires"
    what = "the CA this stack generated" if generated else "the cluster's CA (caCertPem)"
    fix = ("rotate it deliberately as the README's 'Certificates over time' says; a routine `pulumi up` never does"
           if generated else "issue a new CA for the cluster, then set caCertPem and caKeyPem to it")
    return f"{what} {state} {rfc3339(ca.not_after)} ({_in(left)}): kube-apiserver and every kubelet trust it; {fix}"


def ca_outlived_warning(ca_not_after: datetime, validity_hours: int, now: datetime) -> str | None:
    """What to say when the CA this stack generated ends before an admin certificate issued now would (a CA made by
    an earlier version with the admin's one-year validity, say); None when it outlives it."""
    if now + timedelta(hours=validity_hours) <= ca_not_after:
        return None
    return (f"the CA this stack generated expires {rfc3339(ca_not_after)} ({_in(ca_not_after - now)}), before an admin "
            f"certificate issued now would (pki.validityHours {validity_hours}): when it expires, kube-apiserver and "
            "every kubelet stop trusting everything it signed. Rotate it before then as the README's 'Rotating the CA' "
            "says (pulumi state unprotect, pulumi up --replace of the CA key, then give the cluster the new caCertPem)")


def expired_ca_problem(ca_not_after: datetime, now: datetime) -> str | None:
    """Why nothing can be deployed when the CA this stack generated has expired (the tls provider would replace it,
    and it is protected); None while it is valid."""
    if ca_not_after > now:
        return None
    return (f"kthw: the CA this stack generated expired {rfc3339(ca_not_after)} ({_in(ca_not_after - now)}): "
            "kube-apiserver and every kubelet refuse every certificate it signed, and a routine `pulumi up` never "
            "replaces the CA. Rotate it as the README's 'Rotating the CA' says: `pulumi state unprotect --all`, then "
            "`pulumi up --replace` with the URN of the CA key (`pulumi stack --show-urns` lists it, ending in "
            "::admin-ca-key), then give kube-apiserver and the kubelets the new caCertPem")


def last_ca_not_after(last_outputs: Mapping[str, Any]) -> datetime | None:
    """When the last deployment's CA expires: its ``caCertNotAfter``, or, for a stack deployed before that output
    existed, the expiry its ``caCertPem`` carries; None before the first deployment."""
    not_after = parse_rfc3339(last_outputs.get("caCertNotAfter"))
    cert_pem = last_outputs.get("caCertPem")
    if not_after is not None or not isinstance(cert_pem, str):
        return not_after
    # Imported here: cryptography costs a tenth of a second at every start, and only such a stack needs it.
    from cryptography import x509

    try:
        return x509.load_pem_x509_certificate(cert_pem.encode()).not_valid_after_utc
    except ValueError:
        return None


def generated_ca_not_after(last_outputs: Mapping[str, Any], existing_ca_not_after: datetime | None) -> datetime | None:
    """When the CA this stack generated expires, as the last deployment recorded it; None with a configured CA, after
    one, or before the first deployment."""
    last = last_ca(last_outputs)
    if existing_ca_not_after is not None or last is None or last.source != "generated":
        return None
    return last_ca_not_after(last_outputs)


def lifetime_warnings(last_outputs: Mapping[str, Any], *, early_renewal_hours: int, ca_warning_days: int,
                      existing_ca_not_after: datetime | None, now: datetime, dry_run: bool,
                      validity_hours: int) -> list[str]:
    """Every warning about the certificates the last deployment recorded (``adminCertNotAfter``,
    ``caCertNotAfter``), or, for an existing CA, the expiry of the one configured now."""
    warnings = []
    admin_end = parse_rfc3339(last_outputs.get("adminCertNotAfter"))
    if admin_end is not None:
        warning = admin_renewal_warning(CertificateExpiry("the admin certificate", admin_end), early_renewal_hours,
                                        now, dry_run=dry_run)
        warnings += [warning] if warning else []
    ca_end = existing_ca_not_after or last_ca_not_after(last_outputs)
    if ca_end is not None:
        warning = ca_expiry_warning(CertificateExpiry("the CA", ca_end), ca_warning_days, now,
                                    generated=existing_ca_not_after is None)
        if warning is None and existing_ca_not_after is None:  # one warning about the CA at a time
            warning = ca_outlived_warning(ca_end, validity_hours, now)
        warnings += [warning] if warning else []
    return warnings
