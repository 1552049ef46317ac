"""The house's own rules: every package's docstring maps each of its modules, and Pulumi.yaml declares the keys and
defaults the code declares (each default is written once in code, in an options dataclass)."""

from __future__ import annotations

import dataclasses
import importlib
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from components.config.objects import default_of, field_keys, option_key
from components.config.settings import TOP_LEVEL_KEYS, Settings
from components.dns.options import CorednsOptions, DnsOptions
from components.kubernetes.options import ClusterObjectsOptions
from components.network.model import NetworkSpec
from components.pki.options import PkiOptions
from components.podnetwork.options import FlannelOptions, PodNetworkOptions, WeaveOptions
from components.tunnel.options import LoadBalancer, TunnelOptions
from tests.helpers.engine import ROOT

COMPONENTS = ROOT / "components"
PACKAGES = sorted(path.parent for path in COMPONENTS.rglob("__init__.py") if "__pycache__" not in path.parts)
MAP_LINE = re.compile(r"^(\S+\.(?:py|sh)|\S+/) {2,}\S", re.MULTILINE)
"""A line of a package map: a module (or subpackage/), two blanks or more, then what it holds."""
PROJECT = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"]
OBJECT_OPTIONS: dict[str, type] = {
    "tunnel": TunnelOptions, "pki": PkiOptions, "network": NetworkSpec, "weave": WeaveOptions,
    "flannel": FlannelOptions, "coredns": CorednsOptions, "clusterObjects": ClusterObjectsOptions,
}
"""The top-level keys Pulumi.yaml gives a default object, and the options dataclass that reads each."""


def package_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).parts)


def mapped(package: Path) -> list[str]:
    """The modules the package's docstring maps, in its order."""
    docstring = importlib.import_module(package_name(package)).__doc__ or ""
    return MAP_LINE.findall(docstring)


def contents(package: Path) -> set[str]:
    """The package's modules, shell scripts and subpackages."""
    files = {path.name for path in package.iterdir() if path.suffix in (".py", ".sh") and path.name != "__init__.py"}
    return files | {f"{path.name}/" for path in package.iterdir() if (path / "__init__.py").is_file()}


@pytest.mark.parametrize("package", PACKAGES, ids=package_name)
def test_the_package_docstring_maps_every_module_once(package: Path) -> None:
    names = mapped(package)
    assert sorted(names) == sorted(contents(package)), f"{package_name(package)}'s map"


def config_text(value: Any) -> Any:
    """A code default as Pulumi.yaml writes it: a tuple of ranges as comma-separated CIDR text, an empty tuple as
    an empty list."""
    if isinstance(value, tuple):
        return ",".join(str(item) for item in value) if value else []
    return value


def test_pulumi_yaml_declares_every_top_level_key() -> None:
    assert set(PROJECT) == set(TOP_LEVEL_KEYS)


@pytest.mark.parametrize("key", sorted(OBJECT_OPTIONS))
def test_pulumi_yaml_s_default_object_is_the_code_s_defaults(key: str) -> None:
    options = OBJECT_OPTIONS[key]
    code = {config_key: config_text(default_of(options, field.name))
            for field in dataclasses.fields(options) for config_key in field_keys(field)}
    assert PROJECT[key]["default"] == {name: value for name, value in code.items() if value is not None}


@pytest.mark.parametrize(("key", "field"), [
    ("clusterName", "cluster_name"), ("adminUser", "admin_user"), ("verify", "verify"),
    ("caCertPem", "ca_cert_pem"), ("caKeyPem", "ca_key_pem"),
])
def test_pulumi_yaml_s_top_level_default_is_the_code_s(key: str, field: str) -> None:
    declared = PROJECT[key]["default"]
    # Pulumi.yaml writes "unset" as an empty string, the code as None.
    assert (None if declared == "" else declared) == default_of(Settings, field)


@pytest.mark.parametrize(("key", "options"), [("podNetwork", PodNetworkOptions), ("dns", DnsOptions)])
def test_pulumi_yaml_s_mode_default_is_the_code_s(key: str, options: type) -> None:
    assert PROJECT[key]["default"] == default_of(options, "mode")


def test_the_load_balancer_s_defaults_are_those_pulumi_yaml_describes() -> None:
    # loadBalancer is required, so Pulumi.yaml can give no default object: its description names each default.
    description = PROJECT["loadBalancer"]["description"]
    for name in ("ssh_port", "api_port"):
        assert f"{option_key(LoadBalancer, name)} ({default_of(LoadBalancer, name)})" in description
