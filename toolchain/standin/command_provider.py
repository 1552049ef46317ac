"""Stand-in for the ``command`` provider (pulumi-command 1.x): ``command:local:Command`` with create, update and
delete scripts run by ``/bin/sh -c``.

As the real provider does, it waits for end-of-file on the script's stdout and stderr (so a background child must
detach them), trims one trailing newline from both, passes ``environment``, and gives delete (and update) the
previous run's output in PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR. A failing script fails the operation
with its exit status and stderr.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from typing import Any

from toolchain.standin.server import Properties, Provider, ProviderError, ResourceType, serve

VERSION = "1.2.1"


def run_script(script: str, inputs: Properties, previous: Properties | None = None) -> Properties:
    interpreter = list(inputs.get("interpreter") or ["/bin/sh", "-c"])
    env = {**os.environ, **{str(k): str(v) for k, v in (inputs.get("environment") or {}).items()}}
    if previous is not None and inputs.get("addPreviousOutputInEnv", True):
        env["PULUMI_COMMAND_STDOUT"] = str(previous.get("stdout", ""))
        env["PULUMI_COMMAND_STDERR"] = str(previous.get("stderr", ""))
    result = subprocess.run(
        [*interpreter, script], env=env, cwd=inputs.get("dir") or None, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, check=False,
    )
    stdout, stderr = result.stdout.removesuffix("\n"), result.stderr.removesuffix("\n")
    if result.returncode != 0:
        raise ProviderError(
            f"exit status {result.returncode}: running {script!r}:\nStdout:\n{stdout}\nStderr:\n{stderr}"
        )
    return {"stdout": stdout, "stderr": stderr}


def create(name: str, inputs: Properties) -> tuple[str, Properties]:
    outputs = run_script(inputs["create"], inputs) if inputs.get("create") else {"stdout": "", "stderr": ""}
    return f"{name}{uuid.uuid4().hex[:8]}", outputs


def update(resource_id: str, olds: Properties, news: Properties) -> Properties:
    script = news.get("update") or news.get("create")
    return run_script(script, news, previous=olds) if script else {}


def delete(resource_id: str, state: Properties) -> None:
    if state.get("delete"):
        run_script(state["delete"], state, previous=state)


def provider() -> Provider:
    command: Any = ResourceType(create=create, update=update, delete=delete, replace_keys=("triggers",))
    return Provider(name="command", version=VERSION, types={"command:local:Command": command})


if __name__ == "__main__":
    serve(provider())
