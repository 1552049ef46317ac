"""A minimal Pulumi resource-provider gRPC server for the stand-in plugins.

The engine starts ``pulumi-resource-<name> <engine-address>``, reads the port from the first stdout line and
speaks the ResourceProvider protocol. Only custom-resource CRUD is served; every resource type is a
``ResourceType`` that turns inputs into outputs. Secret inputs arrive wrapped (Configure accepts secrets) and are
handed back wrapped, so the engine keeps them encrypted.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
import types
from collections.abc import Callable, Mapping
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from google.protobuf import empty_pb2, struct_pb2
from google.protobuf.json_format import MessageToDict


def _proto_modules() -> tuple[Any, Any, Any]:
    """The SDK's generated plugin and provider modules. A plugin process loads them straight from the SDK's
    ``runtime/proto`` directory: importing them through ``pulumi`` runs the whole SDK's package init, which would
    double the plugin's start-up time (the engine starts it for every preview and update)."""
    if "pulumi" not in sys.modules:
        spec = importlib.util.find_spec("pulumi")
        if spec is not None and spec.submodule_search_locations:
            package = types.ModuleType("_kthw_pulumi_proto")
            package.__path__ = [os.path.join(next(iter(spec.submodule_search_locations)), "runtime", "proto")]
            sys.modules[package.__name__] = package
            return tuple(  # type: ignore[return-value]
                importlib.import_module(f"{package.__name__}.{name}")
                for name in ("plugin_pb2", "provider_pb2", "provider_pb2_grpc")
            )
    from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

    return plugin_pb2, provider_pb2, provider_pb2_grpc


plugin_pb2, provider_pb2, provider_pb2_grpc = _proto_modules()
_Servicer: Any = provider_pb2_grpc.ResourceProviderServicer

SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_VALUE_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

Properties = dict[str, Any]


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_VALUE_SIG


def reveal(value: Any) -> Any:
    """The value with every secret wrapper removed and integral floats (Struct numbers) as ints."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {key: reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [reveal(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def to_dict(struct: struct_pb2.Struct) -> Properties:
    result: Properties = MessageToDict(struct)
    return result


def to_struct(properties: Mapping[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(dict(properties))
    return struct


def resource_type(urn: str) -> str:
    return urn.split("::")[2].split("$")[-1]


def resource_name(urn: str) -> str:
    return urn.split("::")[-1]


class ProviderError(Exception):
    """A failure reported to the engine as the operation's error message."""


@dataclass
class ResourceType:
    """How one resource type is created, updated and deleted.

    ``create(name, inputs) -> (id, computed outputs)`` gets revealed inputs; the outputs returned to the engine
    are the inputs as received (secrets still wrapped) plus the computed outputs. ``replace_keys`` lists the
    inputs whose change replaces the resource (``None``: every input).
    """

    create: Callable[[str, Properties], tuple[str, Properties]]
    update: Callable[[str, Properties, Properties], Properties] | None = None
    delete: Callable[[str, Properties], None] | None = None
    replace_keys: tuple[str, ...] | None = None


@dataclass
class Provider(_Servicer):  # type: ignore[misc]
    name: str
    version: str
    types: dict[str, ResourceType] = field(default_factory=dict)

    def _type(self, urn: str) -> ResourceType:
        token = resource_type(urn)
        if token not in self.types:
            raise ProviderError(f"the stand-in {self.name} provider does not implement {token}")
        return self.types[token]

    def GetPluginInfo(self, request: Any, context: Any) -> Any:  # noqa: N802
        return plugin_pb2.PluginInfo(version=self.version)

    def GetSchema(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.GetSchemaResponse(schema="{}")

    def CheckConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.ConfigureResponse(acceptSecrets=True, supportsPreview=False)

    def Check(self, request: Any, context: Any) -> Any:  # noqa: N802
        self._type(request.urn)
        return provider_pb2.CheckResponse(inputs=request.news)

    def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        kind = self._type(request.urn)
        olds = to_dict(request.old_inputs) if request.HasField("old_inputs") else to_dict(request.olds)
        news = to_dict(request.news)
        changed = sorted(key for key in set(olds) | set(news) if reveal(olds.get(key)) != reveal(news.get(key)))
        if not changed:
            return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)
        replace_keys = changed if kind.replace_keys is None else [k for k in changed if k in kind.replace_keys]
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME, diffs=changed, replaces=replace_keys,
        )

    def Create(self, request: Any, context: Any) -> Any:  # noqa: N802
        kind = self._type(request.urn)
        inputs = to_dict(request.properties)
        resource_id, computed = kind.create(resource_name(request.urn), reveal(inputs))
        return provider_pb2.CreateResponse(id=resource_id, properties=to_struct({**inputs, **computed}))

    def Read(self, request: Any, context: Any) -> Any:  # noqa: N802
        return provider_pb2.ReadResponse(id=request.id, properties=request.properties, inputs=request.inputs)

    def Update(self, request: Any, context: Any) -> Any:  # noqa: N802
        kind = self._type(request.urn)
        olds, news = to_dict(request.olds), to_dict(request.news)
        computed = kind.update(request.id, reveal(olds), reveal(news)) if kind.update else {}
        return provider_pb2.UpdateResponse(properties=to_struct({**olds, **news, **computed}))

    def Delete(self, request: Any, context: Any) -> Any:  # noqa: N802
        kind = self._type(request.urn)
        if kind.delete:
            kind.delete(request.id, reveal(to_dict(request.properties)))
        return empty_pb2.Empty()

    def Cancel(self, request: Any, context: Any) -> Any:  # noqa: N802
        return empty_pb2.Empty()


class _ErrorsAsStatus(grpc.ServerInterceptor):  # type: ignore[misc]
    """Report a ProviderError's text (and any other exception's traceback) as the RPC's error."""

    def intercept_service(self, continuation: Any, handler_call_details: Any) -> Any:
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        inner = handler.unary_unary

        def call(request: Any, context: Any) -> Any:
            try:
                return inner(request, context)
            except ProviderError as error:
                context.abort(grpc.StatusCode.UNKNOWN, str(error))
            except NotImplementedError:
                context.abort(grpc.StatusCode.UNIMPLEMENTED, "not implemented by this stand-in provider")
            except Exception:
                context.abort(grpc.StatusCode.INTERNAL, traceback.format_exc())

        return grpc.unary_unary_rpc_method_handler(
            call, request_deserializer=handler.request_deserializer, response_serializer=handler.response_serializer
        )


def serve(provider: Provider) -> None:
    """Serve on a loopback port, announce it on stdout, run until the engine closes the plugin."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[_ErrorsAsStatus()])
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    server.wait_for_termination()
