"""Tools that require approval pause the run until approved or denied."""

from __future__ import annotations

import asyncio

import pytest

from agentkit import Agent, tool
from agentkit.approval import ApprovalQueue, approve_all
from agentkit.messages import ModelRequest
from agentkit.testing import ScriptedModel, call

sent: list[str] = []


@tool(requires_approval=True, secret_args=["password"])
def send_email(to: str, password: str) -> str:
    """Send an email."""
    sent.append(to)
    return f"sent to {to}"


def tool_result_text(model: ScriptedModel) -> object:
    request = model.requests[-1].messages[-1]
    assert isinstance(request, ModelRequest)
    return request.parts[0].content  # type: ignore[union-attr]


async def test_run_pauses_until_approved() -> None:
    sent.clear()
    queue = ApprovalQueue()
    model = ScriptedModel([call("send_email", to="a@example.com", password="hunter2", id="e1"), "done"])
    task = asyncio.create_task(Agent(model, tools=[send_email], approver=queue).run("mail a"))
    pending = await asyncio.wait_for(queue.wait_for_request(), 5)
    assert pending.call.arguments == '{"to": "a@example.com", "password": "[REDACTED]"}'
    assert sent == []  # paused: nothing ran yet
    queue.approve("e1")
    result = await asyncio.wait_for(task, 5)
    assert sent == ["a@example.com"]
    assert tool_result_text(model) == "sent to a@example.com"
    kinds = [e.kind for e in result.events]
    assert kinds.index("approval_requested") < kinds.index("approval_decided") < kinds.index("tool_call_end")


async def test_denial_reaches_the_model() -> None:
    sent.clear()
    queue = ApprovalQueue()
    model = ScriptedModel([call("send_email", to="b@example.com", password="x", id="e2"), "ok, not sent"])
    task = asyncio.create_task(Agent(model, tools=[send_email]).run("mail b", options=_with(queue)))
    await asyncio.wait_for(queue.wait_for_request(), 5)
    queue.deny("e2", "not during the weekend")
    await asyncio.wait_for(task, 5)
    assert sent == []
    assert tool_result_text(model) == (
        "The user did not approve the call to tool 'send_email' (reason: not during the weekend). "
        "Do not retry it as is."
    )


def test_no_approver_refuses_clearly() -> None:
    sent.clear()
    model = ScriptedModel([call("send_email", to="c@example.com", password="x"), "fine"])
    Agent(model, tools=[send_email]).run_sync("mail c")
    assert sent == []
    assert tool_result_text(model) == (
        "Tool 'send_email' was not run: it needs approval and this run has no approver. Answer without it."
    )


def test_approve_all() -> None:
    sent.clear()
    model = ScriptedModel([call("send_email", to="d@example.com", password="x"), "sent"])
    Agent(model, tools=[send_email], approver=approve_all).run_sync("mail d")
    assert sent == ["d@example.com"]


def test_unknown_call_id() -> None:
    with pytest.raises(KeyError, match="No pending approval for tool call 'zzz' \\(pending: none\\)"):
        ApprovalQueue().approve("zzz")


def _with(queue: ApprovalQueue):  # type: ignore[no-untyped-def]
    from agentkit import RunOptions

    return RunOptions(approver=queue)


async def test_decided_requests_leave_the_queue_at_once() -> None:
    sent.clear()
    queue = ApprovalQueue()
    calls = [call("send_email", to=f"{i}@example.com", password="x", id=f"m{i}") for i in range(2)]
    model = ScriptedModel([*calls, "both sent"])
    task = asyncio.create_task(Agent(model, tools=[send_email], approver=queue).run("mail twice"))
    for expected in ("m0", "m1"):
        request = await asyncio.wait_for(queue.wait_for_request(), 5)
        assert request.call.id == expected
        queue.approve(request.call.id)
        assert queue.pending() == []
    await asyncio.wait_for(task, 5)
    assert sent == ["0@example.com", "1@example.com"]
