"""Errors agentkit builds from a tool's or a model's text hide secrets as events do (issue 12, item 4).

A tool whose exception quotes a request header, or a model that repeats a key it read, must not put the
key into the text of the error the run raises: events and the HTML report already hide it.
"""

from __future__ import annotations

import pickle
from typing import Any

import pytest

from agentkit import Agent, ToolRetriesExceeded, tool
from agentkit.agent import RunOptions
from agentkit.events import AgentEvent
from agentkit.exceptions import UnexpectedModelBehavior
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models.prompted import PromptedModel
from agentkit.redaction import REDACTED
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, call, text

KEY = "sk-proj-abcdefghijklmnop0123456789"


@tool(retries=0)
def call_api() -> str:
    """Call an API (it fails, quoting the header it sent)."""
    raise PermissionError(f"401 for request with Authorization: Bearer {KEY}")


def test_a_key_in_a_tools_error_is_hidden_in_tool_retries_exceeded_as_in_events() -> None:
    events: list[AgentEvent] = []

    async def sink(event: AgentEvent) -> None:
        events.append(event)

    agent = Agent(ScriptedModel([call("call_api", id="c1")]), tools=[call_api])
    with pytest.raises(ToolRetriesExceeded) as raised:
        agent.run_sync("go", options=RunOptions(emit=sink))
    error = raised.value
    assert str(error) == (
        "Tool 'call_api' failed 1 times, more than its retry limit of 0. Last error: Tool 'call_api' raised "
        f"PermissionError: 401 for request with Authorization: {REDACTED}\n"
        "Fix the problem and try again, or answer without it.\n"
        "Raise the limit with @tool(retries=...) or fix the tool/prompt."
    )
    assert KEY not in error.last_error
    assert KEY not in str(pickle.loads(pickle.dumps(error)))  # as a durable run records it
    assert not any(KEY in event.model_dump_json() for event in events)


def test_a_key_in_a_prompted_models_last_reply_is_hidden_in_the_error() -> None:
    def reply(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> Any:
        return text(f"I can't. The key I was given is {KEY}.")

    model = PromptedModel(FunctionModel(reply), format_retries=0)
    with pytest.raises(UnexpectedModelBehavior) as raised:
        Agent(model, tools=[call_api], output_type=int).run_sync("go")
    assert KEY not in str(raised.value)
    assert f'Last reply: "I can\'t. The key I was given is {REDACTED}.".' in str(raised.value)
