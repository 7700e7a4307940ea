"""``agentkit eval``: evaluate an agent on a dataset under several strategies, list and compare evaluations.

``agentkit eval cases.jsonl --agent myagents:solver --strategy none --strategy sc:8`` runs the evaluation
(``agentkit eval run ...`` is the same), ``agentkit eval ls`` lists the saved ones,
``agentkit eval compare A B`` tests two of them against each other case by case, and
``agentkit eval view A`` writes an HTML page of one.
"""

from __future__ import annotations

import datetime
import webbrowser
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from typer.core import TyperGroup

from agentkit._cli.loading import CliInputError, import_object, load_agent, load_model
from agentkit.evals import (
    Comparison,
    Contains,
    Dataset,
    EvalNotFound,
    EvalReport,
    Evaluator,
    ExactMatch,
    ModelJudge,
    NumericMatch,
    as_evaluator,
    compare,
    evaluate_sync,
    list_reports,
    load_report,
    parse_strategy,
    save_report,
)
from agentkit.exceptions import AgentkitError, UserError
from agentkit.redaction import redact_text
from agentkit.usage import Budget

__all__ = ["eval_app", "register_eval_commands"]

EXIT_USAGE = 2
EVALUATORS: dict[str, type[Evaluator]] = {"exact": ExactMatch, "numeric": NumericMatch, "contains": Contains}


class _RunByDefault(TyperGroup):
    """``agentkit eval FILE ...`` means ``agentkit eval run FILE ...``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # typer.Context (typer vendors click)
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=_RunByDefault,
    help="Evaluate an agent on a dataset under several strategies; list and compare evaluations.",
    no_args_is_help=True,
)


def register_eval_commands(app: typer.Typer) -> None:
    """Add ``eval`` to the ``agentkit`` app."""
    app.add_typer(eval_app, name="eval")


def _fail(error: Exception, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"error: {redact_text(str(error))}", err=True)
    return typer.Exit(code)


def _evaluator(spec: str) -> Evaluator:
    known = EVALUATORS.get(spec)
    if known is not None:
        return known()
    if spec.startswith("judge:"):
        return ModelJudge(load_model(spec.removeprefix("judge:")))
    if ":" not in spec:
        raise CliInputError(
            f"--evaluator {spec!r}: unknown; use {', '.join(EVALUATORS)}, judge:MODEL or module:function "
            "(a function (case, output) -> bool | float)."
        )
    return as_evaluator(import_object(spec, "--evaluator"))


def _budget(max_turns: int | None, max_tokens: int | None, max_cost: float | None) -> Budget | None:
    if max_turns is None and max_tokens is None and max_cost is None:
        return None
    return Budget(max_turns=max_turns, max_tokens=max_tokens, max_cost_usd=max_cost)


@eval_app.command("run")
def run_eval(
    dataset: Annotated[Path, typer.Argument(help="A JSONL or CSV file of cases.")],
    *,
    agent: Annotated[str, typer.Option("--agent", "-a", help="module:attribute naming an Agent (or a factory).")],
    strategy: Annotated[
        list[str] | None,
        typer.Option("--strategy", "-s", help="none, sc:K, bon:N (needs --verifier) or adaptive:N; repeatable."),
    ] = None,
    evaluator: Annotated[
        list[str] | None,
        typer.Option(
            "--evaluator",
            "-e",
            help="exact (default), numeric, contains, judge:MODEL (a model grading against the expected answer) "
            "or module:function; repeatable.",
        ),
    ] = None,
    verifier: Annotated[
        str | None, typer.Option("--verifier", help="module:function choosing Best-of-N's answer (output -> score).")
    ] = None,
    input_field: Annotated[str, typer.Option(help="The column holding each case's input.")] = "input",
    expected_field: Annotated[str, typer.Option(help="The column holding the expected answer.")] = "expected",
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N cases.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Most case runs at once.")] = 8,
    max_turns: Annotated[int | None, typer.Option(min=1, help="Budget of each case: most model requests.")] = None,
    max_tokens: Annotated[int | None, typer.Option(min=1, help="Budget of each case: most tokens.")] = None,
    max_cost: Annotated[float | None, typer.Option(min=0.0, help="Budget of each case: most US dollars.")] = None,
    name: Annotated[str | None, typer.Option(help="A name for this evaluation (default: the file's).")] = None,
    save: Annotated[bool, typer.Option(help="Save the evaluation for 'agentkit eval ls' and 'compare'.")] = True,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the whole report to this file.")] = None,
    progress: Annotated[bool | None, typer.Option(help="Show a progress bar (default: on a terminal).")] = None,
    keep_runs: Annotated[
        bool, typer.Option(help="Keep each case run's events, for its run report in 'agentkit eval view'.")
    ] = True,
    db: Annotated[str | None, typer.Option("--db", envvar="AGENTKIT_DB", help="Run database to save to.")] = None,
) -> None:
    """Run every case under every strategy, print the table, and save the evaluation."""
    try:
        built = load_agent(agent)
        check = import_object(verifier, "--verifier") if verifier else None
        strategies = [parse_strategy(s, verifier=check) for s in strategy or ["none"]]
        scorers = [_evaluator(e) for e in evaluator or ["exact"]]
        cases = Dataset.from_file(dataset, input_field=input_field, expected_field=expected_field, limit=limit)
        budget = _budget(max_turns, max_tokens, max_cost)
    except (CliInputError, UserError) as exc:
        raise _fail(exc) from None
    try:
        report = evaluate_sync(
            built, cases, strategies=strategies, evaluators=scorers, concurrency=concurrency, budget=budget,
            progress=progress, name=name, keep_runs=keep_runs,
        )  # fmt: skip
    except AgentkitError as exc:
        raise _fail(exc, 1) from None
    _finish(report, save=save, json_path=json_path, db=db)


def _finish(report: EvalReport, *, save: bool, json_path: Path | None, db: str | None) -> None:
    report.print(Console(highlight=False))
    if json_path is not None:
        typer.echo(f"Report written to {report.write_json(json_path)}", err=True)
    if save:
        where = save_report(report, db=db)
        typer.echo(f"Saved evaluation {report.id} to {where}.", err=True)


@eval_app.command("ls")
def list_evals(
    db: Annotated[str | None, typer.Option("--db", envvar="AGENTKIT_DB", help="Run database to read.")] = None,
) -> None:
    """List saved evaluations, newest first."""
    saved = list_reports(db=db)
    if not saved:
        typer.echo("No saved evaluations. Run one with: agentkit eval cases.jsonl --agent module:agent")
        return
    rows = [["ID", "NAME", "AGENT", "CASES", "STRATEGIES", "CREATED"]]
    rows += [[s.id, s.name, s.agent, str(s.cases), ",".join(s.strategies), _when(s.created_at)] for s in saved]
    for line in _aligned(rows):
        typer.echo(line)


def _when(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]


@eval_app.command("view")
def view_eval(
    ref: Annotated[str, typer.Argument(help="An evaluation id (or a report JSON file).")],
    *,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Where to write the HTML.")] = None,
    db: Annotated[str | None, typer.Option("--db", envvar="AGENTKIT_DB", help="Run database to read.")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a web browser.")] = False,
) -> None:
    """Write an HTML page of an evaluation: the table, accuracy against compute, and every case, linked to its
    run report (written beside the page, in <page>-runs/, when the evaluation kept its runs)."""
    try:
        report = load_report(ref, db=db)
    except EvalNotFound as exc:
        raise _fail(exc, 1) from None
    path = report.save_html(output or Path(f"{report.id}.html"))
    typer.echo(f"Report written to {path}", err=True)
    if open_browser:
        webbrowser.open(path.resolve().as_uri())


@eval_app.command("compare")
def compare_evals(
    a: Annotated[str, typer.Argument(help="An evaluation id (or a report JSON file): the baseline.")],
    b: Annotated[str, typer.Argument(help="The evaluation to compare with it.")],
    *,
    strategy_a: Annotated[str | None, typer.Option(help="The strategy of A to compare.")] = None,
    strategy_b: Annotated[str | None, typer.Option(help="The strategy of B to compare.")] = None,
    db: Annotated[str | None, typer.Option("--db", envvar="AGENTKIT_DB", help="Run database to read.")] = None,
) -> None:
    """Compare two evaluations case by case (McNemar's exact test on pass/fail)."""
    try:
        first, second = load_report(a, db=db), load_report(b, db=db)
        comparisons = compare(first, second, strategy_a=strategy_a, strategy_b=strategy_b)
    except EvalNotFound as exc:
        raise _fail(exc, 1) from None
    except UserError as exc:
        raise _fail(exc) from None
    typer.echo(f"A: {first.id} ({first.name}, {first.agent})")
    typer.echo(f"B: {second.id} ({second.name}, {second.agent})")
    for comparison in comparisons:
        for line in _comparison_lines(comparison):
            typer.echo(line)


def _comparison_lines(c: Comparison) -> list[str]:
    delta = (c.accuracy_b - c.accuracy_a) * 100
    verdict = "significant at 0.05" if c.p_value < 0.05 else "not significant at 0.05"
    return [
        f"{c.strategy_a} vs {c.strategy_b} on {c.cases} paired cases:",
        f"  accuracy {c.accuracy_a:.1%} -> {c.accuracy_b:.1%} ({delta:+.1f} points)",
        f"  passed only by A: {c.only_a}, only by B: {c.only_b}",
        f"  McNemar exact test: p = {c.p_value:.4g} ({verdict})",
        f"  model calls {c.calls_a} -> {c.calls_b}",
    ]
