"""Drill-down: each evaluated case's run report, written beside the evaluation's page and linked from it."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from agentkit import Agent
from agentkit.cli import app
from agentkit.evals import Case, ComputeOptimal, Dataset, evaluate, load_report
from agentkit.evals.html import NOT_KEPT, NOT_WRITTEN
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, RecordedRequest, text

from ._agents import SCRIPT, make_solver, question, scripted_cases


def _answer(i: int) -> str:
    return str(10 * i if SCRIPT[i][0] == "right" else 10 * i + 1)


async def test_each_case_links_to_its_own_run_report(tmp_path: Path) -> None:
    report = await evaluate(make_solver(), scripted_cases(), progress=False, eval_id="eval-d")

    index = report.save_html(tmp_path / "index.html")

    page = index.read_text()
    assert NOT_WRITTEN not in page and NOT_KEPT not in page
    for i in range(10):
        assert f"<td><a href='index-runs/none/{i}.html'>eval-d-none-{i}</a></td>" in page
        run_page = (tmp_path / "index-runs" / "none" / f"{i}.html").read_text()
        assert f"<title>agentkit run eval-d-none-{i}</title>" in run_page
        assert f"<h2>Task</h2><pre>q {i}</pre><h2>Answer</h2><pre>{_answer(i)}</pre>" in run_page
        assert '<a href="../../index.html">&larr; evaluation eval-d</a>' in run_page
    assert sorted(p.name for p in (tmp_path / "index-runs" / "none").iterdir()) == sorted(
        f"{i}.html" for i in range(10)
    )


async def test_a_strategy_case_report_shows_its_branches(tmp_path: Path) -> None:
    report = await evaluate(make_solver(), scripted_cases(), strategies=[None, SelfConsistency(3)], progress=False)

    page = report.save_html(tmp_path / "e.html").read_text()

    assert f"<td><a href='e-runs/sc3/6.html'>{report.id}-sc3-6</a></td>" in page
    run_page = (tmp_path / "e-runs" / "sc3" / "6.html").read_text()
    assert "<h2>Task</h2><pre>q 6</pre><h2>Answer</h2><pre>60</pre>" in run_page
    assert (
        '<tr class="chosen"><td><code>0</code></td><td>self_consistency</td><td>chosen</td><td>0.667</td>'
        "<td>answer &quot;60&quot; won 2 of 3 votes (67%)</td></tr>"
    ) in run_page
    assert "<td><code>2</code></td><td>self_consistency</td>" in run_page


def _failing_on_case_1(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
    if question(messages) == 1:
        raise RuntimeError("the model fell over")
    return text("0")


async def test_a_failed_case_links_to_what_happened_up_to_the_failure(tmp_path: Path) -> None:
    agent = Agent(FunctionModel(_failing_on_case_1, name="flaky"), name="flaky")
    report = await evaluate(agent, scripted_cases()[:2], progress=False, eval_id="eval-f")
    failed = report.results("none")[1]
    assert failed.error == "RuntimeError: the model fell over"

    page = report.save_html(tmp_path / "f.html").read_text()

    assert "<td><a href='f-runs/none/1.html'>eval-f-none-1</a></td>" in page
    run_page = (tmp_path / "f-runs" / "none" / "1.html").read_text()
    assert "<title>agentkit run eval-f-none-1</title>" in run_page
    assert "<pre>q 1</pre>" in run_page and "RuntimeError: the model fell over" in run_page


async def test_without_kept_runs_the_page_has_no_links_and_says_why(tmp_path: Path) -> None:
    report = await evaluate(make_solver(), scripted_cases(), progress=False, keep_runs=False)
    assert all(r.events is None for r in report.results("none"))

    page = report.save_html(tmp_path / "n.html").read_text()

    assert NOT_KEPT == (
        "Run reports were not kept for this evaluation (evaluate(..., keep_runs=False)); each case shows its run id."
    )
    assert f"<p class='note'>{NOT_KEPT}</p>" in page
    assert "<a href" not in page and f"<td>{report.id}-none-0</td>" in page
    assert not (tmp_path / "n-runs").exists()


async def test_the_page_alone_says_how_to_write_the_run_reports() -> None:
    report = await evaluate(make_solver(), scripted_cases()[:2], progress=False)

    page = report.to_html(plot=False)

    assert (
        "<p class='note'>Each case&#x27;s run report is written beside this page by report.save_html(path) or "
        "&#x27;agentkit eval view&#x27;.</p>"
    ) in page
    assert "<a href" not in page


async def test_an_allocation_case_links_to_its_chosen_sample(tmp_path: Path) -> None:
    allocation = ComputeOptimal(total_calls=30)
    report = await evaluate(make_solver(), scripted_cases(), strategies=[], allocation=allocation, progress=False)
    result = report.results(allocation.label)[6]

    page = report.save_html(tmp_path / "a.html").read_text()

    folder = allocation.label.replace(":", "")
    assert f"<td><a href='a-runs/{folder}/6.html'>{result.run_id}</a></td>" in page
    run_page = (tmp_path / "a-runs" / folder / "6.html").read_text()
    assert f"<title>agentkit run {result.run_id}</title>" in run_page
    assert f"<h2>Answer</h2><pre>{result.output}</pre>" in run_page


async def test_eval_view_writes_the_run_reports_of_a_saved_evaluation(tmp_path: Path) -> None:
    cases = Dataset([Case("q 0", 0), Case("q 9", 90)])
    report = await evaluate(make_solver(), cases, progress=False, eval_id="eval-s")
    report.save()
    assert load_report("eval-s").results("none")[1].events == report.results("none")[1].events
    out = tmp_path / "view.html"

    result = CliRunner().invoke(app, ["eval", "view", "eval-s", "-o", str(out)])

    assert (result.exit_code, result.stderr) == (0, f"Report written to {out}\n")
    assert "<td><a href='view-runs/none/1.html'>eval-s-none-1</a></td>" in out.read_text()
    assert "<h2>Task</h2><pre>q 9</pre><h2>Answer</h2><pre>91</pre>" in (tmp_path / "view-runs/none/1.html").read_text()


def test_eval_run_keeps_runs_unless_told_not_to(tmp_path: Path) -> None:
    cases = tmp_path / "cases.jsonl"
    cases.write_text("".join(json.dumps({"input": f"q {i}", "expected": 10 * i}) + "\n" for i in range(3)))
    runner = CliRunner()
    kept, dropped = tmp_path / "kept.json", tmp_path / "dropped.json"
    solver = "tests.evals._agents:make_solver"

    for out, flags in ((kept, []), (dropped, ["--no-keep-runs"])):
        result = runner.invoke(app, ["eval", str(cases), "--agent", solver, "--no-save", "--json", str(out), *flags])
        assert result.exit_code == 0, result.output

    kept_kinds = [e["kind"] for e in json.loads(kept.read_text())["runs"][0]["results"][0]["events"]]
    assert kept_kinds == ["run_start", "model_request", "model_response", "final"]
    assert [r["events"] for r in json.loads(dropped.read_text())["runs"][0]["results"]] == [None, None, None]
