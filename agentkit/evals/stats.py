"""The statistics of a report, in pure Python: Wilson intervals, McNemar's exact test, percentiles."""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["Z_95", "mcnemar_exact", "percentile", "wilson_interval"]

Z_95 = 1.959963984540054
"""The two-sided 95 % quantile of the standard normal distribution."""


def wilson_interval(successes: int, trials: int, *, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval for a proportion (95 % by default); ``(0.0, 1.0)`` with no trials.

    Unlike the normal approximation it stays inside 0..1 and is sensible at 0 or n successes.
    """
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and trials ({trials}), got {successes}.")
    if trials == 0:
        return 0.0, 1.0
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    low = 0.0 if successes == 0 else centre - half
    high = 1.0 if successes == trials else centre + half
    return low, high


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided p-value of McNemar's exact test on paired pass/fail outcomes.

    ``only_a``: cases A passed and B failed; ``only_b``: the reverse. Under "A and B are equally good"
    each discordant case is a fair coin, so the p-value is the two-sided binomial tail
    ``min(1, 2 * P(X <= min(only_a, only_b)))`` with ``X ~ Binomial(only_a + only_b, 1/2)``.
    """
    if only_a < 0 or only_b < 0:
        raise ValueError(f"counts must be >= 0, got {only_a} and {only_b}.")
    n = only_a + only_b
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(only_a, only_b) + 1))
    p_value: float = min(1.0, 2 * tail / 2**n)
    return p_value


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) with linear interpolation between ranks (numpy's default);
    ``nan`` for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)
