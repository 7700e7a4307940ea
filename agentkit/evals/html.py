"""A self-contained HTML page of an evaluation: the summary table, the accuracy-vs-compute plot, and every
case's result per strategy (output, scores, compute, error, run id linked to the case's run report when
:meth:`EvalReport.save_html` wrote them, see :mod:`agentkit.evals._runs`)."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from typing import Any

from agentkit.evals._plot import accuracy_vs_calls_svg
from agentkit.evals._table import summary_rows
from agentkit.evals.report import EvalReport
from agentkit.evals.results import CaseResult, StrategyRun
from agentkit.exceptions import MissingExtra
from agentkit.redaction import redact_text

__all__ = ["NOT_KEPT", "NOT_WRITTEN", "Links", "render_html"]

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;
text-align:left;vertical-align:top}th{background:#f5f5f5}.pass{color:#17692d}.fail{color:#a11}
pre{white-space:pre-wrap;margin:0;max-width:32rem}details>summary{cursor:pointer}.note{color:#666}
"""
_CUT = 2_000


def esc(value: object) -> str:
    """Escaped, secret-scrubbed text."""
    return html.escape(redact_text(str(value)), quote=True)


NOT_KEPT = "Run reports were not kept for this evaluation (evaluate(..., keep_runs=False)); each case shows its run id."
NOT_WRITTEN = "Each case's run report is written beside this page by report.save_html(path) or 'agentkit eval view'."

Links = Mapping[tuple[int, int], str]
"""The run report of each case, by (strategy position, case index): a link relative to the page."""


def render_html(report: EvalReport, *, plot: bool = True, links: Links | None = None) -> str:
    """The page. Without matplotlib (the ``plot`` extra) the plot is replaced by a note naming the extra.
    With ``links`` each case's run id links to its run report; without them a note says how to get them."""
    parts = [
        f"<!doctype html><html><head><meta charset='utf-8'><title>{esc(report.name)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>{esc(report.name)}</h1>",
        f"<p>{esc(report.agent)} on {esc(report.dataset)} · evaluation {esc(report.id)} · "
        f"evaluators: {esc(', '.join(report.evaluators))}</p>",
        _table(summary_rows(report.summaries())),
    ]
    if plot:
        parts.append(_plot(report))
    note = _runs_note(report, links)
    if note:
        parts.append(f"<p class='note'>{esc(note)}</p>")
    parts += [_strategy_section(run, s, links or {}) for s, run in enumerate(report.runs)]
    parts.append("</body></html>")
    return "\n".join(parts)


def _table(rows: list[list[str]]) -> str:
    head = "".join(f"<th>{esc(c)}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in row) + "</tr>" for row in rows[1:])
    return f"<table><tr>{head}</tr>{body}</table>"


def _plot(report: EvalReport) -> str:
    try:
        svg = accuracy_vs_calls_svg(report.summaries())
    except MissingExtra as exc:
        return f"<p class='note'>No plot: {esc(exc)}</p>"
    return f"<h2>Accuracy against compute</h2><div>{svg[svg.index('<svg') :]}</div>"


def _runs_note(report: EvalReport, links: Links | None) -> str | None:
    if not any(r.events is not None for run in report.runs for r in run.results):
        return NOT_KEPT
    return None if links else NOT_WRITTEN


def _strategy_section(run: StrategyRun, position: int, links: Links) -> str:
    summary = run.summary()
    rows = "".join(_case_row(r, links.get((position, r.index))) for r in run.results)
    columns = ("case", "", "output", "expected", "scores", "calls", "tokens", "s", "run id")
    header = "<tr>" + "".join(f"<th>{c}</th>" for c in columns) + "</tr>"
    return (
        f"<details><summary><b>{esc(run.strategy)}</b>: {summary.passed}/{summary.cases} passed</summary>"
        f"<table>{header}{rows}</table></details>"
    )


def _case_row(r: CaseResult, link: str | None) -> str:
    mark = "<span class='pass'>✓</span>" if r.passed else "<span class='fail'>✗</span>"
    output = f"<span class='fail'>{esc(r.error)}</span>" if r.error else _text(r.output)
    scores = ", ".join(f"{name} {value:.2f}" for name, value in r.scores.items())
    reasons = "".join(f"<br><span class='note'>{esc(n)}: {esc(t)}</span>" for n, t in r.reasons.items())
    return (
        f"<tr><td>{esc(r.name)}<br>{_text(r.input)}</td><td>{mark}</td><td>{output}</td><td>{_text(r.expected)}</td>"
        f"<td>{esc(scores)}{reasons}</td><td>{r.model_calls}</td><td>{r.total_tokens}</td>"
        f"<td>{r.latency_s:.2f}</td><td>{_run_cell(r.run_id or '', link)}</td></tr>"
    )


def _run_cell(run_id: str, link: str | None) -> str:
    return f"<a href='{esc(link)}'>{esc(run_id or 'run')}</a>" if link else esc(run_id)


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) <= 200:
        return f"<pre>{esc(text)}</pre>"
    shown = text[:_CUT] + (f"\n… ({len(text) - _CUT} more characters)" if len(text) > _CUT else "")
    return f"<details><summary>{esc(text[:120])}…</summary><pre>{esc(shown)}</pre></details>"
