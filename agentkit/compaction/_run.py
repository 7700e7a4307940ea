"""Context management inside a run: check each request against the window, apply the ladder, and
turn a provider's overflow error into one compaction and one retry.

The loop calls :func:`fit_context` before building a request and :func:`send_within_window` to send
it. Compaction rewrites the run's stored history (``state.messages``), so later requests (and a
conversation continued from ``result.messages``) build on the compacted form.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from agentkit.compaction._ladder import clear_tool_results, drop_reasoning, reasoning_droppable
from agentkit.compaction._summary import compacted, cut_index, transcript_chunks
from agentkit.compaction._tokens import TokenCounter, message_chars, tools_chars
from agentkit.compaction._windows import context_window
from agentkit.events import ContextCompacted
from agentkit.exceptions import ContextWindowExceeded
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, SystemPart, UserPart
from agentkit.models._kinds import inner_model
from agentkit.models.base import RequestParams
from agentkit.prompts import render
from agentkit.usage import Usage

if TYPE_CHECKING:
    from agentkit._loop import RunConfig, RunState

__all__ = ["ContextState", "fit_context", "send_within_window"]

Messages = list[ModelRequest | ModelResponse]
Reason = Literal["threshold", "overflow"]

TARGET_SHARE = 0.75
"""A compaction goes on up the ladder until the estimate is under this share of the threshold, so the
next one is some steps away."""
TAIL_SHARE = 0.3
"""Share of the window the messages kept after a summary may take."""
CHUNK_SHARE = 0.5
"""Share of the window one summarizing request may take."""
MIN_SUMMARIZED_CHARS = 2000
"""Fewer characters than this before the cut are not worth a summary (it would be about as long)."""
RETRY_GROWTH = 0.1
"""After the ladder could not shrink the history, the share of the window it must grow by before the
next try (so a failing summary is not asked for at every step)."""
UNNAMED_OVERFLOW = 0.9
"""A provider that refuses a request without naming its window: assume this share of the request."""


@dataclass
class ContextState:
    """What a run knows about its context: the token counter, a window learned from an overflow error,
    and where summaries replaced messages (to keep ``new_message_index`` right)."""

    counter: TokenCounter | None = None
    learned_window: int | None = None
    table_window: int | None = None
    looked_up: bool = False
    summarized: list[int] = field(default_factory=list)
    stuck_at: int | None = None
    """The estimate at which the ladder last could not shrink the history (not tried again until the
    history grew by ``RETRY_GROWTH`` of the window)."""

    def copy(self) -> ContextState:
        """An independent copy, for a forked run."""
        counter = self.counter.copy() if self.counter is not None else None
        return dataclasses.replace(self, counter=counter, summarized=list(self.summarized))

    def new_index(self, index: int) -> int:
        """Where message ``index`` of the run's start went after the summaries (0 if summarized)."""
        for k in self.summarized:
            index = index - k + 1 if k <= index else 0
        return index


@dataclass
class _Outcome:
    messages: Messages
    rungs: list[str] = field(default_factory=list)
    cleared: int = 0
    dropped: int = 0
    summarized: int = 0
    summary: str = ""
    usage: Usage = field(default_factory=Usage)


def window_for(config: RunConfig[Any], state: RunState) -> int | None:
    """The window this run keeps to: the policy's or the model's, lowered by a learned one."""
    ctx = state.context
    base = config.context.window
    if base is None:
        if not ctx.looked_up:
            ctx.table_window, ctx.looked_up = context_window(config.model), True
        base = ctx.table_window
    known = [w for w in (base, ctx.learned_window) if w is not None]
    return min(known) if known else None


def _counter(config: RunConfig[Any], state: RunState) -> TokenCounter:
    ctx = state.context
    if ctx.counter is None:
        fixed = tools_chars(config.registry.definitions()) + len(config.instructions.text)
        ctx.counter = TokenCounter(fixed)
    return ctx.counter


async def fit_context(config: RunConfig[Any], state: RunState) -> None:
    """Before a request: compact the history when its estimate passes the threshold of the window."""
    if not config.context.enabled:
        return
    tokens = _counter(config, state).estimate(state.messages)
    window = window_for(config, state)
    if window is None or tokens <= config.context.threshold * window:
        return
    stuck = state.context.stuck_at
    if stuck is not None and tokens < stuck + RETRY_GROWTH * window:
        return
    changed = await _compact(config, state, window, "threshold", tokens)
    state.context.stuck_at = None if changed else tokens


async def send_within_window(
    config: RunConfig[Any],
    state: RunState,
    history: Messages,
    params: RequestParams,
    timeout: float | None,
    rebuild: Callable[[RunConfig[Any], RunState], Awaitable[Messages]],
) -> ModelResponse:
    """Send the request; on a context overflow, compact and send once more (``rebuild`` makes the new
    history). A second overflow, or one compaction can't help with, is raised."""
    try:
        return await config.model_caller(config.model, history, config.settings, params, config, timeout)
    except ContextWindowExceeded as exc:
        if not config.context.enabled or not await _after_overflow(exc, config, state):
            raise
    history = await rebuild(config, state)
    return await config.model_caller(config.model, history, config.settings, params, config, timeout)


async def _after_overflow(exc: ContextWindowExceeded, config: RunConfig[Any], state: RunState) -> bool:
    """Learn the window from the error and compact to it; whether anything changed."""
    counter = _counter(config, state)
    tokens = counter.estimate(state.messages)
    if exc.tokens:
        counter.scale(exc.tokens / max(1, tokens))
        tokens = exc.tokens
    window = exc.window or int(tokens * UNNAMED_OVERFLOW)
    ctx = state.context
    ctx.learned_window = min(window, ctx.learned_window or window)
    window = window_for(config, state) or window
    return await _compact(config, state, window, "overflow", tokens)


async def _compact(config: RunConfig[Any], state: RunState, window: int, reason: Reason, before: int) -> bool:
    """Apply the ladder until the estimate is well under the threshold; emit the event. Whether it
    changed anything."""
    counter = _counter(config, state)
    target = config.context.threshold * window * TARGET_SHARE
    old_chars = _chars(state.messages)

    def estimate(messages: Messages) -> int:
        return max(0, before - int(counter.ratio * (old_chars - _chars(messages))))

    outcome = await _ladder(config, state, window, target, estimate)
    if not outcome.rungs:
        return False
    after = estimate(outcome.messages)
    state.messages[:] = outcome.messages
    counter.reset(state.messages, after)
    await config.emit(
        ContextCompacted(
            run_id=config.run_id,
            step=state.step,
            reason=reason,
            window=window,
            tokens_before=before,
            tokens_after=after,
            rungs=outcome.rungs,
            cleared_tool_results=outcome.cleared,
            dropped_reasoning=outcome.dropped,
            summarized_messages=outcome.summarized,
            summary=outcome.summary,
            usage=outcome.usage,
        )
    )
    return True


async def _ladder(
    config: RunConfig[Any], state: RunState, window: int, target: float, estimate: Callable[[Messages], int]
) -> _Outcome:
    policy = config.context
    outcome = _Outcome(list(state.messages))
    outcome.messages, outcome.cleared = clear_tool_results(outcome.messages, policy.keep_tool_results)
    if outcome.cleared:
        outcome.rungs.append("clear_tool_results")
    if estimate(outcome.messages) > target and policy.drop_reasoning and reasoning_droppable(config.model):
        outcome.messages, outcome.dropped = drop_reasoning(outcome.messages)
        if outcome.dropped:
            outcome.rungs.append("drop_reasoning")
    if estimate(outcome.messages) > target and policy.summarize:
        await _summarize(config, state, window, outcome)
    return outcome


async def _summarize(config: RunConfig[Any], state: RunState, window: int, outcome: _Outcome) -> None:
    ratio = _counter(config, state).ratio
    thinking_first = inner_model(config.model).provider == "anthropic" and _has_reasoning(outcome.messages)
    k = cut_index(outcome.messages, int(window * TAIL_SHARE / ratio), thinking_first)
    if k is None or _chars(outcome.messages[:k]) < MIN_SUMMARIZED_CHARS:
        return
    summary = ""
    for chunk in transcript_chunks(outcome.messages[:k], int(window * CHUNK_SHARE / ratio)):
        answer = await _ask_summary(config, state, summary, chunk, window, outcome)
        if answer is None:
            return
        summary = answer
    if summary.strip():
        outcome.messages = compacted(outcome.messages, k, summary)
        outcome.summarized, outcome.summary = k, summary.strip()
        outcome.rungs.append("summarize")
        state.context.summarized.append(k)


async def _ask_summary(
    config: RunConfig[Any], state: RunState, previous: str, chunk: str, window: int, outcome: _Outcome
) -> str | None:
    """One summarizing request (through the run's model caller, so durable runs record it); its usage
    counts in the run's. ``None`` when it timed out or did not fit either."""
    words = max(100, min(1500, window // 20))
    prompt = render("compaction_request", previous=previous or "-", transcript=chunk, words=words)
    request = ModelRequest(parts=[SystemPart(content=render("compaction_instructions")), UserPart(content=prompt)])
    try:
        response = await config.model_caller(
            config.model,
            [request],
            config.settings,
            RequestParams(),
            dataclasses.replace(config, stream=False),
            _left(config, state),
        )
    except (TimeoutError, ContextWindowExceeded):
        return None
    usage = response.usage.model_copy(update={"requests": max(1, response.usage.requests)})
    state.usage = state.usage + usage
    outcome.usage = outcome.usage + usage
    return response.text


def _left(config: RunConfig[Any], state: RunState) -> float | None:
    budget = config.budget
    if budget is None or budget.max_seconds is None:
        return None
    return max(0.0, budget.max_seconds - config.elapsed(state))


def _has_reasoning(messages: Messages) -> bool:
    """Whether the model reasons in this conversation (Anthropic: thinking is on)."""
    return any(isinstance(p, ReasoningPart) for m in messages if isinstance(m, ModelResponse) for p in m.parts)


def _chars(messages: Messages) -> int:
    return sum(message_chars(m) for m in messages)
