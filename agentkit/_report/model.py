"""What a report shows, rebuilt from a run's events: steps, tool calls, branches and notices."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from agentkit.compaction._display import describe as describe_compaction
from agentkit.compaction._display import describe_provider
from agentkit.events import (
    AgentEvent,
    ContextCompacted,
    FinalResultEvent,
    GuardrailEnd,
    GuardrailStart,
    ModelRequestStart,
    ModelResponseEvent,
    ProviderCompacted,
    RetryEvent,
    RunStart,
    StrategyBranch,
    ToolCallEnd,
    ToolCallStart,
    event_adapter,
)
from agentkit.messages import RetryPrompt
from agentkit.usage import Usage

__all__ = ["BranchView", "Notice", "RunView", "StepView", "StrategyInfo", "ToolView", "build_view", "parse_events"]

_SKIPPED_KINDS = frozenset({"reasoning_delta", "text_delta", "tool_call_delta"})


@dataclass
class ToolView:
    """One tool call."""

    call_id: str
    name: str
    arguments: str
    start: float
    duration: float | None = None
    result: str | None = None
    is_error: bool = False
    retry: bool = False
    """The result is a retry prompt (the failure text the model was sent as the call's result)."""

    @property
    def end(self) -> float:
        """When it ended (its start if it never did)."""
        return self.start + (self.duration or 0.0)


@dataclass
class StepView:
    """One model request and the tool calls its answer asked for."""

    index: int
    """Position among all the report's steps (unique: the step's anchor)."""
    run_id: str
    step: int
    model: str
    start: float
    number: int = 1
    """The step's number within its branch or sub-agent run (1, 2, ...)."""
    branch: str | None = None
    parent_call_id: str | None = None
    """Set for a step of a sub-agent run as a tool: the tool call that started it."""
    final_answer: bool = False
    duration: float | None = None
    usage: Usage | None = None
    reasoning: str = ""
    text: str = ""
    finish_reason: str | None = None
    tools: list[ToolView] = field(default_factory=list)
    retries: list[RetryPrompt] = field(default_factory=list)

    @property
    def model_end(self) -> float:
        """When the model answered (its start if it never did)."""
        return self.start + (self.duration or 0.0)

    @property
    def end(self) -> float:
        """When the step's last activity ended."""
        return max([self.model_end, *(t.end for t in self.tools)])


@dataclass
class BranchView:
    """One branch of a test-time compute strategy."""

    branch_id: str
    strategy: str
    scores: list[float] = field(default_factory=list)
    status: str = "started"
    detail: str = ""


@dataclass(frozen=True)
class StrategyInfo:
    """What a strategy's result says about its candidates (see :mod:`agentkit.strategies`)."""

    name: str
    candidates: Sequence[Any]
    chosen: Any = None
    reason: str = ""


@dataclass
class Notice:
    """Something worth a line in the report: a budget warning, a retry, an approval, a model switch."""

    ts: float
    kind: str
    text: str


@dataclass
class RunView:
    """Everything a report shows."""

    run_id: str = ""
    model: str = ""
    prompt: str = ""
    instructions: str = ""
    tools: list[dict[str, Any]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    budget: dict[str, Any] | None = None
    start: float | None = None
    end: float | None = None
    output: Any = None
    finished: bool = False
    stop_reason: str | None = None
    usage: Usage = field(default_factory=Usage)
    steps: list[StepView] = field(default_factory=list)
    branches: dict[str, BranchView] = field(default_factory=dict)
    notices: list[Notice] = field(default_factory=list)
    skipped_events: int = 0

    @property
    def duration(self) -> float:
        """Seconds from the first to the last event."""
        if self.start is None or self.end is None:
            return 0.0
        return max(0.0, self.end - self.start)

    @property
    def tool_calls(self) -> list[ToolView]:
        """Every tool call, in order."""
        return [t for s in self.steps for t in s.tools]


def parse_events(items: Iterable[AgentEvent | Mapping[str, Any]]) -> tuple[list[AgentEvent], int]:
    """Events from events or their JSON dicts; returns the events and how many unknown ones were skipped."""
    adapter = event_adapter()
    events: list[AgentEvent] = []
    skipped = 0
    for item in items:
        if not isinstance(item, Mapping):
            events.append(item)
            continue
        try:
            events.append(adapter.validate_python(dict(item)))
        except ValidationError:
            skipped += 1
    return events, skipped


class _Builder:
    def __init__(self) -> None:
        self.view = RunView()
        self._open: dict[tuple[str, int], StepView] = {}
        self._tools: dict[str, ToolView] = {}
        self._numbers: dict[tuple[str | None, str | None], int] = {}
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            RunStart: self._run_start,
            ModelRequestStart: self._request,
            ModelResponseEvent: self._response,
            ToolCallStart: self._tool_start,
            ToolCallEnd: self._tool_end,
            RetryEvent: self._retry,
            GuardrailStart: lambda event: None,  # its end says all: stage, name, verdict, duration
            StrategyBranch: self._branch,
            FinalResultEvent: self._final,
        }

    def add(self, event: AgentEvent) -> None:
        if event.kind in _SKIPPED_KINDS:
            return
        view = self.view
        view.start = event.ts if view.start is None else min(view.start, event.ts)
        view.end = event.ts if view.end is None else max(view.end, event.ts)
        handler = self._handlers.get(type(event), self._notice)
        handler(event)

    def _run_start(self, event: RunStart) -> None:
        if event.parent_call_id is not None:
            self._notice(event)  # a sub-agent run as a tool: the parent's setup stays the report's
            return
        view = self.view
        if not view.run_id or event.branch is None:
            view.run_id, view.model, view.prompt = event.run_id, event.model, event.prompt
            view.instructions, view.tools, view.settings = event.instructions, event.tools, event.settings
            view.budget = event.budget

    def _request(self, event: ModelRequestStart) -> None:
        key = (event.branch, event.parent_call_id)
        self._numbers[key] = self._numbers.get(key, 0) + 1
        step = StepView(
            index=len(self.view.steps) + 1,
            run_id=event.run_id,
            step=event.step,
            model=event.model,
            start=event.ts,
            number=self._numbers[key],
            branch=event.branch,
            parent_call_id=event.parent_call_id,
            final_answer=event.final_answer,
        )
        self.view.steps.append(step)
        self._open[(event.run_id, event.step)] = step

    def _response(self, event: ModelResponseEvent) -> None:
        step = self._open.get((event.run_id, event.step))
        if step is None:
            return
        response = event.response
        step.duration = event.duration_s
        step.start = event.ts - event.duration_s
        step.usage = response.usage
        step.reasoning = response.reasoning
        step.text = response.text
        step.finish_reason = response.finish_reason

    def _tool_start(self, event: ToolCallStart) -> None:
        tool = ToolView(call_id=event.call.id, name=event.call.name, arguments=event.call.arguments, start=event.ts)
        self._tools[event.call.id] = tool
        step = self._open.get((event.run_id, event.step))
        if step is not None:
            step.tools.append(tool)

    def _tool_end(self, event: ToolCallEnd) -> None:
        tool = self._tools.get(event.call_id)
        if tool is None:
            return
        result = event.result
        tool.result = result.content if result.kind == "retry" else result.content_text()
        tool.retry = result.kind == "retry"
        tool.duration = event.duration_s
        tool.start = event.ts - event.duration_s
        tool.is_error = event.is_error

    def _retry(self, event: RetryEvent) -> None:
        step = self._open.get((event.run_id, event.step))
        if step is not None:
            step.retries.append(event.prompt)
        self._notice(event)

    def _branch(self, event: StrategyBranch) -> None:
        branch = self.view.branches.setdefault(event.branch_id, BranchView(event.branch_id, event.strategy))
        if event.score is not None:
            branch.scores.append(event.score)
        if event.action == "choose":
            branch.status = "chosen"
        elif event.action == "prune":
            branch.status = "pruned"
        if event.detail:
            branch.detail = event.detail

    def _final(self, event: FinalResultEvent) -> None:
        if event.parent_call_id is not None:
            self._notice(event)  # a sub-agent's answer is its tool call's result, not the run's
            return
        if event.branch is not None and self.view.finished:
            return
        view = self.view
        if event.branch is None:
            view.run_id = event.run_id  # a strategy's own id, not one of its branches'
        view.finished = True
        view.output, view.stop_reason, view.usage = event.output, event.stop_reason, event.usage

    def _notice(self, event: AgentEvent) -> None:
        self.view.notices.append(Notice(event.ts, event.kind, describe(event)))


def describe(event: AgentEvent) -> str:
    """A one-line description of an event that is not a step or a tool call."""
    if isinstance(event, ContextCompacted):
        summary = f"; summary: {_short(event.summary)}" if event.summary else ""
        return describe_compaction(event) + summary
    if isinstance(event, ProviderCompacted):
        return describe_provider(event)
    where = f" [branch {event.branch}]" if event.branch else ""
    where += f" [sub-agent of call {event.parent_call_id}]" if event.parent_call_id else ""
    if isinstance(event, GuardrailEnd):
        return describe_guardrail(event, where)
    if isinstance(event, RunStart):
        return f"sub-agent run{where} started: {event.run_id} · {event.model} · task: {_short(event.prompt)}"
    if isinstance(event, FinalResultEvent):
        return f"sub-agent run{where} ended: {event.stop_reason} · answer: {_short(event.output)}"
    data = event.model_dump(mode="json", exclude={"kind", "run_id", "ts", "branch", "parent_call_id"})
    fields = ", ".join(f"{key}={_short(value)}" for key, value in data.items() if value not in (None, "", [], {}))
    return f"{event.kind.replace('_', ' ')}{where}: {fields}" if fields else event.kind.replace("_", " ")


def describe_guardrail(event: GuardrailEnd, where: str = "") -> str:
    """``input guardrail 'no_pii' tripped after 12 ms: <reason>`` (or ``passed`` / ``failed``)."""
    verdict = "failed" if event.error is not None else "tripped" if event.tripped else "passed"
    text = f"{event.stage} guardrail{where} {event.guardrail!r} {verdict} after {event.duration_s * 1000:.0f} ms"
    detail = event.error if event.error is not None else event.reason
    return f"{text}: {_short(detail)}" if detail else text


def _short(value: Any) -> str:
    if isinstance(value, dict) and "content" in value:
        value = value["content"]
    if isinstance(value, dict):
        value = ", ".join(f"{k}={v}" for k, v in value.items() if v not in (None, 0, 0.0, "", [], {}))
    text = str(value)
    return text if len(text) <= 300 else text[:300] + "…"


def build_view(events: Iterable[AgentEvent], skipped: int = 0) -> RunView:
    """The report's view of a run from its events (in the order they were emitted)."""
    builder = _Builder()
    for event in events:
        builder.add(event)
    builder.view.skipped_events = skipped
    return builder.view
