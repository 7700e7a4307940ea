"""The accuracy-vs-compute plot of a report, as SVG text (matplotlib, an optional dependency)."""

from __future__ import annotations

import io
from collections.abc import Sequence

from agentkit._extras import require
from agentkit.evals.results import StrategySummary

__all__ = ["FEATURE", "accuracy_vs_calls_svg"]

FEATURE = "The accuracy-vs-compute plot of an evaluation"


def accuracy_vs_calls_svg(summaries: Sequence[StrategySummary]) -> str:
    """Accuracy (with its 95 % interval) against mean model calls per case, one point per strategy.

    Raises :class:`~agentkit.exceptions.MissingExtra` without matplotlib (the ``plot`` extra).
    """
    matplotlib = require("matplotlib", "plot", FEATURE)
    with matplotlib.rc_context({"svg.hashsalt": "agentkit"}):  # the same ids in the SVG every time
        return _svg(summaries)


def _svg(summaries: Sequence[StrategySummary]) -> str:
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    figure = Figure(figsize=(6.4, 4.0))
    axes = figure.subplots()
    for s in summaries:
        calls = s.model_calls / s.cases if s.cases else 0.0
        below, above = s.accuracy - s.ci_low, s.ci_high - s.accuracy
        axes.errorbar([calls], [s.accuracy * 100], yerr=[[below * 100], [above * 100]], fmt="o", capsize=4)
        axes.annotate(s.strategy, (calls, s.accuracy * 100), textcoords="offset points", xytext=(6, 6))
    axes.set_xlabel("model calls per case (mean)")
    axes.set_ylabel("accuracy, % (95% interval)")
    axes.set_ylim(0, 100)
    most = max((s.model_calls / s.cases for s in summaries if s.cases), default=1.0)
    axes.set_xlim(0, most * 1.2 + 0.5)  # room for the labels
    axes.grid(alpha=0.3)
    figure.tight_layout()
    out = io.StringIO()
    figure.savefig(out, format="svg", metadata={"Date": None})
    return out.getvalue()
