"""evaluate() on scripted solvers: exact accuracy, compute and call counts; errors; concurrency; determinism."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from agentkit import Agent, Budget
from agentkit.evals import Case, Dataset, EvalReport, NumericMatch, evaluate, evaluate_sync
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, RecordedRequest, call, text

from ._agents import NoisySolver, ScriptedSolver, make_solver, question, scripted_cases


async def test_accuracy_compute_and_intervals_per_strategy() -> None:
    solver = ScriptedSolver()
    agent = Agent(FunctionModel(solver.respond), name="solver")

    report = await evaluate(agent, scripted_cases(), strategies=[None, SelfConsistency(3)], progress=False)

    none, sc = report.summaries()
    assert (report.strategies, report.agent, report.dataset, report.evaluators) == (
        ["none", "sc:3"],
        "solver",
        "scripted",
        ["exact"],
    )
    assert (none.passed, none.accuracy, round(none.ci_low, 4), round(none.ci_high, 4)) == (7, 0.7, 0.3968, 0.8922)
    assert (sc.passed, sc.accuracy, round(sc.ci_low, 4), round(sc.ci_high, 4)) == (8, 0.8, 0.4902, 0.9433)
    assert (none.model_calls, none.total_tokens, none.reasoning_tokens, none.errors) == (10, 150, 20, 0)
    assert (sc.model_calls, sc.total_tokens, sc.reasoning_tokens, sc.errors) == (30, 450, 60, 0)
    assert sum(solver.calls.values()) == 40
    assert [r.passed for r in report.results("none")] == [True] * 6 + [False, False, True, False]
    assert [r.passed for r in report.results("sc:3")] == [True] * 8 + [False, False]
    case6 = report.results("none")[6]
    assert (case6.name, case6.input, case6.expected, case6.output, case6.scores) == (
        "6",
        "q 6",
        60,
        "61",
        {"exact": 0.0},
    )
    assert case6.run_id == f"{report.id}-none-6"
    assert none.latency_p50_s <= none.latency_p95_s


async def test_several_evaluators_all_must_pass_and_mean_scores_are_kept() -> None:
    def close(case: Case, output: str) -> float:
        return 1.0 if output == str(case.expected) else 0.5

    report = await evaluate(
        make_solver(), scripted_cases(), evaluators=[NumericMatch(), close], progress=False, strategies={"plain": None}
    )

    summary = report.summaries()[0]
    assert (summary.strategy, summary.passed, summary.mean_scores) == ("plain", 7, {"close": 0.85, "numeric": 0.7})
    assert report.results("plain")[6].reasons == {"numeric": "read 61, expected 60"}


async def test_a_failing_run_is_recorded_and_fails_its_case() -> None:
    def respond(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        if question(messages) == 3:
            raise RuntimeError("the model fell over")
        return text(str(10 * question(messages)))

    report = await evaluate(Agent(FunctionModel(respond)), scripted_cases(), progress=False)

    failed = report.results("none")[3]
    assert (failed.passed, failed.error, failed.output, failed.scores) == (
        False,
        "RuntimeError: the model fell over",
        None,
        {},
    )
    assert (report.summaries()[0].passed, report.summaries()[0].errors) == (9, 1)


async def test_an_evaluator_failing_on_one_output_fails_that_case_with_the_error() -> None:
    def picky(case: Case, output: str) -> bool:
        if output == "61":
            raise ValueError("cannot grade 61")
        return True

    report = await evaluate(make_solver(), scripted_cases(), evaluators=[picky], progress=False)

    failed = report.results("none")[6]
    assert (failed.passed, failed.output, failed.error, failed.model_calls) == (
        False,
        "61",
        "evaluator 'picky' failed: ValueError: cannot grade 61",
        1,
    )
    assert report.summaries()[0].passed == 9


async def test_a_configuration_mistake_stops_the_evaluation() -> None:
    with pytest.raises(UserError, match="NumericMatch: case '0' has no number in its expected value 'zero'"):
        await evaluate(make_solver(), [Case("q 0", "zero", name="0")], evaluators=[NumericMatch()], progress=False)


async def test_the_budget_applies_to_each_case_run() -> None:
    model = FunctionModel(lambda messages, info: call("ping"))
    agent = Agent(model)

    @agent.tool
    def ping() -> str:
        """Ping."""
        return "pong"

    report = await evaluate(
        agent, scripted_cases()[:2], budget=Budget(max_turns=2, on_exceeded="raise"), progress=False
    )

    errors = [r.error for r in report.results("none")]
    assert [e.split(":")[0] if e else None for e in errors] == ["BudgetExceeded", "BudgetExceeded"]
    assert [r.model_calls for r in report.results("none")] == [2, 2]
    assert len(model.requests) == 4


async def test_a_strategy_without_any_finished_branch_records_what_its_branches_spent() -> None:
    def respond(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        return call("ping") if len(messages) < 3 else text("not a number")

    agent = Agent(FunctionModel(respond), output_type=int, output_retries=0)

    @agent.tool
    def ping() -> str:
        """Ping."""
        return "pong"

    report = await evaluate(agent, scripted_cases()[:1], strategies=[SelfConsistency(2)], progress=False)

    (result,) = report.results("sc:2")
    assert result.error is not None and result.error.startswith("NoCandidateError: ")
    assert result.model_calls == 4


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"concurrency": 0}, "evaluate() needs concurrency >= 1, got 0."),
        ({"strategies": []}, "evaluate() needs at least one strategy; pass strategies=[None] for plain runs."),
        (
            {"strategies": [SelfConsistency(3), SelfConsistency(3)]},
            "strategies sc:3 appear more than once; pass a dict to give each its own label.",
        ),
    ],
)
async def test_bad_arguments_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(UserError) as caught:
        await evaluate(make_solver(), scripted_cases(), progress=False, **options)

    assert str(caught.value) == message


async def test_at_most_concurrency_cases_are_in_flight() -> None:
    in_flight = peak = 0

    async def respond(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        in_flight -= 1
        return text(str(10 * question(messages)))

    report = await evaluate(Agent(FunctionModel(respond)), scripted_cases(), concurrency=3, progress=False)

    assert (peak, report.summaries()[0].passed) == (3, 10)


async def test_the_progress_bar_is_quiet_unless_asked_for(capsys: pytest.CaptureFixture[str]) -> None:
    await evaluate(make_solver(), scripted_cases())
    assert capsys.readouterr().err == ""

    await evaluate(make_solver(), scripted_cases(), progress=True)
    err = capsys.readouterr().err
    assert "evaluating solver" in err and "100%" in err


def test_evaluate_sync_runs_outside_an_event_loop_and_refuses_inside() -> None:
    report = evaluate_sync(make_solver(), scripted_cases(), progress=False)

    assert report.summaries()[0].passed == 7

    async def inside() -> None:
        evaluate_sync(make_solver(), scripted_cases())

    with pytest.raises(UserError, match=r"evaluate_sync\(\) was called inside a running event loop"):
        asyncio.run(inside())


def comparable(report: EvalReport) -> dict[str, Any]:
    """The report without what differs from run to run (id, time, latency, the kept runs' timed events)."""
    data = report.to_dict()
    for key in ("id", "created_at"):
        data.pop(key)
    for run in data["runs"]:
        for result in run["results"]:
            result.pop("latency_s")
            result.pop("run_id")
            result.pop("events")
    for summary in data["summaries"]:
        summary.pop("latency_p50_s")
        summary.pop("latency_p95_s")
    return data


async def test_500_cases_at_concurrency_64_give_exact_call_counts_and_the_same_report_for_the_same_seed() -> None:
    cases = Dataset([Case(f"q {i}", 10 * i) for i in range(500)], name="noisy")
    difficulty = [(0.3, 0.5, 0.7, 0.9)[i % 4] for i in range(500)]

    async def once() -> EvalReport:
        agent = Agent(FunctionModel(NoisySolver(difficulty, seed=7).respond), name="noisy")
        return await evaluate(agent, cases, strategies=[None, SelfConsistency(3)], concurrency=64, progress=False)

    first, second = await once(), await once()

    assert [s.model_calls for s in first.summaries()] == [500, 1500]
    assert comparable(first) == comparable(second)
    assert EvalReport.from_dict(first.to_dict()) == first
