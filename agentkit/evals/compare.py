"""Comparing two evaluations case by case: McNemar's exact test on paired pass/fail outcomes."""

from __future__ import annotations

from dataclasses import dataclass

from agentkit.evals.report import EvalReport
from agentkit.evals.results import StrategyRun
from agentkit.evals.stats import mcnemar_exact
from agentkit.exceptions import UserError

__all__ = ["Comparison", "compare"]


@dataclass(frozen=True)
class Comparison:
    """One strategy of report A against one of report B, over the cases both ran."""

    strategy_a: str
    strategy_b: str
    cases: int
    accuracy_a: float
    accuracy_b: float
    only_a: int
    """Cases A passed and B failed."""
    only_b: int
    """Cases B passed and A failed."""
    p_value: float
    """Two-sided McNemar exact test: how surprising the split of ``only_a`` / ``only_b`` would be if A and B
    were equally accurate. Small (< 0.05) means the difference is unlikely to be chance."""
    calls_a: int
    calls_b: int


def compare(
    a: EvalReport, b: EvalReport, *, strategy_a: str | None = None, strategy_b: str | None = None
) -> list[Comparison]:
    """Pair the strategies of ``a`` and ``b`` and test each pair.

    With ``strategy_a`` and ``strategy_b`` that one pair; otherwise every strategy label both reports have;
    otherwise, when each report has exactly one strategy, those two. Cases are paired by name.
    """
    pairs = _pairs(a, b, strategy_a, strategy_b)
    return [_compared(a.run(x), b.run(y), a.id, b.id) for x, y in pairs]


def _pairs(a: EvalReport, b: EvalReport, strategy_a: str | None, strategy_b: str | None) -> list[tuple[str, str]]:
    if strategy_a is not None or strategy_b is not None:
        return [(strategy_a or _only(a), strategy_b or _only(b))]
    common = [s for s in a.strategies if s in b.strategies]
    if common:
        return [(s, s) for s in common]
    if len(a.runs) == 1 and len(b.runs) == 1:
        return [(a.strategies[0], b.strategies[0])]
    raise UserError(
        f"evaluations {a.id!r} ({', '.join(a.strategies)}) and {b.id!r} ({', '.join(b.strategies)}) share no "
        "strategy; name the two to compare (--strategy-a, --strategy-b)."
    )


def _only(report: EvalReport) -> str:
    if len(report.runs) != 1:
        raise UserError(f"evaluation {report.id!r} has several strategies ({', '.join(report.strategies)}); name one.")
    return report.strategies[0]


def _compared(x: StrategyRun, y: StrategyRun, a_id: str, b_id: str) -> Comparison:
    passed_a = {r.name: r.passed for r in x.results}
    passed_b = {r.name: r.passed for r in y.results}
    names = [n for n in passed_a if n in passed_b]
    if not names:
        raise UserError(f"evaluations {a_id!r} and {b_id!r} have no case in common (cases are paired by name).")
    only_a = sum(passed_a[n] and not passed_b[n] for n in names)
    only_b = sum(passed_b[n] and not passed_a[n] for n in names)
    return Comparison(
        strategy_a=x.strategy,
        strategy_b=y.strategy,
        cases=len(names),
        accuracy_a=sum(passed_a[n] for n in names) / len(names),
        accuracy_b=sum(passed_b[n] for n in names) / len(names),
        only_a=only_a,
        only_b=only_b,
        p_value=mcnemar_exact(only_a, only_b),
        calls_a=sum(r.model_calls for r in x.results if r.name in passed_b),
        calls_b=sum(r.model_calls for r in y.results if r.name in passed_a),
    )
