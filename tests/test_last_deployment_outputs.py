"""Reading the last deployment's outputs through the engine's readStackOutputs: tried again while the engine is not
ready, and a clear error when it never answers (never taken for a first deployment)."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pulumi
import pytest

from components.config.stack import READ_ATTEMPTS, READ_RETRY_SECONDS, last_deployment_outputs


class Answer:
    def __init__(self, value: Any) -> None:
        self.value = value


class Engine:
    """An invoke that fails ``failures`` times, then answers with one output."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, token: str, args: dict[str, str]) -> Answer:
        self.calls.append((token, args))
        if len(self.calls) <= self.failures:
            raise ConnectionError("engine not ready")
        return Answer({"outputs": {"clusterName": "lab"}})


@pytest.fixture
def stack() -> Any:
    with mock.patch.object(pulumi, "get_organization", return_value=None), \
            mock.patch.object(pulumi, "get_project", return_value="kthw"), \
            mock.patch.object(pulumi, "get_stack", return_value="dev"), \
            mock.patch("time.sleep") as sleep:
        yield sleep


def test_the_read_is_tried_again_until_the_engine_answers(stack: Any) -> None:
    invoke = Engine(READ_ATTEMPTS - 1)
    with mock.patch.object(pulumi.runtime, "invoke", invoke):
        assert last_deployment_outputs() == {"clusterName": "lab"}
    assert invoke.calls == [("pulumi:pulumi:readStackOutputs", {"name": "organization/kthw/dev"})] * READ_ATTEMPTS
    assert stack.call_args_list == [mock.call(READ_RETRY_SECONDS)] * (READ_ATTEMPTS - 1)


def test_an_engine_that_never_answers_stops_the_program_saying_so(stack: Any) -> None:
    invoke = Engine(READ_ATTEMPTS)
    with mock.patch.object(pulumi.runtime, "invoke", invoke), pytest.raises(pulumi.RunError) as caught:
        last_deployment_outputs()
    assert str(caught.value) == "cannot read the previous outputs of stack organization/kthw/dev: engine not ready"
    assert len(invoke.calls) == READ_ATTEMPTS
