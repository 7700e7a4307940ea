"""``EvalReport.plot_svg()``: the accuracy-vs-compute plot alone (for notebooks), and its missing-extra error."""

from __future__ import annotations

import sys

import pytest

from agentkit.evals import evaluate
from agentkit.exceptions import MissingExtra
from agentkit.strategies import SelfConsistency

from ._agents import make_solver, scripted_cases


async def test_the_svg_plots_every_strategy_and_is_the_one_in_the_html_page() -> None:
    report = await evaluate(make_solver(), scripted_cases(), strategies=[None, SelfConsistency(3)], progress=False)

    svg = report.plot_svg()

    assert svg.count("<svg") == 1 and "model calls per case (mean)" in svg
    assert "accuracy, % (95% interval)" in svg and "<!-- none -->" in svg and "<!-- sc:3 -->" in svg
    assert svg[svg.index("<svg") :] in report.to_html()


async def test_without_matplotlib_plot_svg_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    report = await evaluate(make_solver(), scripted_cases()[:2], progress=False)

    with pytest.raises(MissingExtra) as caught:
        report.plot_svg()

    assert str(caught.value) == (
        "The accuracy-vs-compute plot of an evaluation needs the optional dependency 'matplotlib', which is not "
        "installed. Install it with: pip install 'agentkit[plot]'"
    )
