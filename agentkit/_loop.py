"""The controller: small nodes whose return types are the edges of the run.

``ModelRequestNode`` → (model answers) → ``CallToolsNode`` → (tools run, results go back) →
``ModelRequestNode`` … → ``End``. When a budget limit is reached the next ``ModelRequestNode`` is a
final-answer request (no more tools) and its answer ends the run.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from agentkit._call_ids import unique_call_ids
from agentkit._history import strip_foreign_reasoning
from agentkit._instructions import RunInstructions, with_instructions
from agentkit._output import OUTPUT_TOOL_NAME, OutputInvalid, OutputSpec
from agentkit._tool_exec import ToolInvoker, ToolOutcome, invoke_directly, run_calls, run_one
from agentkit.approval import ApprovalRequest, Approver
from agentkit.compaction._run import ContextState, fit_context, send_within_window
from agentkit.compaction.policy import ContextPolicy
from agentkit.context import RunContext
from agentkit.events import (
    AgentEvent,
    ApprovalDecided,
    ApprovalRequested,
    BudgetExceededEvent,
    BudgetWarning,
    ModelRequestStart,
    ModelResponseEvent,
    ModelSwitched,
    RetryEvent,
    ToolCallEnd,
    ToolCallStart,
)
from agentkit.exceptions import BudgetExceeded, ModelRetry, OutputValidationError, ToolRetriesExceeded
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    RequestPart,
    RetryPrompt,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.models._native_compaction import compaction_event
from agentkit.models._pricing import priced
from agentkit.models.base import Model, RequestParams, ResponseDone
from agentkit.models.profiles._announce import announce_dropped_settings
from agentkit.pricing import ModelPrice
from agentkit.prompts import render
from agentkit.result import StopReason
from agentkit.settings import ModelSettings
from agentkit.tools import Tool, ToolRegistry
from agentkit.usage import Budget, LimitName, Usage

__all__ = [
    "CallToolsNode",
    "End",
    "EventSink",
    "ModelCaller",
    "ModelRequestNode",
    "Node",
    "OutputGuard",
    "RunConfig",
    "RunState",
    "ToolGuard",
    "advance",
]

OutputT = TypeVar("OutputT")
Messages = list[ModelRequest | ModelResponse]
EventSink = Callable[[AgentEvent], Awaitable[None]]
ModelCaller = Callable[
    [Model, Messages, ModelSettings, RequestParams, "RunConfig[Any]", float | None], Awaitable[ModelResponse]
]
"""Sends one request: ``(model, messages, settings, params, config, timeout)``. The timeout (seconds left
in a ``max_seconds`` budget, or ``None``) is applied by the caller itself, so durable runs record it."""
OutputValidator = Callable[[RunContext[Any], Any], Any]
"""``(ctx, output) -> output`` (sync or async); raise ``ModelRetry`` to send the model back to work."""
OutputGuard = Callable[[Any, "RunConfig[Any]", "RunState"], Awaitable[None]]
"""``(output, config, state)``: checks a validated final answer; raises to stop the run (output guardrails)."""
ToolGuard = Callable[[Tool[Any], ToolCall], str | None]
"""Returns ``None`` to allow a call, or the reason it is refused (strategies refuse mutating tools)."""

UNKNOWN_TOOL_KEY = "<unknown tool>"


async def _no_events(event: AgentEvent) -> None:
    return None


async def call_model(
    model: Model,
    messages: Messages,
    settings: ModelSettings,
    params: RequestParams,
    config: RunConfig[Any],
    timeout: float | None = None,
) -> ModelResponse:
    """Send one request within ``timeout``; when streaming, forward deltas as events. A user's price
    (``config.price``) sets the response's cost here, so strategy ledgers and durable steps see it."""
    return priced(await asyncio.wait_for(_send(model, messages, settings, params, config), timeout), config.price)


async def _send(
    model: Model, messages: Messages, settings: ModelSettings, params: RequestParams, config: RunConfig[Any]
) -> ModelResponse:
    if not config.stream:
        return await model.request(messages, settings, params)
    async for event in model.request_stream(messages, settings, params):
        if isinstance(event, ResponseDone):
            return event.response
        await config.emit(event.model_copy(update={"run_id": config.run_id}))
    raise RuntimeError(f"{model!r}.request_stream ended without a ResponseDone event")


@dataclass(frozen=True)
class RunConfig(Generic[OutputT]):
    """Everything fixed for one run."""

    model: Model
    settings: ModelSettings
    registry: ToolRegistry
    output: OutputSpec[OutputT]
    budget: Budget | None
    deps: Any
    run_id: str
    retries: int = 2
    output_retries: int = 2
    max_parallel_tools: int = 8
    emit: EventSink = _no_events
    stream: bool = False
    invoke_tool: ToolInvoker = invoke_directly
    model_caller: ModelCaller = call_model
    tool_guard: ToolGuard | None = None
    approver: Approver | None = None
    output_validators: Sequence[OutputValidator] = ()
    output_guard: OutputGuard | None = None
    """Called after the output validators, before the run ends (see :mod:`agentkit.guardrails`)."""
    price: ModelPrice | None = None
    """The user's price for the model (``Agent(price=...)``); ``None``: the adapters' table price."""
    clock: Callable[[], float] | None = None
    """Seconds elapsed in the run, for ``max_seconds``; durable runs pass the recorded step time so a
    replay takes the same decisions. ``None``: wall time since the run started."""
    instructions: RunInstructions = field(default_factory=RunInstructions)
    """The run's instructions, sent at the head of every request and never stored in the history."""
    context: ContextPolicy = field(default_factory=ContextPolicy)
    """How the run keeps its requests inside the model's context window."""

    def elapsed(self, state: RunState) -> float:
        """Seconds this run has used."""
        return self.clock() if self.clock is not None else state.elapsed


@dataclass
class RunState:
    """Everything that changes during a run."""

    messages: Messages
    usage: Usage = field(default_factory=Usage)
    started: float = field(default_factory=time.monotonic)
    step: int = 0
    failures: dict[str, int] = field(default_factory=dict)
    output_failures: int = 0
    warned: set[str] = field(default_factory=set)
    context: ContextState = field(default_factory=ContextState)

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started


@dataclass
class ModelRequestNode:
    """Send ``request`` (appended to the history) and get the model's answer."""

    request: ModelRequest
    final_limit: LimitName | None = None
    """Set when a budget limit was reached: this request asks for the final answer."""


@dataclass
class CallToolsNode:
    """Handle a response: end with a valid answer, or run its tool calls."""

    response: ModelResponse


@dataclass
class End(Generic[OutputT]):
    """The run is over."""

    output: OutputT
    stop_reason: StopReason


Node = ModelRequestNode | CallToolsNode | End[Any]


async def advance(node: Node, config: RunConfig[Any], state: RunState) -> Node:
    """Execute ``node`` and return the next one."""
    if isinstance(node, ModelRequestNode):
        return await _request(node, config, state)
    if isinstance(node, CallToolsNode):
        return await _handle_response(node.response, config, state)
    return node


# --- model request -------------------------------------------------------------------------------


async def _request(node: ModelRequestNode, config: RunConfig[Any], state: RunState) -> Node:
    state.messages.append(node.request)
    final = node.final_limit is not None
    params = RequestParams(
        tools=config.registry.definitions(),
        output_tool=config.output.tool_definition(),
        allow_text_output=config.output.is_text,
        final_answer=final,
    )
    await announce_dropped_settings(config.model, config.settings, config.emit, config.run_id, state.warned)
    history = await _request_history(config, state)
    await config.emit(
        ModelRequestStart(run_id=config.run_id, step=state.step, model=_name(config.model), final_answer=final)
    )
    started = time.perf_counter()
    try:
        timeout = _time_left(config, state, final)
        response = await send_within_window(config, state, history, params, timeout, _request_history)
    except TimeoutError:
        if final:
            raise BudgetExceeded("max_seconds", state.usage, state.messages, "The final answer timed out.") from None
        state.messages.pop()
        return await _limit_reached("max_seconds", list(node.request.parts), config, state)
    response = unique_call_ids(response)
    _record_response(response, config, state)
    await config.emit(
        ModelResponseEvent(
            run_id=config.run_id,
            step=state.step - 1,
            response=response,
            duration_s=time.perf_counter() - started,
        )
    )
    if (compacted := compaction_event(response, config.run_id, state.step - 1)) is not None:
        await config.emit(compacted)
    if node.final_limit is not None:
        return await _final_answer(response, node.final_limit, config, state)
    return CallToolsNode(response)


def _name(model: Model) -> str:
    return f"{model.provider}:{model.model_name}"


async def _request_history(config: RunConfig[Any], state: RunState) -> Messages:
    return with_instructions(await _history_for(config, state), config.instructions)


async def _history_for(config: RunConfig[Any], state: RunState) -> Messages:
    await fit_context(config, state)  # compacts state.messages when the request would not fit the window
    history, stripped = strip_foreign_reasoning(state.messages, config.model.provider)
    if stripped:
        await config.emit(
            ModelSwitched(
                run_id=config.run_id,
                from_provider=", ".join(sorted(stripped)),
                to_provider=config.model.provider,
                stripped_parts=sum(stripped.values()),
            )
        )
    return history


def _time_left(config: RunConfig[Any], state: RunState, final: bool) -> float | None:
    budget = config.budget
    if budget is None or budget.max_seconds is None:
        return None
    if final:
        return budget.final_answer_seconds
    return max(0.0, budget.max_seconds - config.elapsed(state))


def _out_of_time(config: RunConfig[Any], state: RunState) -> bool:
    left = _time_left(config, state, False)
    return left is not None and left <= 0


def _record_response(response: ModelResponse, config: RunConfig[Any], state: RunState) -> None:
    usage = response.usage.model_copy(update={"requests": max(1, response.usage.requests)})
    state.usage = state.usage + usage
    state.messages.append(response)
    state.step += 1


async def _final_answer(response: ModelResponse, limit: LimitName, config: RunConfig[Any], state: RunState) -> End[Any]:
    output_call = _output_call(response, config)
    try:
        if output_call is not None:
            return End(await _checked(config.output.validate_arguments(output_call.arguments), config, state), limit)
        if not response.text.strip():
            raise OutputInvalid("the final response had no answer text")
        return End(await _checked(config.output.validate_text(response.text), config, state), limit)
    except OutputInvalid as exc:
        detail = f"The model's best-effort answer was not valid: {exc}"
        raise BudgetExceeded(limit, state.usage, state.messages, detail) from exc


async def _checked(output: Any, config: RunConfig[Any], state: RunState) -> Any:
    """Run the user's output validators (a ``ModelRetry`` from one makes the answer invalid), then the guard."""
    for validator in config.output_validators:
        ctx = RunContext(deps=config.deps, run_id=config.run_id, usage=state.usage, messages=state.messages)
        try:
            result = validator(ctx, output)
            output = await result if inspect.isawaitable(result) else result
        except ModelRetry as exc:
            raise OutputInvalid(exc.message) from exc
    if config.output_guard is not None:
        await config.output_guard(output, config, state)
    return output


def _output_call(response: ModelResponse, config: RunConfig[Any]) -> ToolCall | None:
    if config.output.is_text:
        return None
    return next((c for c in response.tool_calls if c.name == OUTPUT_TOOL_NAME), None)


# --- handling a response -------------------------------------------------------------------------


async def _handle_response(response: ModelResponse, config: RunConfig[Any], state: RunState) -> Node:
    output_call = _output_call(response, config)
    calls = [c for c in response.tool_calls if c is not output_call]
    parts: list[RequestPart] = []
    if output_call is not None:
        try:
            return End(await _checked(config.output.validate_arguments(output_call.arguments), config, state), "final")
        except OutputInvalid as exc:
            parts.append(await _output_retry(str(exc), output_call, config, state))
    elif not calls:
        return await _handle_text(response, config, state)
    parts += await _run_tools(calls, config, state)
    return await _next_request(parts, config, state)


async def _handle_text(response: ModelResponse, config: RunConfig[Any], state: RunState) -> Node:
    text = response.text
    if not text.strip():
        part = await _output_retry(None, None, config, state)
    else:
        try:
            return End(await _checked(config.output.validate_text(text), config, state), "final")
        except OutputInvalid as exc:
            part = await _output_retry(str(exc), None, config, state)
    return await _next_request([part], config, state)


async def _output_retry(
    error: str | None, call: ToolCall | None, config: RunConfig[Any], state: RunState
) -> RetryPrompt:
    state.output_failures += 1
    text = render("output_invalid", error=error) if error is not None else render("empty_response")
    if state.output_failures > config.output_retries:
        raise OutputValidationError(
            f"The model gave no valid final answer after {config.output_retries} retries. Last problem: "
            f"{text}\nRaise Agent(output_retries=...) or simplify the output type.",
            state.messages,
        )
    prompt = RetryPrompt(content=text, call_id=call.id if call else None, name=call.name if call else None)
    await config.emit(RetryEvent(run_id=config.run_id, step=state.step - 1, prompt=prompt))
    return prompt


async def _next_request(parts: list[RequestPart], config: RunConfig[Any], state: RunState) -> ModelRequestNode:
    budget = config.budget
    if budget is not None:
        await _warn(budget, config, state)
        limit = budget.exceeded(state.usage, config.elapsed(state))
        if limit is not None:
            return await _limit_reached(limit, parts, config, state)
    return ModelRequestNode(ModelRequest(parts=parts))


async def _limit_reached(
    limit: LimitName, parts: list[RequestPart], config: RunConfig[Any], state: RunState
) -> ModelRequestNode:
    await config.emit(BudgetExceededEvent(run_id=config.run_id, limit=limit, usage=state.usage))
    if config.budget is not None and config.budget.on_exceeded == "raise":
        answered = [*state.messages, ModelRequest(parts=parts)] if parts else state.messages  # results kept
        raise BudgetExceeded(limit, state.usage, answered)
    final = UserPart(content=render("final_answer_now", limit=limit))
    return ModelRequestNode(ModelRequest(parts=[*parts, final]), final_limit=limit)


async def _warn(budget: Budget, config: RunConfig[Any], state: RunState) -> None:
    for limit, used, maximum in budget.near_limits(state.usage, config.elapsed(state)):
        if limit not in state.warned:
            state.warned.add(limit)
            await config.emit(BudgetWarning(run_id=config.run_id, limit=limit, used=used, maximum=maximum))


# --- tools ---------------------------------------------------------------------------------------


async def _run_tools(calls: list[ToolCall], config: RunConfig[Any], state: RunState) -> list[RequestPart]:
    allowed = _allowed_count(len(calls), config, state)
    refused = [_refusal(c, "tool_call_limit") for c in calls[allowed:]]
    step = state.step - 1

    async def run(call: ToolCall) -> ToolOutcome:
        return await _run_call(call, step, config, state)

    async def ended(outcomes: list[ToolOutcome]) -> None:
        for outcome in outcomes:
            await _emit_end(outcome, step, config)

    registry = config.registry
    outcomes = await run_calls(
        calls[:allowed],
        run,
        lambda c: (t := registry.get(c.name)) is not None and t.parallel_safe,
        config.max_parallel_tools,
        ended,
    )
    state.usage = state.usage + Usage(tool_calls=len(outcomes))
    if not _out_of_time(config, state):  # else the run ends on max_seconds: a call cut short is no tool fault
        _count_failures(outcomes, config, state)
    parts: list[RequestPart] = [o.part for o in outcomes]
    return parts + refused


def _allowed_count(wanted: int, config: RunConfig[Any], state: RunState) -> int:
    left = config.budget.tool_calls_left(state.usage) if config.budget else None
    return wanted if left is None else min(wanted, left)


def _refusal(call: ToolCall, template: str) -> ToolResult:
    return ToolResult(call_id=call.id, name=call.name, content=render(template, tool=call.name))


async def _run_call(call: ToolCall, step: int, config: RunConfig[Any], state: RunState) -> ToolOutcome:
    tool = config.registry.get(call.name)
    shown = call if tool is None else tool_call_for_display(tool, call)
    await config.emit(ToolCallStart(run_id=config.run_id, step=step, call=shown))
    refusal = await _refusal_reason(tool, call, shown, step, config) if tool is not None else None
    if refusal is not None:
        outcome = ToolOutcome(call, ToolResult(call_id=call.id, name=call.name, content=refusal), 0.0, tool)
    else:
        ctx = _context(call, step, config, state)
        outcome = await run_one(call, tool, ctx, config.invoke_tool, config.registry.names)
        state.usage = state.usage + ctx.reported_usage  # what the call spent itself (a sub-agent's requests)
    return outcome


async def _emit_end(outcome: ToolOutcome, step: int, config: RunConfig[Any]) -> None:
    call = outcome.call
    await config.emit(
        ToolCallEnd(
            run_id=config.run_id,
            step=step,
            call_id=call.id,
            name=call.name,
            result=outcome.shown,
            duration_s=outcome.duration_s,
            is_error=outcome.failed,
        )
    )


async def _refusal_reason(
    tool: Tool[Any], call: ToolCall, shown: ToolCall, step: int, config: RunConfig[Any]
) -> str | None:
    """Why the call must not run (a strategy's guard, or no approval), or ``None`` to run it."""
    if config.tool_guard is not None and (reason := config.tool_guard(tool, call)) is not None:
        return reason
    if not tool.requires_approval:
        return None
    if config.approver is None:
        return render("tool_needs_approver", tool=call.name)
    await config.emit(ApprovalRequested(run_id=config.run_id, step=step, call=shown))
    decision = await config.approver(ApprovalRequest(run_id=config.run_id, step=step, call=shown))
    await config.emit(
        ApprovalDecided(run_id=config.run_id, call_id=call.id, approved=decision.approved, reason=decision.reason)
    )
    return None if decision.approved else render("tool_denied", tool=call.name, reason=decision.reason or "-")


def tool_call_for_display(tool: Tool[Any], call: ToolCall) -> ToolCall:
    """The call with the values of secret arguments replaced, for events, logs and spans."""
    redacted = tool.redact_arguments(call.arguments)
    return call if redacted == call.arguments else call.model_copy(update={"arguments": redacted})


def _context(call: ToolCall, step: int, config: RunConfig[Any], state: RunState) -> RunContext[Any]:
    return RunContext(
        deps=config.deps,
        run_id=config.run_id,
        usage=state.usage,
        messages=state.messages,
        step=step,
        tool_name=call.name,
        tool_call_id=call.id,
        retry=state.failures.get(call.name, 0),
        idempotency_key=f"{config.run_id}:{step}:{call.id}",
        time_left=_time_left(config, state, False),
        budget=config.budget,
        emit=config.emit,
    )


def _count_failures(outcomes: list[ToolOutcome], config: RunConfig[Any], state: RunState) -> None:
    """Consecutive failures per tool; past the tool's retry count the run ends."""
    for outcome in outcomes:
        key = outcome.tool.name if outcome.tool else UNKNOWN_TOOL_KEY
        if not outcome.failed:
            state.failures.pop(key, None)
            continue
        count = state.failures[key] = state.failures.get(key, 0) + 1
        limit = outcome.tool.retries if outcome.tool and outcome.tool.retries is not None else config.retries
        if count > limit:
            answered = [*state.messages, ModelRequest(parts=[o.part for o in outcomes])]  # results kept
            raise ToolRetriesExceeded(outcome.call.name, limit, _text(outcome.shown), answered)


def _text(part: ToolResult | RetryPrompt) -> str:
    return part.content if isinstance(part, RetryPrompt) else part.content_text()
