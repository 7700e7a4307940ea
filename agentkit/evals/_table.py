"""The summary table of a report as rows of text (shared by the rich table and the plain fallback)."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.evals.results import StrategySummary

__all__ = ["HEADER", "summary_rows"]

HEADER = ["strategy", "accuracy (95% CI)", "passed", "errors", "tokens", "reasoning", "cost $", "calls", "p50/p95 s"]


def summary_rows(summaries: Sequence[StrategySummary]) -> list[list[str]]:
    """The header, then one row per strategy."""
    rows = [list(HEADER)]
    for s in summaries:
        rows.append(
            [
                s.strategy,
                f"{s.accuracy:.1%} ({s.ci_low:.1%}-{s.ci_high:.1%})",
                f"{s.passed}/{s.cases}",
                str(s.errors),
                f"{s.total_tokens:,}",
                f"{s.reasoning_tokens:,}",
                f"{s.cost_usd:.4f}",
                str(s.model_calls),
                f"{s.latency_p50_s:.2f}/{s.latency_p95_s:.2f}",
            ]
        )
    return rows
