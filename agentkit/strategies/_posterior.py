"""The Beta stopping rule of Adaptive-Consistency (Aggarwal et al. 2023), computed exactly.

With ``top`` votes for the leading answer and ``second`` for the runner-up, the leader's share of the
two, ``p``, has the posterior ``Beta(top + 1, second + 1)`` (uniform prior). Sampling stops when
``P(p > 1/2)`` reaches a threshold. For integer parameters the regularized incomplete beta function
is a binomial tail, ``I_x(a, b) = P(Binomial(a + b - 1, x) >= a)``, so everything here is a finite
sum in exact integer arithmetic, rounded once to a float.
"""

from __future__ import annotations

import math
from fractions import Fraction

__all__ = ["beta_cdf", "leader_confidence", "samples_needed"]


def beta_cdf(x: float, a: int, b: int) -> float:
    """``I_x(a, b)``: the probability that a ``Beta(a, b)`` variable is at most ``x`` (integers ``a, b >= 1``)."""
    if a < 1 or b < 1:
        raise ValueError(f"beta_cdf needs integer a >= 1 and b >= 1, got a={a}, b={b}.")
    if not 0.0 <= x <= 1.0:
        raise ValueError(f"beta_cdf needs 0 <= x <= 1, got x={x}.")
    exact = Fraction(x)  # a float is a binary fraction: p / q exactly
    p, q = exact.numerator, exact.denominator
    n = a + b - 1
    upper: int = sum(math.comb(n, j) * p**j * (q - p) ** (n - j) for j in range(a, n + 1))
    whole: int = q**n
    return upper / whole  # int / int rounds once, correctly


def leader_confidence(top: int, second: int) -> float:
    """``P(p > 1/2)`` for ``p ~ Beta(top + 1, second + 1)``: how sure the vote is that the leader beats the runner-up.

    Equals ``1 - I_{1/2}(top + 1, second + 1) = P(Binomial(top + second + 1, 1/2) <= top)``.
    """
    if top < 0 or second < 0:
        raise ValueError(f"leader_confidence needs vote counts >= 0, got top={top}, second={second}.")
    n = top + second + 1
    return sum(math.comb(n, j) for j in range(top + 1)) / (1 << n)


def samples_needed(top: int, second: int, threshold: float, limit: int) -> int | None:
    """The fewest further votes (all for the leader) that bring :func:`leader_confidence` to ``threshold``.

    ``0`` if it is there already; ``None`` if more than ``limit`` votes would be needed. No sequence of
    fewer votes can reach the threshold, since votes for any other answer only lower the confidence.
    """
    for extra in range(limit + 1):
        if leader_confidence(top + extra, second) >= threshold:
            return extra
    return None
