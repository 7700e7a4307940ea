"""How guardrails join a run: through the run's hooks, not through the loop's code.

* Input guardrails wrap the run's model caller (:func:`~agentkit.guardrails._gate.gated`).
* Output guardrails are the run's ``output_guard``, which the loop calls after the output validators.
* A strategy run checks its input once, for all its branches: they share one gate (``RunOptions.input_gate``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from agentkit.context import RunContext
from agentkit.events import AgentEvent
from agentkit.guardrails._gate import InputGate, gated
from agentkit.guardrails._run import GuardrailRunner, begin
from agentkit.guardrails.guardrail import InputGuardrail, OutputGuardrail
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.redaction import redact_event

if TYPE_CHECKING:
    from agentkit._loop import OutputGuard, RunConfig, RunState
    from agentkit.agent import RunOptions

__all__ = ["guard_run", "guard_strategy"]

OutputT = TypeVar("OutputT")
R = TypeVar("R")


class Guarded(Protocol):
    """What :func:`guard_run` needs of an agent."""

    input_guardrails: list[InputGuardrail]
    output_guardrails: list[OutputGuardrail]


def guard_run(
    config: RunConfig[OutputT],
    agent: Guarded,
    prompt: Any,
    messages: list[ModelRequest | ModelResponse],
    options: RunOptions,
) -> RunConfig[OutputT]:
    """``config`` with ``agent``'s guardrails hooked in; ``messages`` is the history with the new request."""
    inputs, outputs = agent.input_guardrails, agent.output_guardrails
    runner = options.guardrail_runner
    if outputs:
        config = replace(config, output_guard=_output_guard(tuple(outputs), runner))
    gate = options.input_gate
    if gate is None and inputs:
        ctx = RunContext(deps=config.deps, run_id=config.run_id, messages=messages)
        gate = InputGate(tuple(inputs), ctx, prompt, config.emit, runner)
    if gate is not None:
        config = replace(config, model_caller=gated(config.model_caller, gate))
    return config


def _output_guard(guardrails: tuple[OutputGuardrail, ...], runner: GuardrailRunner) -> OutputGuard:
    async def guard(output: Any, config: RunConfig[Any], state: RunState) -> None:
        ctx = RunContext(deps=config.deps, run_id=config.run_id, usage=state.usage, messages=state.messages)
        await (await begin(guardrails, ctx, output, config.emit, runner))

    return guard


async def guard_strategy(
    inputs: Sequence[InputGuardrail],
    prompt: str,
    deps: Any,
    history: Sequence[ModelRequest | ModelResponse] | None,
    options: RunOptions,
    run: Callable[[RunOptions], Awaitable[R]],
) -> R:
    """``run(options)`` (a strategy run) with the input guardrails checked once, beside it: every branch's
    first answer waits for them, and a tripwire cancels the whole strategy run and is raised."""
    if not inputs or options.input_gate is not None:
        return await run(options)
    run_id = options.run_id or uuid.uuid4().hex
    seen: list[AgentEvent] = []

    async def emit(event: AgentEvent) -> None:
        event = redact_event(event)  # as a run's own events are
        seen.append(event)
        if options.emit is not None:
            await options.emit(event)

    messages = [*(history or []), ModelRequest(parts=[UserPart(content=prompt)])]
    ctx = RunContext(deps=deps, run_id=run_id, messages=messages)
    gate = InputGate(tuple(inputs), ctx, prompt, emit, options.guardrail_runner, shared=True)
    await gate.start()
    try:
        result = await gate.alongside(run(replace(options, run_id=run_id, input_gate=gate)))
    finally:
        await gate.stop()
    events = getattr(result, "events", None)
    if isinstance(events, list):  # the strategy's result lists its own events: add the guardrails'
        events[:] = sorted([*seen, *events], key=lambda e: e.ts)
    return result
