"""``agentkit eval``: run, ls and compare, driven by typer's CliRunner with scripted solvers."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agentkit.cli import app

ENV = {"NO_COLOR": "1", "FORCE_COLOR": None, "TERM": "dumb", "COLUMNS": None, "AGENTKIT_DB": None}
SOLVER = "tests.evals._agents:make_solver"


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env=ENV)


@pytest.fixture
def cases(tmp_path: Path) -> Path:
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps({"input": f"q {i}", "expected": 10 * i}) + "\n" for i in range(10)))
    return path


def latency_free(text: str) -> str:
    return re.sub(r"\d+\.\d\d/\d+\.\d\d", "<p50>/<p95>", text)


def test_eval_prints_the_table_and_saves_the_evaluation(cases: Path) -> None:
    result = invoke("eval", str(cases), "--agent", SOLVER, "--strategy", "none", "--strategy", "sc:3")

    assert result.exit_code == 0, result.output
    lines = latency_free(result.stdout).splitlines()
    eval_id = re.search(r"\((eval-[0-9a-f]{12})\)", lines[0]).group(1)  # type: ignore[union-attr]
    assert lines[0].strip() == f"cases: solver on cases ({eval_id})"
    assert [re.sub(r"\s+", " ", line) for line in lines[4:6]] == [
        "│ none │ 70.0% (39.7%-89.2%) │ 7/10 │ 0 │ 150 │ 20 │ 0.0000 │ 10 │ <p50>/<p95> │",
        "│ sc:3 │ 80.0% (49.0%-94.3%) │ 8/10 │ 0 │ 450 │ 60 │ 0.0000 │ 30 │ <p50>/<p95> │",
    ]
    assert re.sub(r"\s+", " ", lines[2]) == (
        "┃ strategy ┃ accuracy (95% CI) ┃ passed ┃ errors ┃ tokens ┃ reasoning ┃ cost $ ┃ calls ┃ p50/p95 s ┃"
    )
    assert result.stderr.startswith(f"Saved evaluation {eval_id} to the run database (")

    listed = invoke("eval", "ls")
    assert re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", "<when>", listed.stdout).splitlines() == [
        "ID                 NAME   AGENT   CASES  STRATEGIES  CREATED",
        f"{eval_id}  cases  solver  10     none,sc:3   <when>",
    ]


def test_eval_run_is_the_same_command_and_takes_evaluators_verifiers_and_a_json_file(
    cases: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report.json"
    result = invoke(
        "eval", "run", str(cases), "-a", SOLVER, "-s", "bon:3", "--verifier", "tests.evals._agents:multiple_of_ten",
        "-e", "numeric", "-e", "tests.evals._agents:same_tens", "--limit", "4", "--no-save", "--json", str(out),
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    assert result.stderr == f"Report written to {out}\n"
    report = json.loads(out.read_text())
    assert (report["evaluators"], report["summaries"][0]["passed"], report["summaries"][0]["model_calls"]) == (
        ["numeric", "same_tens"],
        4,
        12,
    )
    assert (
        invoke("eval", "ls").stdout
        == "No saved evaluations. Run one with: agentkit eval cases.jsonl --agent module:agent\n"
    )


def test_a_model_judge_as_evaluator(cases: Path, tmp_path: Path) -> None:
    out = tmp_path / "judged.json"
    result = invoke(
        "eval", str(cases), "-a", SOLVER, "-e", "judge:tests.evals._agents:judge_model", "--no-save", "--json", str(out)
    )

    assert result.exit_code == 0, result.output
    summary = json.loads(out.read_text())["summaries"][0]
    assert (summary["passed"], summary["mean_scores"], summary["model_calls"]) == (7, {"judge": 0.7}, 10)


def test_compare_prints_the_paired_test(cases: Path, tmp_path: Path) -> None:
    invoke("eval", str(cases), "-a", SOLVER, "--no-save", "--json", str(tmp_path / "a.json"))
    invoke("eval", str(cases), "-a", SOLVER, "-s", "sc:3", "--no-save", "--json", str(tmp_path / "b.json"))
    a_id = json.loads((tmp_path / "a.json").read_text())["id"]
    b_id = json.loads((tmp_path / "b.json").read_text())["id"]

    result = invoke("eval", "compare", str(tmp_path / "a.json"), str(tmp_path / "b.json"))

    assert (result.exit_code, result.stdout.splitlines()) == (
        0,
        [
            f"A: {a_id} (cases, solver)",
            f"B: {b_id} (cases, solver)",
            "none vs sc:3 on 10 paired cases:",
            "  accuracy 70.0% -> 80.0% (+10.0 points)",
            "  passed only by A: 1, only by B: 2",
            "  McNemar exact test: p = 1 (not significant at 0.05)",
            "  model calls 10 -> 30",
        ],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["-s", "mcts:2"],
            "unknown strategy 'mcts:2': known names are none, sc, self_consistency, bon, best_of_n, adaptive "
            "(e.g. 'sc:8').",
        ),
        (["-s", "sc:x"], "strategy 'sc:x': 'x' is not a whole number; write e.g. 'sc:8'."),
        (
            ["-e", "fuzzy"],
            "--evaluator 'fuzzy': unknown; use exact, numeric, contains, judge:MODEL or module:function "
            "(a function (case, output) -> bool | float).",
        ),
        (
            ["--input-field", "question"],
            "{cases}, line 1: no field 'question' (fields: input, expected); name the input column with "
            "input_field=... (--input-field on the command line).",
        ),
    ],
)
def test_bad_command_lines_exit_2_naming_the_fix(cases: Path, args: list[str], message: str) -> None:
    result = invoke("eval", str(cases), "-a", SOLVER, *args)

    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"error: {message.format(cases=cases)}\n")


def test_an_agent_path_that_does_not_resolve(cases: Path) -> None:
    result = invoke("eval", str(cases), "-a", "tests.evals._agents:nobody")

    assert (result.exit_code, result.stderr) == (
        2,
        "error: --agent 'tests.evals._agents:nobody': module 'tests.evals._agents' has no attribute 'nobody'.\n",
    )


def test_compare_of_an_unknown_evaluation_exits_1() -> None:
    result = invoke("eval", "compare", "eval-x", "eval-y")

    assert (result.exit_code, result.stderr) == (
        1,
        "error: no saved evaluation 'eval-x'; 'agentkit eval ls' lists the saved ones.\n",
    )
