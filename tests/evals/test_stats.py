"""The report's statistics against published values (Newcombe 1998; exact binomial tails)."""

from __future__ import annotations

import math

import pytest

from agentkit.evals import mcnemar_exact, percentile, wilson_interval


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), Table I, example (a)
        (15, 148, 0.0624, 0.1605),  # example (b)
        (0, 20, 0.0, 0.1611),  # example (c)
        (1, 29, 0.0061, 0.1718),  # example (d)
        (7, 10, 0.3968, 0.8922),
        (50, 100, 0.4038, 0.5962),
        (10, 10, 0.7225, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes: int, trials: int, low: float, high: float) -> None:
    got = wilson_interval(successes, trials)

    assert (round(got[0], 4), round(got[1], 4)) == (low, high)


def test_wilson_interval_edges() -> None:
    assert wilson_interval(0, 0) == (0.0, 1.0)
    assert wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError, match=r"successes must be between 0 and trials \(3\), got 4\."):
        wilson_interval(4, 3)


def binomial_two_sided(k: int, n: int) -> float:
    """An independent reference: sum the probabilities of every outcome no more likely than k (p = 1/2)."""
    probabilities = [math.comb(n, i) / 2**n for i in range(n + 1)]
    tail: float = sum(p for p in probabilities if p <= probabilities[k] * (1 + 1e-12))
    return min(1.0, tail)


@pytest.mark.parametrize(
    ("only_a", "only_b", "p_value"),
    [(1, 9, 0.021484375), (0, 5, 0.0625), (10, 20, 0.0987371467), (3, 3, 1.0), (0, 0, 1.0), (6, 0, 0.03125)],
)
def test_mcnemar_exact_against_known_values(only_a: int, only_b: int, p_value: float) -> None:
    assert mcnemar_exact(only_a, only_b) == pytest.approx(p_value, abs=1e-10)


@pytest.mark.parametrize(("only_a", "only_b"), [(2, 11), (7, 19), (40, 60), (13, 12)])
def test_mcnemar_exact_equals_the_two_sided_binomial_test(only_a: int, only_b: int) -> None:
    assert mcnemar_exact(only_a, only_b) == pytest.approx(binomial_two_sided(only_a, only_a + only_b), rel=1e-12)


def test_mcnemar_refuses_negative_counts() -> None:
    with pytest.raises(ValueError, match=r"counts must be >= 0, got -1 and 2\."):
        mcnemar_exact(-1, 2)


def test_percentiles_interpolate_linearly_between_ranks() -> None:
    values = [float(v) for v in range(1, 11)]

    assert (percentile(values, 50), percentile(values, 95), percentile(values, 0), percentile(values, 100)) == (
        5.5,
        9.55,
        1.0,
        10.0,
    )
    assert math.isnan(percentile([], 50))
