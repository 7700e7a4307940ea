"""The runner of ``agent.start(...)`` runs: the agent loop with every model call, tool call and
approval made a durable step, and its events logged.

A run whose agent has no approver waits for decisions sent from outside (:mod:`agentkit.background.approvals`).

Imported by workers only (it imports the agent loop).
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from collections.abc import Awaitable, Callable
from typing import Any

from agentkit._instructions import INSTRUCTIONS_KEY
from agentkit._loop import ModelCaller, RunConfig, call_model
from agentkit._tool_exec import ToolInvoker, invoke_directly
from agentkit.agent import Agent, RunOptions
from agentkit.approval import ApprovalDecision, ApprovalRequest, Approver
from agentkit.background.agent_refs import MAIN, main_ref_hint
from agentkit.background.approvals import APPROVALS_KEY, BY_PERSON, approval_topic, decision_from_message
from agentkit.background.errors import RunnerNotFound
from agentkit.background.spec import import_object
from agentkit.background.starting import STRATEGY_KEY
from agentkit.background.steps import StepRunner
from agentkit.context import RunContext
from agentkit.events import AgentEvent, event_adapter
from agentkit.exceptions import UserError
from agentkit.guardrails import GuardrailResult, GuardrailRunner
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models.base import Model, RequestParams
from agentkit.result import AgentResult
from agentkit.sessions._durable import SESSION_KEY, run_durable_session
from agentkit.settings import ModelSettings
from agentkit.tools import Tool

__all__ = [
    "durable_approver",
    "durable_guardrail_runner",
    "durable_model_caller",
    "durable_options",
    "durable_tool_invoker",
    "in_call_order",
    "person_approver",
    "run_agent",
]


def durable_model_caller(steps: StepRunner, inner: ModelCaller = call_model) -> ModelCaller:
    """Each model request is a step, named ``final`` for a final-answer request (so a replay that
    takes another branch is detected)."""

    async def call(
        model: Model,
        messages: list[ModelRequest | ModelResponse],
        settings: ModelSettings,
        params: RequestParams,
        config: RunConfig[Any],
        timeout: float | None,
    ) -> ModelResponse:
        name = "final" if params.final_answer else "model"
        return await steps.model_call(
            lambda: inner(model, messages, settings, params, config, None), name=name, timeout=timeout
        )

    return call


def durable_tool_invoker(steps: StepRunner, inner: ToolInvoker = invoke_directly) -> ToolInvoker:
    """Each tool call is a step: a call whose result is recorded never runs again; one interrupted
    before its result was recorded (even after its body returned) runs again, with the idempotency key
    the loop put in its context (``"<run id>:<model turn>:<call id>"``, the same on every replay)."""

    async def invoke(tool: Tool[Any], args: dict[str, Any], ctx: RunContext[Any]) -> Any:
        async def run(step_key: str) -> Any:
            key = ctx.idempotency_key or step_key
            return await inner(tool, args, dataclasses.replace(ctx, idempotency_key=key))

        return await steps.tool_call(tool.name, run, timeout=tool.timeout)

    return invoke


def durable_approver(steps: StepRunner, inner: Approver) -> Approver:
    """Each approval decision is a step: a replay gets the recorded decision instead of asking again."""

    async def approve(request: ApprovalRequest) -> ApprovalDecision:
        return await steps.model_call(lambda: inner(request), name="approval")

    return approve


def durable_guardrail_runner(steps: StepRunner) -> GuardrailRunner:
    """Each guardrail check is a step: a replay gets the recorded verdict instead of checking again. Its number
    is taken when the runner is called (the loop calls it for every guardrail before the model request)."""

    def run(name: str, check: Callable[[], Awaitable[GuardrailResult]]) -> Awaitable[GuardrailResult]:
        return steps.model_call(check, name=f"guardrail:{name}")

    return run


def person_approver(steps: StepRunner) -> Approver:
    """Wait for the decision a person sends from any process (``handle.approve`` / ``handle.deny``);
    the received decision is recorded, so a replay never asks again."""

    async def approve(request: ApprovalRequest) -> ApprovalDecision:
        return decision_from_message(await steps.receive(approval_topic(request.step, request.call.id)))

    return approve


def in_call_order(approver: Approver) -> Approver:
    """Ask ``approver`` about one call at a time, in the order the calls were made.

    Decisions on parallel calls may come in any order; taking them in call order numbers the steps
    that follow them (the approved tool calls) the same way on every replay. Pending requests are
    all logged at once, and a decision sent early waits for its turn.
    """
    turn = asyncio.Lock()

    async def approve(request: ApprovalRequest) -> ApprovalDecision:
        async with turn:
            return await approver(request)

    return approve


def _approver(steps: StepRunner, agent: Agent[Any, Any], decided_by: str | None) -> Approver:
    """The agent's own approver, recorded as steps; or, without one, a person's decisions."""
    if decided_by == BY_PERSON or agent.approver is None:
        return in_call_order(person_approver(steps))
    return in_call_order(durable_approver(steps, agent.approver))


def _event_sink(steps: StepRunner) -> Callable[[AgentEvent], Awaitable[None]]:
    adapter = event_adapter()

    async def emit(event: AgentEvent) -> None:
        await steps.emit(adapter.dump_python(event, mode="json"))

    return emit


def _load_agent(ref: str) -> Agent[Any, Any]:
    try:
        agent = import_object(ref, what="agent")
    except RunnerNotFound as exc:
        if ref.partition(":")[0] != MAIN:
            raise
        raise RunnerNotFound(
            f"The run names the agent {ref!r}, defined in the script that started it, so only that process can "
            f"run it. {main_ref_hint(ref)}"
        ) from exc
    if not isinstance(agent, Agent):
        raise UserError(f"{ref!r} is a {type(agent).__name__}, not an Agent; point agent_ref at the Agent.")
    return agent


def durable_options(
    steps: StepRunner, agent: Agent[Any, Any], payload: dict[str, Any], inner: ModelCaller = call_model
) -> RunOptions:
    """The run options of a durable run: every model call (through ``inner``), tool call, approval and
    guardrail a step, events to the run's log."""
    return RunOptions(
        run_id=steps.run_id,
        emit=_event_sink(steps),
        model_caller=durable_model_caller(steps, inner),
        invoke_tool=durable_tool_invoker(steps),
        approver=_approver(steps, agent, payload.get(APPROVALS_KEY)),
        guardrail_runner=durable_guardrail_runner(steps),
        clock=lambda: steps.elapsed_s,
        instructions=payload.get(INSTRUCTIONS_KEY),
    )


async def run_agent(payload: dict[str, Any], steps: StepRunner) -> AgentResult[Any]:
    """Run ``payload["agent"]`` (an import path) on ``payload["prompt"]`` durably; ``payload["approvals"]``
    says who decides approvals (fixed at the start, so a replay decides the same way). With
    ``payload["strategy"]``, the strategy's branches are child runs (:mod:`agentkit.background.fanout`)."""
    agent = _load_agent(payload["agent"])
    strategy = pickle.loads(payload[STRATEGY_KEY]) if STRATEGY_KEY in payload else None
    if strategy is None:
        options = durable_options(steps, agent, payload)
    else:
        from agentkit.background.strategy_runs import fanned_out_options

        options = await fanned_out_options(steps, agent, payload)

    def run(history: list[ModelRequest | ModelResponse] | None) -> Awaitable[AgentResult[Any]]:
        return agent.run(
            payload["prompt"], deps=payload.get("deps"), message_history=history, options=options, strategy=strategy
        )

    if SESSION_KEY in payload:
        result = await run_durable_session(payload[SESSION_KEY], steps, run)
    else:
        result = await run(None)
    result.events = []  # already in the event log; keeps the stored result small
    return result
