"""Evaluations: measure an agent, and each test-time compute strategy, on a dataset.

>>> cases = Dataset.from_jsonl("cases.jsonl")  # doctest: +SKIP
>>> evaluate_sync(agent, cases, strategies=[None, SelfConsistency(8)]).print()  # doctest: +SKIP

A :class:`Dataset` holds :class:`Case` s (input, expected, metadata). Evaluators score each output
(:class:`ExactMatch`, :class:`NumericMatch`, :class:`Contains`, :class:`PydanticValid`, a function, or a
:class:`ModelJudge`). :func:`evaluate` runs every case under every strategy concurrently; the
:class:`EvalReport` gives each strategy's accuracy with a 95 % Wilson interval, tokens (reasoning
included), cost, model calls and latency percentiles. Saved reports (``report.save()``) are listed by
``agentkit eval ls`` and compared with :func:`compare` / ``agentkit eval compare A B`` (McNemar's exact test).
``evaluate(..., allocation=ComputeOptimal(total_calls=...))`` spends a budget of model calls over the
dataset where the vote is least settled.
"""

from agentkit.evals.allocation import ComputeOptimal
from agentkit.evals.case import Case
from agentkit.evals.compare import Comparison, compare
from agentkit.evals.dataset import Dataset, RowFormat
from agentkit.evals.errors import DatasetError, EvalNotFound
from agentkit.evals.evaluators import (
    Contains,
    Evaluator,
    EvaluatorLike,
    ExactMatch,
    FunctionEvaluator,
    NumericMatch,
    PydanticValid,
    Score,
    as_evaluator,
)
from agentkit.evals.judge import ModelJudge
from agentkit.evals.report import EvalReport
from agentkit.evals.results import CaseResult, StrategyRun, StrategySummary
from agentkit.evals.run import Strategies, evaluate, evaluate_sync
from agentkit.evals.specs import parse_strategy, strategy_label
from agentkit.evals.stats import mcnemar_exact, percentile, wilson_interval
from agentkit.evals.store import SavedEval, list_reports, load_report, save_report

__all__ = [
    "Case",
    "CaseResult",
    "Comparison",
    "ComputeOptimal",
    "Contains",
    "Dataset",
    "DatasetError",
    "EvalNotFound",
    "EvalReport",
    "Evaluator",
    "EvaluatorLike",
    "ExactMatch",
    "FunctionEvaluator",
    "ModelJudge",
    "NumericMatch",
    "PydanticValid",
    "RowFormat",
    "SavedEval",
    "Score",
    "Strategies",
    "StrategyRun",
    "StrategySummary",
    "as_evaluator",
    "compare",
    "evaluate",
    "evaluate_sync",
    "list_reports",
    "load_report",
    "mcnemar_exact",
    "parse_strategy",
    "percentile",
    "save_report",
    "strategy_label",
    "wilson_interval",
]
