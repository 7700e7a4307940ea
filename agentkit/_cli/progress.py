"""What ``agentkit run`` tells a person while a run goes on: a line per notable event and a status line.

:class:`RunProgress` folds events into the current state (step, what the run is doing, tokens and cost
so far); :func:`event_line` describes one event for the scrolling log. Both are plain data and text,
so the live view and the non-terminal log show the same thing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.text import Text

from agentkit.compaction._display import describe, describe_provider
from agentkit.events import (
    AgentEvent,
    BudgetExceededEvent,
    BudgetWarning,
    ContextCompacted,
    FinalResultEvent,
    GuardrailEnd,
    ModelRequestStart,
    ModelResponseEvent,
    ModelSwitched,
    ProviderCompacted,
    ReasoningDelta,
    RetryEvent,
    RunStart,
    SettingDropped,
    StrategyBranch,
    TextDelta,
    ToolCallEnd,
    ToolCallStart,
)
from agentkit.redaction import redact_text
from agentkit.usage import Usage

__all__ = ["RunProgress", "event_line", "format_seconds", "one_line", "usage_summary"]

_TAIL_CHARS = 50


def one_line(text: str, limit: int = 120) -> str:
    """``text`` on one line (whitespace collapsed), scrubbed of secrets, cut to ``limit`` characters."""
    flat = " ".join(redact_text(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _last_words(text: str, limit: int) -> str:
    """The end of ``text`` on one line, at most ``limit`` characters, starting at a word."""
    flat = one_line(text, len(text) + 1)
    if len(flat) <= limit:
        return flat
    tail = flat[-limit:]
    return tail.split(" ", 1)[1] if " " in tail else tail


def format_seconds(value: float) -> str:
    """``12 ms`` / ``3.4 s`` / ``2 m 05 s``."""
    if value < 1:
        return f"{value * 1000:.0f} ms"
    if value < 60:
        return f"{value:.1f} s"
    minutes, rest = divmod(value, 60)
    return f"{minutes:.0f} m {rest:02.0f} s"


def usage_summary(usage: Usage) -> str:
    """``1,234 tokens (1,000 in / 234 out, 120 reasoning) · $0.0123``."""
    text = f"{usage.total_tokens:,} tokens ({usage.input_tokens:,} in / {usage.output_tokens:,} out"
    text += f", {usage.reasoning_tokens:,} reasoning)" if usage.reasoning_tokens else ")"
    return f"{text} · ${usage.cost_usd:.4f}"


@dataclass
class RunProgress:
    """The state of a run as its events describe it."""

    started: float = field(default_factory=time.monotonic)
    model: str = ""
    step: int = 0
    phase: str = "starting"
    tail: str = ""
    usage: Usage = field(default_factory=Usage)
    running_tools: dict[str, str] = field(default_factory=dict)
    tool_calls: int = 0

    def update(self, event: AgentEvent) -> None:
        """Fold one event into the state."""
        if isinstance(event, RunStart):
            self.model = event.model if event.parent_call_id is None else self.model
        elif isinstance(event, ModelRequestStart):
            self.step, self.phase, self.tail = event.step + 1, "waiting for the model", ""
        elif isinstance(event, ReasoningDelta | TextDelta):
            self.phase = "thinking" if isinstance(event, ReasoningDelta) else "writing"
            self.tail = (self.tail + event.text)[-_TAIL_CHARS * 2 :]
        elif isinstance(event, ModelResponseEvent):
            self.usage = self.usage + event.response.usage
            self.phase, self.tail = "handling the response", ""
        elif isinstance(event, ToolCallStart):
            self.running_tools[event.call.id] = event.call.name
            self.phase = "running tools"
        elif isinstance(event, ToolCallEnd):
            self.running_tools.pop(event.call_id, None)
            self.tool_calls += 1
        elif event.kind == "approval_requested":
            self.phase = "waiting for approval"

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self.started

    def status(self) -> Text:
        """The live status line: step, activity, elapsed time, tokens and cost so far."""
        doing = self.phase
        if self.phase == "running tools" and self.running_tools:
            doing = "running " + ", ".join(sorted(set(self.running_tools.values())))
        elif self.tail:
            doing = f"{self.phase}: …{_last_words(self.tail, _TAIL_CHARS)}"
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"step {max(self.step, 1)}", style="bold")
        text.append(f" · {doing} · {format_seconds(self.elapsed)}\n")
        text.append(f"{usage_summary(self.usage)} · {_count(self.tool_calls, 'tool call')}", style="dim")
        return text


def event_line(event: AgentEvent, progress: RunProgress) -> Text | None:
    """The log line for ``event`` (``None`` for events that only move the status line)."""
    where = f"[{event.branch}] " if event.branch else ""
    where += f"[sub-agent {event.parent_call_id}] " if event.parent_call_id else ""
    if isinstance(event, RunStart):
        return Text.assemble(("▶ ", "bold cyan"), f"{where}run {event.run_id} · {event.model}")
    if isinstance(event, ModelResponseEvent):
        return _response_line(event, where)
    if isinstance(event, ToolCallStart):
        call = event.call
        return Text.assemble("  ", ("→ ", "cyan"), f"{where}{call.name} ", (one_line(call.arguments), "dim"))
    if isinstance(event, ToolCallEnd):
        return _tool_end_line(event, where)
    if isinstance(event, FinalResultEvent):
        counts = f"{_count(progress.step, 'step')} · {_count(event.usage.tool_calls, 'tool call')}"
        summary = f"{where}done · {event.stop_reason} · {counts}"
        summary += f" · {usage_summary(event.usage)} · {format_seconds(progress.elapsed)}"
        return Text.assemble(("■ ", "bold green"), summary)
    return _notice_line(event, where)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def _response_line(event: ModelResponseEvent, where: str) -> Text:
    response = event.response
    usage = response.usage
    line = Text.assemble(
        ("● ", "bold blue"),
        f"{where}step {event.step + 1} · {format_seconds(event.duration_s)} · ",
        (usage_summary(usage), "dim"),
    )
    if response.reasoning:
        line.append("\n  thinking: ", style="magenta")
        line.append(one_line(response.reasoning, 160), style="italic")
    if response.text and response.tool_calls:
        line.append("\n  says: ", style="blue")
        line.append(one_line(response.text, 160))
    return line


def _tool_end_line(event: ToolCallEnd, where: str) -> Text:
    result = event.result
    text = result.content if result.kind == "retry" else result.content_text()
    if event.is_error:
        text = text.strip().splitlines()[0] if text.strip() else "failed"
    mark, style = ("✗ ", "bold red") if event.is_error else ("✓ ", "green")
    return Text.assemble(
        "  ", (mark, style), f"{where}{event.name} · {format_seconds(event.duration_s)} · ", (one_line(text), "dim")
    )


def _notice_line(event: AgentEvent, where: str) -> Text | None:
    if isinstance(event, RetryEvent):
        return Text.assemble("  ", ("↻ ", "yellow"), f"{where}retry: ", one_line(event.prompt.content))
    if isinstance(event, BudgetWarning):
        used = f"{event.used:.4g}/{event.maximum:.4g}"
        return Text.assemble("  ", ("⚠ ", "yellow"), f"{where}budget: {event.limit} at {used}")
    if isinstance(event, BudgetExceededEvent):
        return Text.assemble("  ", ("⚠ ", "bold yellow"), f"{where}budget {event.limit} reached: asking for the answer")
    if isinstance(event, ModelSwitched):
        detail = f"switched to {event.to_provider}, dropped {event.stripped_parts} reasoning parts it can't read"
        return Text.assemble("  ", ("⇄ ", "cyan"), where + detail)
    if isinstance(event, StrategyBranch):
        score = f" score {event.score:.3g}" if event.score is not None else ""
        detail = f" · {one_line(event.detail, 80)}" if event.detail else ""
        return Text.assemble("  ", ("⑂ ", "cyan"), f"{event.strategy} {event.action} {event.branch_id}{score}{detail}")
    return _other_line(event, where)


def _guardrail_line(event: GuardrailEnd, where: str) -> Text:
    """``✓ input guardrail no_pii passed · 4 ms`` / ``✗ ... tripped · 250 ms · <reason>`` / ``failed``."""
    verdict = "failed" if event.error is not None else "tripped" if event.tripped else "passed"
    mark, style = ("✓ ", "green") if verdict == "passed" else ("✗ ", "bold red")
    line = Text.assemble(
        "  ",
        (mark, style),
        f"{where}{event.stage} guardrail {event.guardrail} {verdict} · ",
        format_seconds(event.duration_s),
    )
    detail = event.error if event.error is not None else event.reason
    if detail:
        line.append(f" · {one_line(detail)}", style="dim")
    return line


def _other_line(event: AgentEvent, where: str) -> Text | None:
    if isinstance(event, GuardrailEnd):
        return _guardrail_line(event, where)
    if isinstance(event, ContextCompacted):
        return Text.assemble("  ", ("⇣ ", "cyan"), where + describe(event))
    if isinstance(event, ProviderCompacted):
        return Text.assemble("  ", ("⇣ ", "cyan"), where + describe_provider(event))
    if isinstance(event, SettingDropped):
        sent = "not sent" if event.replacement is None else f"sent as {event.replacement!r}"
        detail = f"{event.setting}={event.value!r} {sent} to {event.model}: {event.reason}"
        return Text.assemble("  ", ("⚠ ", "yellow"), where + detail)
    data = event.model_dump(mode="json")
    if event.kind == "approval_requested":
        call = data.get("call", {})
        args = one_line(str(call.get("arguments", "")))
        return Text.assemble("  ", ("? ", "bold yellow"), f"{where}approval needed: {call.get('name')} {args}")
    if event.kind == "approval_decided":
        verdict = "approved" if data.get("approved") else "denied"
        reason = f" ({one_line(str(data.get('reason')))})" if data.get("reason") else ""
        return Text.assemble("  ", ("? ", "yellow"), f"{where}{verdict} {data.get('call_id')}{reason}")
    return None
