"""Strategies written as text (``none``, ``sc:8``, ``bon:8``, ``adaptive:16``) and their labels in a report.

``bon`` (Best-of-N) needs a verifier to choose among its runs, and there is no good default: a judge
costs model calls that would be counted as the strategy's compute, and any fixed check is task-specific.
So ``bon:N`` takes the ``verifier`` given to :func:`parse_strategy` (``--verifier`` on the command line)
and is an error without one.
"""

from __future__ import annotations

from typing import Any

from agentkit.exceptions import UserError
from agentkit.strategies import BestOfN, SelfConsistency, VerifierLike

__all__ = ["STRATEGY_NAMES", "parse_strategy", "strategy_label"]

STRATEGY_NAMES = {"none": "none", "sc": "sc", "self_consistency": "sc", "bon": "bon", "best_of_n": "bon"}
"""Accepted names, each mapped to its short form. ``adaptive`` is accepted when the installed agentkit has
:class:`~agentkit.strategies.AdaptiveConsistency`."""

_ADAPTIVE = ("adaptive", "ac")


def parse_strategy(spec: str, *, verifier: VerifierLike | None = None) -> Any:
    """The strategy ``spec`` names: ``none`` (a plain run, returned as ``None``), ``sc:K``, ``bon:N``,
    ``adaptive:N`` (or ``ac:N``, :class:`~agentkit.strategies.AdaptiveConsistency` with ``max_n=N``)."""
    name, sep, number = spec.strip().lower().partition(":")
    if name in _ADAPTIVE:
        return _adaptive(spec, _count(spec, number, sep))
    short = STRATEGY_NAMES.get(name)
    if short is None:
        known = ", ".join([*STRATEGY_NAMES, "adaptive"])
        raise UserError(f"unknown strategy {spec!r}: known names are {known} (e.g. 'sc:8').")
    if short == "none":
        if sep:
            raise UserError(f"strategy {spec!r}: 'none' takes no number; write 'none'.")
        return None
    count = _count(spec, number, sep)
    if short == "sc":
        return SelfConsistency(count)
    if verifier is None:
        raise UserError(
            f"strategy {spec!r} (Best-of-N) needs a verifier to choose among its {count} runs: pass "
            "--verifier module:function (a function of the output returning bool or float), or use 'sc:N'."
        )
    return BestOfN(count, verifier=verifier)


def _count(spec: str, number: str, sep: str) -> int:
    if not sep or not number:
        raise UserError(f"strategy {spec!r} needs a number of runs, e.g. '{spec.partition(':')[0]}:8'.")
    try:
        count = int(number)
    except ValueError:
        raise UserError(
            f"strategy {spec!r}: {number!r} is not a whole number; write e.g. '{spec.partition(':')[0]}:8'."
        ) from None
    if count < 1:
        raise UserError(f"strategy {spec!r}: the number of runs must be at least 1, got {count}.")
    return count


def _adaptive(spec: str, max_n: int) -> Any:
    from agentkit import strategies

    adaptive = getattr(strategies, "AdaptiveConsistency", None)
    if adaptive is None:
        raise UserError(f"strategy {spec!r}: this agentkit has no AdaptiveConsistency; use 'sc:N'.")
    return adaptive(max_n=max_n)


def strategy_label(strategy: Any) -> str:
    """The short label of a strategy in a report: ``none``, ``sc:8``, ``bon:8``, ``adaptive:16``, else its name."""
    if strategy is None:
        return "none"
    if isinstance(strategy, SelfConsistency):
        return f"sc:{strategy.k}"
    if isinstance(strategy, BestOfN):
        return f"bon:{strategy.n}"
    max_n = getattr(strategy, "max_n", None)
    if type(strategy).__name__ == "AdaptiveConsistency" and isinstance(max_n, int):
        return f"adaptive:{max_n}"
    return str(getattr(strategy, "name", type(strategy).__name__))
