"""A self-contained HTML report of a run: ``render_html(result)`` (also ``result.to_html()``).

The report shows the task and answer, a timeline of the steps (model requests and tool calls, with
their durations), what the model was told (instructions, tool definitions, settings, budget), each
step's reasoning summary, text, tool calls with arguments and results, retry prompts as the model got
them, tokens and cost, strategy branches or candidates with their scores (steps numbered per branch),
and notable events (budget warnings, approvals, model switches, guardrails, sub-agent runs). The file
has its CSS and script inline and a Content Security Policy that forbids every network request; all
run content is HTML-escaped and scrubbed of secrets.

It works from events, so it renders finished runs, failed runs (pass ``error``), runs read back from
a file written by ``agentkit run --save`` and background runs' event logs alike.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from agentkit._report.model import RunView, StrategyInfo, build_view, parse_events
from agentkit._report.render import render_view
from agentkit.events import AgentEvent
from agentkit.result import AgentResult

__all__ = ["render_html"]


def render_html(
    source: AgentResult[Any] | Iterable[AgentEvent | Mapping[str, Any]],
    *,
    error: str | None = None,
) -> str:
    """The HTML report of a run, from its :class:`~agentkit.result.AgentResult` or its events.

    Events may be event objects or their JSON dicts (as in ``--save`` files and background event
    logs); kinds this version does not know are skipped and counted. ``error`` is shown for a run that
    ended with an exception.
    """
    if isinstance(source, AgentResult):
        events, skipped = parse_events(source.events)
        view = build_view(events, skipped)
        _fill_from_result(view, source)
        return render_view(view, strategy=_strategy_info(source), error=error)
    events, skipped = parse_events(source)
    return render_view(build_view(events, skipped), error=error)


def _fill_from_result(view: RunView, result: AgentResult[Any]) -> None:
    """A result knows its final state even when its events were trimmed."""
    view.finished = True
    view.output, view.stop_reason, view.usage = result.output, result.stop_reason, result.usage
    view.run_id = view.run_id or result.run_id


def _strategy_info(result: AgentResult[Any]) -> StrategyInfo | None:
    candidates = getattr(result, "candidates", None)
    if not candidates:
        return None
    chosen_index = getattr(result, "chosen", -1)
    chosen = candidates[chosen_index] if 0 <= chosen_index < len(candidates) else None
    return StrategyInfo(
        name=str(getattr(result, "strategy", "") or "strategy"),
        candidates=list(candidates),
        chosen=chosen,
        reason=str(getattr(result, "reason", "")),
    )
