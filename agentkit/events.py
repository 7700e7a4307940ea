"""Typed events for everything the loop does.

The same events feed :meth:`Agent.stream`, background run event logs and tracing. Each has a ``kind``
discriminator and serialises to JSON (:data:`event_adapter`).
"""

from __future__ import annotations

import functools
import time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agentkit.messages import ModelResponse, RetryPrompt, ToolCall, ToolResult
from agentkit.usage import Usage

__all__ = [
    "AgentEvent",
    "ApprovalDecided",
    "ApprovalRequested",
    "BudgetExceededEvent",
    "BudgetWarning",
    "ContextCompacted",
    "EffortLowered",
    "FinalResultEvent",
    "GuardrailEnd",
    "GuardrailStart",
    "ModelRequestStart",
    "ModelResponseEvent",
    "ModelSwitched",
    "ProviderCompacted",
    "ReasoningDelta",
    "RetryEvent",
    "RunStart",
    "SettingDropped",
    "StrategyBranch",
    "TextDelta",
    "ToolCallDelta",
    "ToolCallEnd",
    "ToolCallStart",
    "event_adapter",
]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    run_id: str = ""
    branch: str | None = None
    """Set when the event comes from one branch of a test-time compute strategy."""
    parent_call_id: str | None = None
    """Set when the event comes from a sub-agent run as a tool (:meth:`agentkit.Agent.as_tool`): the id of
    the tool call that started that run."""
    ts: float = Field(default_factory=time.time)


class RunStart(_Event):
    """A run began."""

    kind: Literal["run_start"] = "run_start"
    model: str
    prompt: str
    instructions: str = ""
    """The system instructions sent at the head of every request of the run."""
    tools: list[dict[str, Any]] = Field(default_factory=list)
    """The tools offered to the model, each with its ``name``, ``description`` and ``parameters`` (JSON
    schema); a structured output's final-answer tool is among them."""
    settings: dict[str, Any] = Field(default_factory=dict)
    """The run's model settings that differ from their defaults (as JSON)."""
    budget: dict[str, Any] | None = None
    """The run's budget, limits left at their defaults left out (``None``: the run has no budget)."""


class ModelRequestStart(_Event):
    """A model request is about to be sent."""

    kind: Literal["model_request"] = "model_request"
    step: int
    model: str
    final_answer: bool = False


class ReasoningDelta(_Event):
    """A piece of reasoning text (or reasoning summary) as it streams."""

    kind: Literal["reasoning_delta"] = "reasoning_delta"
    text: str


class TextDelta(_Event):
    """A piece of answer text as it streams."""

    kind: Literal["text_delta"] = "text_delta"
    text: str


class ToolCallDelta(_Event):
    """A piece of a tool call's arguments as it streams."""

    kind: Literal["tool_call_delta"] = "tool_call_delta"
    index: int
    call_id: str | None = None
    name: str | None = None
    args_delta: str = ""


class ModelResponseEvent(_Event):
    """A whole model response arrived."""

    kind: Literal["model_response"] = "model_response"
    step: int
    response: ModelResponse
    duration_s: float


class ToolCallStart(_Event):
    """A tool call starts. Arguments declared secret are redacted."""

    kind: Literal["tool_call_start"] = "tool_call_start"
    step: int
    call: ToolCall


class ToolCallEnd(_Event):
    """A tool call ended, with its result or the retry prompt its failure produced."""

    kind: Literal["tool_call_end"] = "tool_call_end"
    step: int
    call_id: str
    name: str
    result: ToolResult | RetryPrompt
    duration_s: float
    is_error: bool = False


class ApprovalRequested(_Event):
    """A tool call waits for a human decision (secret arguments redacted)."""

    kind: Literal["approval_requested"] = "approval_requested"
    step: int
    call: ToolCall


class ApprovalDecided(_Event):
    """A pending tool call was approved or denied."""

    kind: Literal["approval_decided"] = "approval_decided"
    call_id: str
    approved: bool
    reason: str = ""


class RetryEvent(_Event):
    """The model is asked to fix something (bad output, empty response ...)."""

    kind: Literal["retry"] = "retry"
    step: int
    prompt: RetryPrompt


class BudgetWarning(_Event):
    """A budget limit is close (80% used)."""

    kind: Literal["budget_warning"] = "budget_warning"
    limit: str
    used: float
    maximum: float


class EffortLowered(_Event):
    """An :class:`~agentkit.EffortSchedule` lowered ``reasoning_effort``: requests from ``step`` on use ``effort``."""

    kind: Literal["effort_lowered"] = "effort_lowered"
    step: int
    effort: str
    previous: str | None
    """The effort before (``None``: the settings left it to the provider)."""
    share: float
    """The share of the budget used when it was lowered."""
    limit: str
    """The budget limit used most (``max_turns``, ``max_tokens`` or ``max_cost_usd``)."""


class BudgetExceededEvent(_Event):
    """A budget limit was reached; the run asks for its best answer now."""

    kind: Literal["budget_exceeded"] = "budget_exceeded"
    limit: str
    usage: Usage


class ModelSwitched(_Event):
    """The conversation moved to another model; opaque reasoning state it can't accept was removed."""

    kind: Literal["model_switched"] = "model_switched"
    from_provider: str | None
    to_provider: str
    stripped_parts: int


class SettingDropped(_Event):
    """A setting the model does not accept was not sent (or, for an effort level, sent as ``replacement``).

    Emitted once per run and setting; ``ModelSettings(strict=True)`` refuses such settings instead.
    """

    kind: Literal["setting_dropped"] = "setting_dropped"
    setting: str
    value: Any
    model: str
    reason: str
    replacement: Any = None


class ProviderCompacted(_Event):
    """The provider compacted or cleared the context itself before answering (``native_compaction``).

    OpenAI Responses: ``compaction_id`` names the opaque compaction item kept in the history. Anthropic
    context editing: ``edits`` are its ``applied_edits`` and ``cleared_input_tokens`` their total.
    ``input_tokens`` is what the provider reported for the request, after compaction.
    """

    kind: Literal["provider_compacted"] = "provider_compacted"
    step: int
    provider: str | None
    input_tokens: int
    cleared_input_tokens: int | None = None
    compaction_id: str | None = None
    edits: list[dict[str, Any]] = Field(default_factory=list)


class ContextCompacted(_Event):
    """The history was compacted to fit the model's context window (see :class:`agentkit.ContextPolicy`).

    ``tokens_before`` / ``tokens_after`` are the estimated input tokens of the request; ``rungs`` lists
    what was done, in order: ``"clear_tool_results"``, ``"drop_reasoning"``, ``"summarize"``. ``usage`` is
    what the summarizing requests used (already added to the run's usage).
    """

    kind: Literal["context_compacted"] = "context_compacted"
    step: int
    reason: Literal["threshold", "overflow"]
    window: int
    tokens_before: int
    tokens_after: int
    rungs: list[str] = Field(default_factory=list)
    cleared_tool_results: int = 0
    dropped_reasoning: int = 0
    summarized_messages: int = 0
    summary: str = ""
    usage: Usage = Field(default_factory=Usage)


class StrategyBranch(_Event):
    """A test-time compute strategy started, scored or chose a branch."""

    kind: Literal["strategy_branch"] = "strategy_branch"
    strategy: str
    action: Literal["start", "score", "choose", "prune"]
    branch_id: str
    score: float | None = None
    detail: str = ""


class GuardrailStart(_Event):
    """An input or output guardrail started (see :mod:`agentkit.guardrails`)."""

    kind: Literal["guardrail_start"] = "guardrail_start"
    stage: Literal["input", "output"]
    guardrail: str


class GuardrailEnd(_Event):
    """A guardrail finished: it passed, it tripped (the run stops), or it failed with ``error`` (the run stops)."""

    kind: Literal["guardrail_end"] = "guardrail_end"
    stage: Literal["input", "output"]
    guardrail: str
    tripped: bool
    duration_s: float
    reason: str = ""
    info: Any = None
    error: str | None = None


class FinalResultEvent(_Event):
    """The run ended."""

    kind: Literal["final"] = "final"
    output: Any
    stop_reason: str
    usage: Usage


AgentEvent = Annotated[
    RunStart
    | ModelRequestStart
    | ReasoningDelta
    | TextDelta
    | ToolCallDelta
    | ModelResponseEvent
    | ToolCallStart
    | ToolCallEnd
    | ApprovalRequested
    | ApprovalDecided
    | RetryEvent
    | BudgetWarning
    | BudgetExceededEvent
    | EffortLowered
    | ModelSwitched
    | SettingDropped
    | ProviderCompacted
    | ContextCompacted
    | StrategyBranch
    | GuardrailStart
    | GuardrailEnd
    | FinalResultEvent,
    Field(discriminator="kind"),
]


@functools.cache
def event_adapter() -> TypeAdapter[AgentEvent]:
    """The adapter that (de)serialises any event: ``event_adapter().validate_json(text)``."""
    return TypeAdapter(AgentEvent)
