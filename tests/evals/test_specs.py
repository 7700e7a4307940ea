"""Strategies written as text, and their labels in a report."""

from __future__ import annotations

import pytest

from agentkit.evals import parse_strategy, strategy_label
from agentkit.exceptions import UserError
from agentkit.strategies import BestOfN, SelfConsistency


def test_specs_build_strategies_with_matching_labels() -> None:
    sc = parse_strategy("sc:8")
    long_sc = parse_strategy(" Self_Consistency:3 ")
    bon = parse_strategy("bon:4", verifier=lambda output: output == "42")

    assert parse_strategy("none") is None
    assert isinstance(sc, SelfConsistency) and sc.k == 8
    assert isinstance(long_sc, SelfConsistency) and long_sc.k == 3
    assert isinstance(bon, BestOfN) and bon.n == 4
    assert [strategy_label(s) for s in (None, sc, bon)] == ["none", "sc:8", "bon:4"]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            "mcts:4",
            "unknown strategy 'mcts:4': known names are none, sc, self_consistency, bon, best_of_n, adaptive "
            "(e.g. 'sc:8').",
        ),
        ("sc", "strategy 'sc' needs a number of runs, e.g. 'sc:8'."),
        ("sc:", "strategy 'sc:' needs a number of runs, e.g. 'sc:8'."),
        ("sc:eight", "strategy 'sc:eight': 'eight' is not a whole number; write e.g. 'sc:8'."),
        ("sc:0", "strategy 'sc:0': the number of runs must be at least 1, got 0."),
        ("none:2", "strategy 'none:2': 'none' takes no number; write 'none'."),
        (
            "bon:8",
            "strategy 'bon:8' (Best-of-N) needs a verifier to choose among its 8 runs: pass --verifier module:function "
            "(a function of the output returning bool or float), or use 'sc:N'.",
        ),
    ],
)
def test_bad_specs_say_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_strategy(spec)

    assert str(caught.value) == message


def test_adaptive_uses_adaptive_consistency_when_this_agentkit_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    import agentkit.strategies

    class AdaptiveConsistency:
        name = "adaptive_consistency"

        def __init__(self, *, max_n: int) -> None:
            self.max_n = max_n

    monkeypatch.setattr(agentkit.strategies, "AdaptiveConsistency", AdaptiveConsistency, raising=False)
    strategy = parse_strategy("adaptive:16")

    assert (type(strategy), strategy.max_n, strategy_label(strategy)) == (AdaptiveConsistency, 16, "adaptive:16")
    monkeypatch.delattr(agentkit.strategies, "AdaptiveConsistency")
    with pytest.raises(UserError, match=r"^strategy 'ac:4': this agentkit has no AdaptiveConsistency; use 'sc:N'\.$"):
        parse_strategy("ac:4")


@pytest.mark.parametrize(("spec", "max_n"), [("ac:4", 4), (" Adaptive:16 ", 16)])
def test_adaptive_and_ac_build_the_real_adaptive_consistency(spec: str, max_n: int) -> None:
    from agentkit.strategies import AdaptiveConsistency

    strategy = parse_strategy(spec)

    assert isinstance(strategy, AdaptiveConsistency)
    assert (strategy.max_n, strategy_label(strategy)) == (max_n, f"adaptive:{max_n}")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("ac", "strategy 'ac' needs a number of runs, e.g. 'ac:8'."),
        ("adaptive:", "strategy 'adaptive:' needs a number of runs, e.g. 'adaptive:8'."),
        ("ac:0", "strategy 'ac:0': the number of runs must be at least 1, got 0."),
        ("ac:many", "strategy 'ac:many': 'many' is not a whole number; write e.g. 'ac:8'."),
    ],
)
def test_bad_adaptive_specs_say_what_to_write(spec: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_strategy(spec)

    assert str(caught.value) == message
