"""The HTML page of an evaluation: table, plot (matplotlib), every case, escaping; and ``agentkit eval view``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit import Agent
from agentkit.cli import app
from agentkit.evals import Case, Dataset, evaluate
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, text

from ._agents import make_solver, scripted_cases


async def test_the_page_has_the_table_the_plot_and_every_case() -> None:
    report = await evaluate(make_solver(), scripted_cases(), strategies=[None, SelfConsistency(3)], progress=False)

    page = report.to_html()

    assert "<td>70.0% (39.7%-89.2%)</td>" in page and "<td>80.0% (49.0%-94.3%)</td>" in page
    assert page.count("<svg") == 1 and "model calls per case (mean)" in page
    assert "<b>sc:3</b>: 8/10 passed" in page
    assert page.count("<span class='fail'>✗</span>") == 3 + 2
    assert f"<td>{report.id}-none-6</td>" in page


async def test_case_content_is_escaped_and_long_outputs_fold() -> None:
    cases = Dataset([Case("<script>alert(1)</script>", "x" * 3000)])

    page = (await evaluate(make_solver_for_text(), cases, progress=False)).to_html(plot=False)

    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "… (1000 more characters)" in page
    assert "<svg" not in page


def make_solver_for_text() -> Agent[None, str]:
    return Agent(FunctionModel(lambda messages, info: text("y" * 10)))


async def test_without_matplotlib_the_page_says_which_extra_adds_the_plot(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    report = await evaluate(make_solver(), scripted_cases()[:2], progress=False)

    page = report.to_html()

    assert (
        "<p class='note'>No plot: The accuracy-vs-compute plot of an evaluation needs the optional dependency "
        "&#x27;matplotlib&#x27;, which is not installed. Install it with: pip install &#x27;agentkit[plot]&#x27;</p>"
    ) in page


async def test_eval_view_writes_the_page(tmp_path: Path) -> None:
    report = await evaluate(make_solver(), scripted_cases(), progress=False, eval_id="eval-v")
    report.save()
    out = tmp_path / "page.html"

    result = CliRunner().invoke(app, ["eval", "view", "eval-v", "-o", str(out)])

    assert (result.exit_code, result.stderr) == (0, f"Report written to {out}\n")
    (tmp_path / "direct").mkdir()
    assert out.read_text() == report.save_html(tmp_path / "direct" / "page.html").read_text()
