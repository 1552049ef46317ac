"""The PKI's config: ``pki`` (the admin key and certificate, a generated CA), parsed into PkiOptions, whose fields
declare every key and default; and the CA pair ``caCertPem``/``caKeyPem`` with the lifetime rules between the CA
and the admin certificate."""

from __future__ import annotations

import datetime
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from components.config.errors import ConfigError, Problems
from components.config.objects import OptionsObject
from components.config.values import boolean, integer_in, one_of
from components.pki.last_ca import LastCa

CREDENTIAL_KEYS = ("adminUser", "pki", "caCertPem")
"""The top-level keys the admin credentials come from: they are secret when one of these is set with --secret
(caKeyPem always is)."""
VALIDITY_HOURS_MAX = 10 * 8784
"""Ten years of leap years: a longer-lived admin credential is a mistake, not a plan."""
ALGORITHMS = ("RSA", "ECDSA")
RSA_BITS = (2048, 3072, 4096)
ECDSA_CURVES = ("P256", "P384", "P521")
NO_CA: tuple[str | None, str | None, datetime.datetime | None] = (None, None, None)
"""parse_ca_pair's result without caCertPem and caKeyPem: the stack generates its CA."""


@dataclass(frozen=True)
class PkiOptions:
    """``pki``: key algorithm and validity of the admin (and generated CA) keys and certificates."""

    algorithm: str = "RSA"
    """One of ALGORITHMS, for the admin key and a generated CA's."""
    rsa_bits: int = 2048
    """One of RSA_BITS."""
    ecdsa_curve: str = "P256"
    """One of ECDSA_CURVES."""
    validity_hours: int = 8760
    """The admin certificate's validity; at most what is left of the CA's."""
    early_renewal_hours: int = 720
    """The admin certificate renews on the first `up` this long before it expires; below validity_hours."""
    ca_validity_hours: int = 87600
    """The validity of a CA the stack generates, fixed once it exists."""
    ca_expiry_warning_days: int = 90
    """Preview and up warn from this many days before the CA expires."""
    allow_new_ca: bool = False
    """Let this update generate a CA where the last deployment signed with the cluster's own."""


def parse_pki(value: Any) -> PkiOptions:
    """``pki``: key algorithm and size, certificate validity and early renewal (below the validity, which the
    message says when the renewal is the default the user never set)."""
    problems = Problems()
    obj = OptionsObject.read(PkiOptions, "pki", value, problems)
    validity = obj.field("validity_hours", lambda hours, key: integer_in(hours, key, 1, VALIDITY_HOURS_MAX), None)
    defaults = PkiOptions()
    options = PkiOptions(
        algorithm=obj.field("algorithm", lambda choice, key: one_of(choice, key, ALGORITHMS)),
        rsa_bits=obj.field("rsa_bits", lambda choice, key: one_of(choice, key, RSA_BITS)),
        ecdsa_curve=obj.field("ecdsa_curve", lambda choice, key: one_of(choice, key, ECDSA_CURVES)),
        validity_hours=validity or defaults.validity_hours,
        early_renewal_hours=problems.check(lambda: _early_renewal(obj.obj, validity), defaults.early_renewal_hours),
        ca_validity_hours=obj.field("ca_validity_hours", lambda hours, key: integer_in(hours, key, 1, 30 * 8784)),
        ca_expiry_warning_days=obj.field("ca_expiry_warning_days", lambda days, key: integer_in(days, key, 0, 3660)),
        allow_new_ca=obj.field("allow_new_ca", boolean),
    )
    problems.raise_any()
    return options


def _early_renewal(obj: Mapping[str, Any], validity: int | None) -> int:
    key = "pki.earlyRenewalHours"
    if obj.get("earlyRenewalHours") is not None:
        longest = VALIDITY_HOURS_MAX if validity is None else validity - 1  # below the validity, once that is known
        return integer_in(obj["earlyRenewalHours"], key, 0, longest)
    default = PkiOptions().early_renewal_hours
    if validity is not None and default >= validity:
        raise ConfigError(
            key, f"is unset, and its default {default} is not below pki.validityHours {validity}",
            f"pki.earlyRenewalHours set below {validity}: pulumi config set --path pki.earlyRenewalHours "
            f"{validity // 10}", without_values="is unset, and its default is not below pki.validityHours")
    return default


def admin_lifetime_problem(pki: PkiOptions, ca_not_after: datetime.datetime, now: datetime.datetime,
                           validity_is_default: bool) -> ConfigError | None:
    """An admin certificate issued now must not outlive the CA that signs it: kube-apiserver stops trusting it when
    the CA expires, whatever its own expiry says. Refused rather than shortened: a shortened validity would depend on
    the time of the run and change every preview."""
    hours_left = int((ca_not_after - now).total_seconds() // 3600)
    if pki.validity_hours <= hours_left:
        return None
    set_how = " (the default)" if validity_is_default else ""
    return ConfigError(
        "pki.validityHours",
        f"{pki.validity_hours}{set_how} hours would make the admin certificate outlive the CA in caCertPem, which "
        f"expires at {ca_not_after.isoformat()}",
        f"at most {hours_left} hours (pulumi config set --path pki.validityHours {hours_left}), or a CA that is "
        "valid longer",
        without_values="would make the admin certificate outlive the CA in caCertPem",
    )


def generated_ca_lifetime_problem(pki: PkiOptions, validity_is_default: bool,
                                  ca_validity_is_default: bool) -> ConfigError | None:
    """A CA the stack generates is created in the same `up` as the first admin certificate and lasts
    ``pki.caValidityHours``: an admin certificate valid longer would outlive it (the same rule as
    admin_lifetime_problem for a configured CA; equal validities end together, give or take the seconds between
    the two creations)."""
    if pki.validity_hours <= pki.ca_validity_hours:
        return None
    validity = f"{pki.validity_hours}{' (the default)' if validity_is_default else ''}"
    ca_validity = f"{pki.ca_validity_hours}{' (the default)' if ca_validity_is_default else ''}"
    return ConfigError(
        "pki.validityHours",
        f"{validity} hours would make the admin certificate outlive the CA the stack generates, which lasts "
        f"pki.caValidityHours {ca_validity} hours",
        f"at most {pki.ca_validity_hours} hours (pulumi config set --path pki.validityHours {pki.ca_validity_hours}),"
        f" or pki.caValidityHours of at least {pki.validity_hours}",
        without_values="would make the admin certificate outlive the CA the stack generates (pki.caValidityHours)",
    )


def parse_ca_pair(
    raw: Mapping[str, Any], secret_keys: Collection[str], pki: PkiOptions | None, now: datetime.datetime | None,
    last: LastCa | None,
) -> tuple[str | None, str | None, datetime.datetime | None]:
    """caCertPem and caKeyPem: both or neither, the key a secret, the pair one Go accepts, and a CA (configured or
    generated) that outlives the admin certificate; with the configured CA's expiry. ``last`` is the CA the last
    deployment signed with (None before the first)."""
    # Pulumi.yaml declares both with an empty default: empty means unset.
    ca_cert, ca_key = raw.get("caCertPem") or None, raw.get("caKeyPem") or None
    if ca_cert is None and ca_key is None:
        if last is not None and last.source == "caCertPem" and not (pki is not None and pki.allow_new_ca):
            raise ConfigError(
                "caCertPem", "is unset, but the last deployment signed with the cluster's own CA (caCertPem): without "
                "it this update would generate a new CA, which kube-apiserver and every kubelet do not trust, and "
                "reissue the admin certificate and kubeconfig with it", "caCertPem and caKeyPem set again to the "
                "cluster's ca.pem and ca-key.pem; or, to move the cluster to a CA the stack generates, `pulumi config "
                "set --path pki.allowNewCa true` for that update", safe=True)
        # The CA lifetime rule of a CA about to be generated; one generated before keeps its own lifetime, which
        # the expiry warnings watch (lifetimes.py).
        problem = None if pki is None or last is not None else generated_ca_lifetime_problem(
            pki, _unset(raw.get("pki"), "validityHours"), _unset(raw.get("pki"), "caValidityHours"))
        if problem is not None:
            raise problem
        return NO_CA
    if (ca_cert is None) != (ca_key is None):
        missing = "caKeyPem" if ca_key is None else "caCertPem"
        raise ConfigError(missing, "is unset while its pair is set", "both caCertPem and caKeyPem, or neither",
                          safe=True)
    if "caKeyPem" not in secret_keys:
        raise ConfigError("caKeyPem", "is stored in plain text",
                          "a secret: pulumi config set --secret caKeyPem < ca-key.pem", safe=True)
    # Imported here: cryptography costs a tenth of a second at every start, and only this check needs it.
    from components.pki.ca_pem import validate_ca_pair

    now = now or datetime.datetime.now(datetime.UTC)
    not_after = validate_ca_pair(ca_cert, ca_key, now)
    if pki is not None:
        problem = admin_lifetime_problem(pki, not_after, now, _unset(raw.get("pki"), "validityHours"))
        if problem is not None:
            raise problem
    return str(ca_cert), str(ca_key), not_after


def _unset(obj: Any, key: str) -> bool:
    """Whether ``key`` is unset in a config object given decoded or as JSON text (parsed already)."""
    if isinstance(obj, str):
        obj = json.loads(obj)
    return not isinstance(obj, dict) or obj.get(key) is None
