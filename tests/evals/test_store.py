"""Saving evaluations (run database, or JSON files without it), listing them, and comparing two."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from agentkit import Agent
from agentkit.evals import (
    Comparison,
    EvalNotFound,
    EvalReport,
    compare,
    evaluate,
    list_reports,
    load_report,
    save_report,
)
from agentkit.evals import store as store_module
from agentkit.exceptions import UserError
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel

from ._agents import ScriptedSolver, make_solver, scripted_cases


async def two_reports() -> tuple[EvalReport, EvalReport]:
    plain = await evaluate(make_solver(), scripted_cases(), progress=False, eval_id="eval-a", name="plain")
    agent = Agent(FunctionModel(ScriptedSolver().respond), name="solver")
    voted = await evaluate(
        agent, scripted_cases(), strategies=[SelfConsistency(3)], progress=False, eval_id="eval-b", name="voted"
    )
    return plain, voted


async def test_save_list_load_and_compare_through_the_run_database() -> None:
    plain, voted = await two_reports()

    where = [save_report(plain), voted.save()]

    database = Path(os.environ["AGENTKIT_HOME"]) / "runs.sqlite"  # conftest gives each test its own home
    assert where == [f"the run database ({database})"] * 2
    assert [(s.id, s.name, s.strategies, s.cases) for s in list_reports()] == [
        ("eval-b", "voted", ["sc:3"], 10),
        ("eval-a", "plain", ["none"], 10),
    ]
    assert load_report("eval-a") == plain
    assert compare(load_report("eval-a"), load_report("eval-b")) == [
        Comparison("none", "sc:3", 10, 0.7, 0.8, only_a=1, only_b=2, p_value=1.0, calls_a=10, calls_b=30)
    ]


async def test_saving_again_replaces_the_evaluation() -> None:
    plain, _ = await two_reports()
    save_report(plain)
    save_report(plain.model_copy(update={"name": "renamed"}))

    assert [(s.id, s.name) for s in list_reports()] == [("eval-a", "renamed")]


async def test_without_the_background_extra_reports_are_json_files(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(store_module, "database_available", lambda: False)
    monkeypatch.setenv("AGENTKIT_HOME", str(tmp_path))
    plain, voted = await two_reports()

    where = save_report(plain)
    voted.save()

    assert where == str(tmp_path / "evals" / "eval-a.json")
    assert [s.id for s in list_reports()] == ["eval-b", "eval-a"]
    assert load_report("eval-b") == voted
    assert load_report(where) == plain


async def test_a_report_file_loads_by_path(tmp_path: Path) -> None:
    plain, _ = await two_reports()

    assert load_report(str(plain.write_json(tmp_path / "r.json"))) == plain


def test_an_unknown_evaluation_says_how_to_list_them() -> None:
    with pytest.raises(EvalNotFound) as caught:
        load_report("eval-missing")

    assert str(caught.value) == "no saved evaluation 'eval-missing'; 'agentkit eval ls' lists the saved ones."


async def test_compare_pairs_strategies_by_label_or_as_named() -> None:
    agent = Agent(FunctionModel(ScriptedSolver().respond), name="solver")
    both = await evaluate(
        agent, scripted_cases(), strategies=[None, SelfConsistency(3)], progress=False, eval_id="eval-both"
    )
    plain, voted = await two_reports()

    assert [(c.strategy_a, c.strategy_b) for c in compare(both, plain)] == [("none", "none")]
    assert [(c.strategy_a, c.strategy_b) for c in compare(both, both)] == [("none", "none"), ("sc:3", "sc:3")]
    named = compare(both, voted, strategy_a="none")
    assert [(c.strategy_a, c.strategy_b, c.only_a, c.only_b) for c in named] == [("none", "sc:3", 1, 2)]


async def test_compare_refuses_reports_it_cannot_pair() -> None:
    agent = Agent(FunctionModel(ScriptedSolver().respond), name="solver")
    both = await evaluate(
        agent, scripted_cases(), strategies=[None, SelfConsistency(3)], progress=False, eval_id="eval-both"
    )
    other = await evaluate(
        make_solver(), scripted_cases(), strategies={"x": None, "y": None}, progress=False, eval_id="eval-xy"
    )
    disjoint = await evaluate(make_solver(), scripted_cases()[:2], progress=False, eval_id="eval-2")
    renamed = disjoint.model_copy(
        update={
            "runs": [
                r.model_copy(update={"results": [c.model_copy(update={"name": "z"}) for c in r.results]})
                for r in disjoint.runs
            ]
        }
    )

    with pytest.raises(UserError) as caught:
        compare(both, other)
    assert str(caught.value) == (
        "evaluations 'eval-both' (none, sc:3) and 'eval-xy' (x, y) share no strategy; name the two to compare "
        "(--strategy-a, --strategy-b)."
    )
    with pytest.raises(UserError, match=r"^evaluation 'eval-both' has several strategies \(none, sc:3\); name one\.$"):
        compare(both, other, strategy_b="x")
    with pytest.raises(UserError, match=r"^evaluations 'eval-2' and 'eval-both' have no case in common"):
        compare(renamed, both)
    with pytest.raises(EvalNotFound, match=r"^evaluation 'eval-both' has no strategy 'bon:2'; it has none, sc:3\.$"):
        compare(both, other, strategy_a="bon:2", strategy_b="x")
