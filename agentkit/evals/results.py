"""What an evaluation records: one :class:`CaseResult` per case and strategy, and their summary."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agentkit.evals.stats import percentile, wilson_interval

__all__ = ["CaseResult", "StrategyRun", "StrategySummary"]


class CaseResult(BaseModel):
    """One case under one strategy: the output, its scores, the compute it took, and any error."""

    model_config = ConfigDict(extra="forbid")

    index: int
    name: str
    input: Any = None
    expected: Any = None
    output: Any = None
    scores: dict[str, float] = Field(default_factory=dict)
    """Each evaluator's score (0..1), by evaluator name."""
    reasons: dict[str, str] = Field(default_factory=dict)
    """Each evaluator's explanation, when it gave one."""
    passed: bool = False
    """Every evaluator passed the output (``False`` when the run failed)."""
    error: str | None = None
    """The run's error (``"NoCandidateError: ..."``) or an evaluator's (``"evaluator 'judge' failed: ..."``);
    the scores are then empty."""
    run_id: str | None = None
    input_tokens: int = 0
    output_tokens: int = 0
    """Output tokens, reasoning included."""
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    model_calls: int = 0
    """Model requests (every branch of a strategy counts)."""
    latency_s: float = 0.0
    """Seconds the case's run took (under an allocation: its samples' runs added up)."""
    samples: int | None = None
    """Under a compute allocation: the samples (plain runs) the case was given; ``None`` otherwise."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    events: list[dict[str, Any]] | None = None
    """The run's events as JSON dicts (every branch of a strategy; no streaming deltas), for its run report;
    ``None`` when the evaluation did not keep them (``evaluate(..., keep_runs=False)``)."""

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens (reasoning included)."""
        return self.input_tokens + self.output_tokens


class StrategySummary(BaseModel):
    """A strategy's totals over the dataset: accuracy with its 95 % Wilson interval, compute, latency."""

    model_config = ConfigDict(extra="forbid")

    strategy: str
    cases: int
    passed: int
    errors: int
    accuracy: float
    ci_low: float
    ci_high: float
    input_tokens: int
    output_tokens: int
    reasoning_tokens: int
    cost_usd: float
    model_calls: int
    latency_p50_s: float
    latency_p95_s: float
    mean_scores: dict[str, float]

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens (reasoning included)."""
        return self.input_tokens + self.output_tokens


class StrategyRun(BaseModel):
    """Every case's result under one strategy, labelled as in ``--strategy`` (``none``, ``sc:8``, ...)."""

    model_config = ConfigDict(extra="forbid")

    strategy: str
    results: list[CaseResult]

    def summary(self) -> StrategySummary:
        """Totals, accuracy with its 95 % Wilson interval, and latency percentiles over the cases."""
        results = self.results
        passed = sum(r.passed for r in results)
        low, high = wilson_interval(passed, len(results))
        latencies = [r.latency_s for r in results]
        names = sorted({name for r in results for name in r.scores})
        return StrategySummary(
            strategy=self.strategy,
            cases=len(results),
            passed=passed,
            errors=sum(r.error is not None for r in results),
            accuracy=passed / len(results) if results else 0.0,
            ci_low=low,
            ci_high=high,
            input_tokens=sum(r.input_tokens for r in results),
            output_tokens=sum(r.output_tokens for r in results),
            reasoning_tokens=sum(r.reasoning_tokens for r in results),
            cost_usd=sum(r.cost_usd for r in results),
            model_calls=sum(r.model_calls for r in results),
            latency_p50_s=percentile(latencies, 50) if results else 0.0,
            latency_p95_s=percentile(latencies, 95) if results else 0.0,
            mean_scores={n: sum(r.scores.get(n, 0.0) for r in results) / len(results) for n in names},
        )
