"""This stack as the program sees it at start: its name, and the outputs of its last deployment.

The read is the engine's built-in ``pulumi:pulumi:readStackOutputs`` function (what a StackReference reads, without
registering a resource). It is synchronous and runs in preview too, so what the last deployment recorded (pod
CIDRs, certificate expiry) is plain data before any resource is registered. Before the first deployment there are
no outputs: an empty mapping. The program reads them once and hands them to what needs them.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import pulumi

READ_STACK_OUTPUTS = "pulumi:pulumi:readStackOutputs"
READ_ATTEMPTS = 20
"""The file backend may be writing this very checkpoint as the update starts ("failed to load checkpoint: EOF"):
the read is tried this many times, READ_RETRY_SECONDS apart."""
READ_RETRY_SECONDS = 0.25


def own_stack_name() -> str:
    """``org/project/stack`` of the running stack (the file backend's organization is always "organization")."""
    organization = pulumi.get_organization() or "organization"
    return f"{organization}/{pulumi.get_project()}/{pulumi.get_stack()}"


def last_deployment_outputs() -> Mapping[str, Any]:
    """Every output of this stack's last deployment (secret ones decrypted), or {} before the first one."""
    stack = own_stack_name()
    for attempt in range(READ_ATTEMPTS):
        try:
            result = pulumi.runtime.invoke(READ_STACK_OUTPUTS, {"name": stack})
            break
        except Exception as error:
            if attempt == READ_ATTEMPTS - 1:
                raise pulumi.RunError(f"cannot read the previous outputs of stack {stack}: {error}") from None
            pulumi.log.debug(f"reading the previous outputs of {stack} again: {error}")
            time.sleep(READ_RETRY_SECONDS)
    outputs: Mapping[str, Any] = (result.value or {}).get("outputs") or {}
    return outputs
