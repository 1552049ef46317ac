"""Run __main__.py under Pulumi mocks and collect its resources and outputs, as the engine would see them."""

from __future__ import annotations

import asyncio
import base64
import copy
import functools
import json
import os
import runpy
import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pulumi
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.sync_await import _sync_await

from components.pki.lifetimes import rfc3339
from components.tunnel.socket_directory import project_directory, tunnel_directory
from tests.helpers.pki import ec_key, key_pem

PROJECT_DIR = Path(__file__).resolve().parents[2]
MAIN = PROJECT_DIR / "__main__.py"

DEV_CONFIG: dict[str, Any] = {
    "loadBalancer": {"address": "172.31.108.99", "user": "cloud_user"},
    "nodes": [
        {"name": "worker-0", "address": "172.31.101.60"},
        {"name": "worker-1", "address": "172.31.104.202"},
    ],
    "network": {"clusterCidr": "10.200.0.0/16", "serviceCidr": "10.32.0.0/24"},
}

MOCK_NOW = datetime(2026, 11, 26, 10, 0, 0, tzinfo=UTC)
"""When the mocked tls provider issues a certificate."""

SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
"""How the Pulumi wire format marks a secret value (the key of a {sig: ..., value: ...} object)."""


def unwrap_secret(value: Any) -> Any:
    """A value as the program set it, whether or not the engine was told it is secret."""
    return value.get("value", value) if isinstance(value, dict) and SECRET_SIGNATURE in value else value


def plain_strings(value: Any) -> Iterator[str]:
    """Every key and scalar in ``value``, as text, that is not inside a secret (a config value, an output, a
    resource's inputs)."""
    if isinstance(value, dict):
        if SECRET_SIGNATURE in value:
            return
        for key, item in value.items():
            yield str(key)
            yield from plain_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from plain_strings(item)
    elif value is not None:
        yield str(value)


def config_with(**changes: Any) -> dict[str, Any]:
    """A fresh copy of the dev config with top-level keys changed."""
    config = copy.deepcopy(DEV_CONFIG)
    config.update(changes)
    return config


@functools.cache
def real_private_key_pem(name: str) -> str:
    """A real P-256 key for each PrivateKey (one per name): the program makes users' certificate requests from it."""
    return key_pem(ec_key())


def fake_pem(kind: str, name: str) -> str:
    body = base64.b64encode(f"fake-{name}".encode()).decode()
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----\n"


class RecordingMocks(pulumi.runtime.Mocks):
    """Answers like the providers would, and records every resource registered or read."""

    def __init__(self, last_outputs: Mapping[str, Any] | None, tunnel_failure: str | None = None) -> None:
        self.last_outputs = dict(last_outputs or {})
        self.tunnel_failure = tunnel_failure
        """ssh's message when the managed tunnel's open fails; None: it opens."""
        self.registered: list[pulumi.runtime.MockResourceArgs] = []
        self.calls: list[pulumi.runtime.MockCallArgs] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        state = dict(args.inputs)
        if args.typ == "tls:index/privateKey:PrivateKey":
            state["privateKeyPem"] = real_private_key_pem(args.name)
            state["publicKeyPem"] = fake_pem("PUBLIC KEY", args.name)
        elif args.typ == "tls:index/certRequest:CertRequest":
            state["certRequestPem"] = fake_pem("CERTIFICATE REQUEST", args.name)
        elif args.typ in ("tls:index/selfSignedCert:SelfSignedCert", "tls:index/locallySignedCert:LocallySignedCert"):
            state["certPem"] = fake_pem("CERTIFICATE", args.name)
            # As the provider computes it: issued now, valid for validityPeriodHours.
            hours = args.inputs.get("validityPeriodHours")
            if isinstance(hours, int | float):
                state["validityEndTime"] = rfc3339(MOCK_NOW + timedelta(hours=hours))
        elif args.typ == "command:local:Command":
            # What open records: the tunnel it started, or its failed attempt, with the trigger it was given.
            environment = unwrap_secret(args.inputs["environment"])
            trigger = environment["KTHW_TUNNEL_TRIGGER"]
            record = ["kthw-tunnel=1", "host=laptop", "machine=0123456789abcdef", "boot=b",
                      "socket=/home/ops/.local/state/kthw/0123456789ab/control", f"trigger={trigger}"]
            if self.tunnel_failure is None:
                state["stdout"], state["stderr"] = "\n".join([*record, "pid=4711", "start=1"]), ""
            else:
                state["stdout"] = "\n".join([*record, "failed=ssh exited with status 255"])
                state["stderr"] = self.tunnel_failure + "\n"
        return (args.resource_id or f"{args.name}-id"), state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        self.calls.append(args)
        if args.token == "pulumi:pulumi:readStackOutputs":
            return {"name": args.args["name"], "outputs": self.last_outputs, "secretOutputNames": []}, []
        return {}, []


@dataclass
class ProgramRun:
    """What one run of the program registered and exported."""

    mocks: RecordingMocks
    urns: list[str] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    secret: dict[str, bool] = field(default_factory=dict)
    requests: dict[str, Any] = field(default_factory=dict)
    """Resource name -> the engine's RegisterResourceRequest: what mocks do not pass on (protect, ignoreChanges,
    deleteBeforeReplace, replaceOnChanges, additionalSecretOutputs...)."""

    def of_type(self, typ: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [args for args in self.mocks.registered if args.typ == typ]

    def types(self) -> list[str]:
        return [args.typ for args in self.mocks.registered]


def plain_places(run: ProgramRun, needle: str) -> list[str]:
    """Where ``needle`` shows in plain text: outputs not marked secret, resource inputs not marked secret."""
    places = [f"output {name}" for name, value in run.outputs.items()
              if not run.secret[name] and any(needle in text for text in plain_strings(value))]
    places += [f"input of {args.typ} {args.name}" for args in run.mocks.registered
               if any(needle in text for text in plain_strings(args.inputs))]
    return places


def _config_values(config: Mapping[str, Any]) -> dict[str, str]:
    return {
        f"kthw:{key}": value if isinstance(value, str) else json.dumps(value)
        for key, value in config.items()
    }


def _quiet_about_unretrieved_failures(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """A program that stops with an error leaves the futures of the resources waiting on the failed value unread; the
    engine ends such a run, the mocks leave them to the garbage collector, which would report each one."""
    if "exception was never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def run_program(
    config: Mapping[str, Any],
    *,
    secret_keys: tuple[str, ...] = (),
    last_outputs: Mapping[str, Any] | None = None,
    preview: bool = False,
    service_cluster_ip: str = "10.32.0.1",
    list_nodes: Any = None,
    cluster_reachable: bool = True,
    existing_objects: Mapping[str, Mapping[str, str]] | None = None,
    missing_objects: Collection[str] = (),
    tunnel_record: Callable[[Path], str] | None = None,
    tunnel_failure: str | None = None,
) -> ProgramRun:
    """Run __main__.py with ``config`` (keys without namespace) and resolve every export. The cluster answers verify
    with ``service_cluster_ip`` and ``list_nodes``, and the read before cluster objects are applied with
    ``existing_objects`` (reference -> annotations of what is there already; nothing by default); of the objects
    kthw's need and does not make, the cluster has all but ``missing_objects``. ``tunnel_record`` is given the
    managed tunnel's directory on this machine and returns the record to keep there, as an earlier ``up`` would
    have; ``tunnel_failure`` is ssh's message when the managed tunnel's open fails."""
    mocks = RecordingMocks(last_outputs, tunnel_failure)
    pulumi.runtime.set_mocks(mocks, project="kthw", stack="dev", preview=preview, organization="organization")
    pulumi.runtime.set_all_config(_config_values(config), [f"kthw:{key}" for key in secret_keys])
    run = ProgramRun(mocks=mocks)
    exports: dict[str, Any] = {}
    lister: Callable[[str], dict[str, list[str]]] = list_nodes or (lambda kubeconfig: {})
    monitor: Any = SETTINGS.monitor
    register = monitor.RegisterResource

    def recording(request: Any) -> Any:
        run.requests[request.name] = request
        return register(request)

    def program() -> None:
        if tunnel_record is not None:
            directory = Path(tunnel_directory(os.environ, project_directory(), "organization/kthw/dev"))
            directory.mkdir(parents=True)
            (directory / "record").write_text(tunnel_record(directory))
        runpy.run_path(str(MAIN), run_name="__kthw__")
        for name, value in exports.items():
            if isinstance(value, pulumi.Output):
                run.outputs[name] = _sync_await(value.future())
                run.secret[name] = _sync_await(value.is_secret())
            else:
                run.outputs[name], run.secret[name] = value, False

    loop = asyncio.get_event_loop()
    loop.set_exception_handler(_quiet_about_unretrieved_failures)
    # The patches hold until the engine's last registration is done, not only until the program returns: an apply
    # the provider waits for may run after that. The managed tunnel looks for its record under $XDG_STATE_HOME:
    # never the developer's own.
    with tempfile.TemporaryDirectory(prefix="kthw-mocks.") as state_home, \
            mock.patch.object(monitor, "RegisterResource", recording), \
            mock.patch.dict(os.environ, {"XDG_STATE_HOME": state_home}), \
            mock.patch.object(pulumi, "export", exports.__setitem__), \
            mock.patch("components.cluster.api.read_cluster",
                       lambda kubeconfig: (service_cluster_ip, lister(kubeconfig))), \
            mock.patch("components.kubernetes.provider.reachable", lambda server: cluster_reachable), \
            mock.patch("components.kubernetes.provider.read_existing",
                       lambda kubeconfig, objects, prerequisites: (
                           {item.reference: (existing_objects or {}).get(item.reference) for item in objects},
                           {item.reference for item in prerequisites} & set(missing_objects))):
        try:
            pulumi.runtime.mocks.test(program)()  # type: ignore[no-untyped-call]
        finally:
            finished = SETTINGS.monitor
            if isinstance(finished, pulumi_mocks.MockMonitor):
                run.urns = list(finished.get_registered_resources())
    return run
