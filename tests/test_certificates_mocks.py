"""The certificate outputs and warnings of the whole program under mocks: expiry outputs, the kubeconfig summary,
and warnings from what the last deployment recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pulumi
import pytest
from cryptography import x509

from components.kubeconfig.summary import certificate_sha256
from components.pki.lifetimes import rfc3339
from tests.helpers.mock_program import DEV_CONFIG, run_program
from tests.helpers.pki import make_ca


def warnings_of(config: dict[str, Any] = DEV_CONFIG, **kwargs: Any) -> list[str]:
    """The warnings the program logs for ``config`` (the dev config by default)."""
    with mock.patch.object(pulumi.log, "warn") as warn:
        run_program(config, **kwargs)
    return [call.args[0] for call in warn.call_args_list]


def test_kubeconfig_summary_names_server_users_and_certificate_fingerprints() -> None:
    run = run_program(DEV_CONFIG)
    summary = run.outputs["kubeconfigSummary"]
    assert summary["server"] == "https://localhost:6443"
    assert summary["cluster"] == summary["context"] == "kubernetes-the-hard-way"
    assert summary["user"] == "admin"
    assert summary["clientCertificateSha256"] == certificate_sha256(run.outputs["adminCertPem"])
    assert summary["caCertificateSha256"] == certificate_sha256(run.outputs["caCertPem"])
    assert run.secret["kubeconfigSummary"] is False


def test_generated_ca_takes_no_part_in_early_renewal_and_lives_ten_years() -> None:
    run = run_program(DEV_CONFIG)
    (ca,) = run.of_type("tls:index/selfSignedCert:SelfSignedCert")
    assert ca.inputs["earlyRenewalHours"] == 0
    assert ca.inputs["validityPeriodHours"] == 87600
    (admin,) = run.of_type("tls:index/locallySignedCert:LocallySignedCert")
    assert admin.inputs["earlyRenewalHours"] == 720 and admin.inputs["validityPeriodHours"] == 8760


def test_no_warning_for_a_fresh_stack_or_certificates_far_from_expiry() -> None:
    far = datetime.now(UTC) + timedelta(days=300)
    farther = datetime.now(UTC) + timedelta(days=400)  # beyond an admin certificate issued now (365 days)
    assert warnings_of() == []
    assert warnings_of(last_outputs={"adminCertNotAfter": rfc3339(far), "caCertNotAfter": rfc3339(farther)}) == []


def test_a_generated_ca_that_ends_before_a_new_admin_certificate_warns_with_its_real_expiry() -> None:
    """A CA made by an earlier version with the admin's one-year validity: the first preview says so."""
    ends = datetime.now(UTC) + timedelta(days=300)
    (warning,) = warnings_of(last_outputs={"caCertNotAfter": rfc3339(ends)}, preview=True)
    assert warning.startswith(f"the CA this stack generated expires {rfc3339(ends)} (in 29")
    assert "before an admin certificate issued now would (pki.validityHours 8760)" in warning
    assert "Rotating the CA" in warning
    assert warnings_of(config={**DEV_CONFIG, "pki": {"validityHours": 24 * 299, "earlyRenewalHours": 24}},
                       last_outputs={"caCertNotAfter": rfc3339(ends)}) == []


def test_an_expired_generated_ca_stops_the_program_with_the_rotation_steps() -> None:
    """The provider would replace it and the engine stop at its protection: kthw says why and what to do first."""
    ended = datetime.now(UTC) - timedelta(days=2)
    with pytest.raises(pulumi.RunError) as caught:
        run_program(DEV_CONFIG, last_outputs={"caSource": "generated", "caCertNotAfter": rfc3339(ended)},
                    preview=True)
    assert str(caught.value).startswith(f"kthw: the CA this stack generated expired {rfc3339(ended)} (2 days ago)")
    assert "pulumi state unprotect --all" in str(caught.value)


def test_admin_certificate_in_its_window_warns_that_up_renews_it() -> None:
    soon = datetime.now(UTC) + timedelta(days=5)
    (preview,) = warnings_of(last_outputs={"adminCertNotAfter": rfc3339(soon)}, preview=True)
    assert preview.startswith("the admin certificate expires ") and "the next `pulumi up` renews it" in preview
    (update,) = warnings_of(last_outputs={"adminCertNotAfter": rfc3339(soon)})
    assert "this update renews it" in update


def test_generated_ca_near_expiry_warns_and_says_up_never_rotates_it() -> None:
    soon = datetime.now(UTC) + timedelta(days=30)
    (warning,) = warnings_of(last_outputs={"caCertNotAfter": rfc3339(soon)})
    assert warning.startswith("the CA this stack generated expires ")
    assert "a routine `pulumi up` never does" in warning


def test_configured_ca_expiry_is_the_certificates_own_and_warns_near_its_end() -> None:
    ca = make_ca(lasts=timedelta(days=30))
    pki = {"validityHours": 24, "earlyRenewalHours": 2}
    config = {**DEV_CONFIG, "caCertPem": ca.cert, "caKeyPem": ca.key, "pki": pki}
    run = run_program(config, secret_keys=("caKeyPem",))
    expiry = x509.load_pem_x509_certificate(ca.cert.encode()).not_valid_after_utc
    assert run.outputs["caCertNotAfter"] == rfc3339(expiry)
    (warning,) = warnings_of(config=config, secret_keys=("caKeyPem",))
    assert warning.startswith(f"the cluster's CA (caCertPem) expires {rfc3339(expiry)} (in ")
    assert "set caCertPem and caKeyPem" in warning
