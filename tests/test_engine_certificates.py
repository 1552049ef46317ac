"""What only the real tls provider does, on the real engine: a certificate inside its early-renewal window previews
as replaced and `up` renews it; a change of ``pki.earlyRenewalHours`` alone is an update, never a replacement.

Time is not waited for: the certificate's recorded validity end is moved closer in an exported state, which is
then imported, as if the time had passed.
"""

from __future__ import annotations

import re
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.helpers.engine import ADMIN_CERT_TYPE, REPLACED, EngineProject

pytestmark = pytest.mark.engine

EARLY_RENEWAL_HOURS = 720  # the default of pki.earlyRenewalHours


def not_after(cert_pem: str) -> datetime:
    """The certificate's expiry, as openssl reads it."""
    text = subprocess.run(["openssl", "x509", "-noout", "-enddate"], input=cert_pem, capture_output=True, text=True,
                          check=True, timeout=60).stdout
    return datetime.strptime(text.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)


def test_admin_certificate_renews_inside_its_window_and_not_before(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    project.up()
    before = project.outputs()

    project.age_certificate(ADMIN_CERT_TYPE, EARLY_RENEWAL_HOURS + 48)
    assert project.preview_changes() == {}, "outside the renewal window nothing changes"

    project.age_certificate(ADMIN_CERT_TYPE, 12)
    preview = project.cli("preview", "--diff")
    ops = project.preview_changes()
    assert set(ops) == {"admin-admin-cert"} and ops["admin-admin-cert"] in REPLACED, ops
    # A preview prints no output whose new value is unknown: the warning is what announces the new kubeconfig.
    assert "inside pki.earlyRenewalHours (720 h): the next `pulumi up` renews it; export the kubeconfig again" in (
        preview.stdout + preview.stderr)

    updated = project.cli("up", "--yes", "--diff")
    update = updated.stdout
    assert "this update renews it" in update + updated.stderr
    assert re.search(r"~ kubeconfigSummary\s*:", update) and "~ clientCertificateSha256" in update, update
    after = project.outputs()
    assert after["adminCertPem"] != before["adminCertPem"]
    assert after["kubeconfig"] != before["kubeconfig"]
    assert after["caCertPem"] == before["caCertPem"], "the CA is never renewed with the admin certificate"
    validity = not_after(after["adminCertPem"]) - datetime.now(UTC)
    assert timedelta(hours=8760 - 1) < validity <= timedelta(hours=8760)
    assert project.preview_changes() == {}
    project.destroy()


def test_changing_early_renewal_hours_alone_is_an_update(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    project.up()
    project.update_config(pki={"earlyRenewalHours": 100})
    assert project.preview_changes() == {"admin-admin-cert": {"update"}}
    project.up()
    certificates = [item for item in project.resources() if item["type"] == ADMIN_CERT_TYPE]
    assert certificates[0]["outputs"]["earlyRenewalHours"] == 100
    project.destroy()


def test_pki_changes_never_reach_the_protected_generated_ca(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    project.up()
    before = project.outputs()
    protected = {item["urn"].rsplit("::", 1)[-1] for item in project.resources() if item.get("protect")}
    assert protected == {"admin-ca-key", "admin-ca"}

    project.update_config(pki={"rsaBits": 3072, "validityHours": 4000, "caValidityHours": 1000})
    ops = project.preview_changes()
    assert set(ops) == {"admin-admin-key", "admin-admin-csr", "admin-admin-cert"}, ops
    project.up()
    after = project.outputs()
    assert after["caCertPem"] == before["caCertPem"] and after["caCertNotAfter"] == before["caCertNotAfter"]
    key_text = subprocess.run(["openssl", "pkey", "-noout", "-text"], input=after["adminKeyPem"],
                              capture_output=True, text=True, check=True, timeout=60).stdout
    assert "3072 bit" in key_text

    failed = project.cli("destroy", "--yes", check=False)
    assert failed.returncode != 0 and "protected" in failed.stdout + failed.stderr
    assert {item["urn"].rsplit("::", 1)[-1] for item in project.resources()} >= {"admin-ca-key", "admin-ca"}
    project.destroy()


CA_CERT_TYPE = "tls:index/selfSignedCert:SelfSignedCert"


def test_a_ca_recorded_with_an_early_renewal_window_takes_none_in_place_inside_it(tmp_path: Path) -> None:
    """Earlier versions gave the generated CA pki.earlyRenewalHours (720): inside that window the provider would
    replace it, and the protected CA would stop every update. Now it takes 0 as an update in place."""
    project = EngineProject(tmp_path)
    project.update_config(pki={"caValidityHours": 700, "validityHours": 600, "earlyRenewalHours": 100})
    project.up()
    before = project.outputs()

    def recorded_with_a_window(resources: list[dict[str, object]]) -> None:
        (ca,) = [item for item in resources if item["type"] == CA_CERT_TYPE]
        for part in ("inputs", "outputs"):
            ca[part]["earlyRenewalHours"] = EARLY_RENEWAL_HOURS  # type: ignore[index]

    project.edit_state(recorded_with_a_window)
    assert project.preview_changes() == {"admin-ca": {"update"}}
    project.up()
    after = project.outputs()
    assert after["caCertPem"] == before["caCertPem"] and after["adminCertPem"] == before["adminCertPem"]
    assert project.preview_changes() == {}
    project.destroy()


def test_an_expired_generated_ca_stops_with_kthw_s_steps_not_the_engine_s(tmp_path: Path) -> None:
    project = EngineProject(tmp_path)
    project.up()
    project.age_certificate(CA_CERT_TYPE, -24)
    preview = project.cli("preview", check=False)
    said = preview.stdout + preview.stderr
    assert preview.returncode != 0 and "kthw: the CA this stack generated expired " in said
    assert "pulumi state unprotect --all" in said and "marked for protection" not in said
    project.destroy()
