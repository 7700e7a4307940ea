"""The report of an evaluation: every strategy's case results, summaries, printing and JSON."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from agentkit.evals._table import summary_rows
from agentkit.evals.errors import EvalNotFound
from agentkit.evals.results import CaseResult, StrategyRun, StrategySummary

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["EvalReport"]


class EvalReport(BaseModel):
    """What :func:`~agentkit.evals.evaluate` returns: per strategy, every case's result.

    ``summaries()`` gives each strategy's accuracy (95 % Wilson interval), tokens, cost, model calls and
    latency percentiles; ``print()`` shows them as a table; ``to_dict()`` / ``to_json()`` serialise the
    whole report and ``EvalReport.from_dict`` reads it back. ``save()`` stores it for ``agentkit eval ls``
    and ``agentkit eval compare``.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    name: str
    dataset: str
    agent: str
    created_at: float
    evaluators: list[str]
    runs: list[StrategyRun]

    @property
    def strategies(self) -> list[str]:
        """The strategy labels, in the order they were evaluated."""
        return [run.strategy for run in self.runs]

    def run(self, strategy: str) -> StrategyRun:
        """The results of one strategy, by label (``"none"``, ``"sc:8"``...)."""
        for run in self.runs:
            if run.strategy == strategy:
                return run
        raise EvalNotFound(f"evaluation {self.id!r} has no strategy {strategy!r}; it has {', '.join(self.strategies)}.")

    def results(self, strategy: str) -> list[CaseResult]:
        """Every case's result under ``strategy``."""
        return self.run(strategy).results

    def summaries(self) -> list[StrategySummary]:
        """One summary per strategy, in order."""
        return [run.summary() for run in self.runs]

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-compatible data (summaries included, for readers of the file)."""
        data = self.model_dump(mode="json")
        data["summaries"] = [s.model_dump(mode="json") for s in self.summaries()]
        return data

    def to_json(self, *, indent: int | None = None) -> str:
        """:meth:`to_dict` as JSON text."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EvalReport:
        """Read back :meth:`to_dict` (the derived summaries are ignored)."""
        return cls.model_validate({k: v for k, v in data.items() if k != "summaries"})

    def print(self, console: Console | None = None) -> None:
        """Print the summary table (with rich when installed, else as plain text)."""
        rows = summary_rows(self.summaries())
        title = f"{self.name}: {self.agent} on {self.dataset} ({self.id})"
        try:
            from rich.console import Console as RichConsole
            from rich.table import Table
        except ModuleNotFoundError:
            print(title)
            for row in rows:
                print("  ".join(row))
            return
        table = Table(title=title)
        for heading in rows[0]:
            table.add_column(heading, no_wrap=True)
        for row in rows[1:]:
            table.add_row(*row)
        console = console or RichConsole()
        needed = sum(max(len(row[i]) for row in rows) + 3 for i in range(len(rows[0]))) + 1
        if not console.is_terminal and console.width < needed:  # a pipe or a file: don't fold the table
            console.width = needed
        console.print(table)

    def to_html(self, *, plot: bool = True) -> str:
        """A self-contained HTML page: the table, the accuracy-vs-compute plot (needs matplotlib, the ``plot``
        extra; without it a note says so) and every case's result per strategy. :meth:`save_html` also writes
        each case's run report and links the cases to them."""
        from agentkit.evals.html import render_html

        return render_html(self, plot=plot)

    def save_html(self, path: str | Path, *, plot: bool = True) -> Path:
        """Write :meth:`to_html` to ``path`` and, for the runs kept (``evaluate(..., keep_runs=True)``), each case's
        run report (the page ``agentkit view`` writes) to ``<path stem>-runs/<strategy>/<case index>.html``,
        linked from the case's run id. Returns ``path``."""
        from agentkit.evals._runs import write_run_pages
        from agentkit.evals.html import render_html

        target = Path(path)
        links = write_run_pages(self, target)
        target.write_text(render_html(self, plot=plot, links=links), encoding="utf-8")
        return target

    def plot_svg(self) -> str:
        """The accuracy-vs-compute plot alone, as SVG text: each strategy's accuracy (with its 95 % interval)
        against its mean model calls per case. Needs matplotlib (the ``plot`` extra); without it raises
        :class:`~agentkit.exceptions.MissingExtra`. In a notebook: ``IPython.display.SVG(report.plot_svg())``."""
        from agentkit.evals._plot import accuracy_vs_calls_svg

        return accuracy_vs_calls_svg(self.summaries())

    def save(self, *, db: str | None = None) -> str:
        """Store the report (see :func:`~agentkit.evals.store.save_report`); returns where it went."""
        from agentkit.evals.store import save_report

        return save_report(self, db=db)

    def write_json(self, path: str | Path) -> Path:
        """Write :meth:`to_json` to ``path``."""
        target = Path(path)
        target.write_text(self.to_json(indent=2), encoding="utf-8")
        return target
