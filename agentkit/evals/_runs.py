"""The drill-down of an evaluation: each case run's events, kept, and its pages as agentkit run reports.

``evaluate(..., keep_runs=True)`` records every case run's events (a strategy's branches included; streaming
deltas left out, secrets scrubbed) as JSON dicts in :attr:`CaseResult.events`, so they travel with the report
wherever it is saved. :func:`write_run_pages` renders each case as the report ``agentkit view`` writes, in
``<page>-runs/<strategy>/<case index>.html`` beside the evaluation's page.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit.events import AgentEvent
from agentkit.redaction import redact_event, redact_value

if TYPE_CHECKING:
    from agentkit.evals.report import EvalReport
    from agentkit.evals.results import CaseResult

__all__ = ["event_record", "run_links", "runs_folder", "write_run_pages"]

_DELTAS = frozenset({"reasoning_delta", "text_delta", "tool_call_delta"})


def event_record(event: AgentEvent) -> dict[str, Any] | None:
    """``event`` as a JSON-ready dict with secrets scrubbed; ``None`` for streaming deltas (not kept)."""
    if event.kind in _DELTAS:
        return None
    record: dict[str, Any] = redact_value(redact_event(event).model_dump(mode="json"))
    return record


def runs_folder(page: Path) -> str:
    """The folder of the run pages, beside the evaluation's page: ``report.html`` -> ``report-runs``."""
    return f"{page.stem}-runs"


def _folders(report: EvalReport) -> list[str]:
    """One folder name per strategy: its label made safe for a file system, numbered if two clash."""
    names = [re.sub(r"[^A-Za-z0-9._-]+", "", run.strategy) or "strategy" for run in report.runs]
    return [f"{n}-{i}" if names.count(n) > 1 else n for i, n in enumerate(names)]


def run_links(report: EvalReport, folder: str) -> dict[tuple[int, int], str]:
    """The relative link of each case with kept events, by (strategy position, case index)."""
    return {(s, r.index): f"{folder}/{name}/{r.index}.html" for s, name, r in _kept(report, _folders(report))}


def _kept(report: EvalReport, names: list[str]) -> Iterator[tuple[int, str, CaseResult]]:
    for s, (run, name) in enumerate(zip(report.runs, names, strict=True)):
        for result in run.results:
            if result.events is not None:
                yield s, name, result


def write_run_pages(report: EvalReport, page: Path) -> dict[tuple[int, int], str]:
    """Write every kept case run's report next to ``page``; returns the links the page should use."""
    from agentkit.report import render_html

    folder = runs_folder(page)
    links = run_links(report, folder)
    back = (
        f'<p style="margin:.5rem 1rem"><a href="../../{page.name}">&larr; evaluation {html.escape(report.id)}</a></p>'
    )
    for s, _, result in _kept(report, _folders(report)):
        target = page.parent / links[s, result.index]
        target.parent.mkdir(parents=True, exist_ok=True)
        page_html = render_html(result.events or [], error=result.error)
        target.write_text(
            page_html.replace('<body data-ready="0">', f'<body data-ready="0">{back}', 1), encoding="utf-8"
        )
    return links
