"""Each evaluator on outputs that pass and fail, including real GSM8K reference answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from agentkit.evals import (
    Case,
    Contains,
    Dataset,
    ExactMatch,
    FunctionEvaluator,
    ModelJudge,
    NumericMatch,
    PydanticValid,
    Score,
    as_evaluator,
)
from agentkit.evals._numbers import final_number
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.testing import FunctionModel, RecordedRequest, call

DATA = Path(__file__).parent / "data"


class Person(BaseModel):
    name: str
    age: int


async def test_exact_match_compares_values_then_stripped_text() -> None:
    exact = ExactMatch()

    assert await exact.score(Case("q", 42), 42) == Score(1.0, True)
    assert await exact.score(Case("q", 42), " 42\n") == Score(1.0, True)
    assert await exact.score(Case("q", "Paris"), "paris") == Score(0.0, False)
    assert await ExactMatch(case_sensitive=False).score(Case("q", "Paris"), "paris ") == Score(1.0, True)
    assert await exact.score(Case("q", [1, 2]), [2, 1]) == Score(0.0, False)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("#### 42", 42),
        ("She makes 9 * 2 = $<<9*2=18>>18 every day.\n#### 18", 18),
        ("The answer is $1,234.50.", 1234.5),
        ("Answer: **70,000**", 70000),
        ("So x = -3", -3),
        ("−5 degrees", -5),
        ("\\boxed{3/4}", 0.75),
        ("16-3-4 leaves 9 eggs", 9),
        ("I have 5 apples and 7 pears, 12 in all", 12),
        ("no number here", None),
    ],
)
def test_the_final_number_of_a_text_answer(text: str, number: float | None) -> None:
    assert final_number(text) == number


async def test_numeric_match_reads_gsm8k_reference_answers() -> None:
    data = Dataset.from_jsonl(DATA / "gsm8k_first5.jsonl", input_field="question", expected_field="answer")
    numeric = NumericMatch()
    answers = ["She makes $18 a day.", "3 bolts", "The profit is $70,000.", "540 meters", "20"]

    scores = [await numeric.score(case, answer) for case, answer in zip(data, answers, strict=True)]

    assert [s.passed for s in scores] == [True] * 5
    assert scores[2].reason == "read 70000, expected 70000"
    assert (await numeric.score(data[0], "She makes $16.")).reason == "read 16, expected 18"


async def test_numeric_match_tolerances_and_outputs_without_numbers() -> None:
    assert (await NumericMatch(abs_tol=0.01).score(Case("q", 3.14159), "about 3.14")).passed is True
    assert (await NumericMatch().score(Case("q", 3.14159), "about 3.14")).passed is False
    assert (await NumericMatch(rel_tol=0.1).score(Case("q", 100), 95)).passed is True
    assert await NumericMatch().score(Case("q", 1), "none") == Score(0.0, False, "no number in the output")


async def test_numeric_match_refuses_a_case_without_an_expected_number() -> None:
    with pytest.raises(UserError) as caught:
        await NumericMatch().score(Case("How many?", "many", name="c1"), "3")

    assert str(caught.value) == (
        "NumericMatch: case 'c1' has no number in its expected value 'many'; give the expected answer as a number."
    )
    with pytest.raises(UserError, match=r"NumericMatch tolerances must be >= 0, got abs_tol=-1, rel_tol=0.0\."):
        NumericMatch(abs_tol=-1)


async def test_contains_defaults_to_the_expected_text_case_insensitively() -> None:
    assert (await Contains().score(Case("q", "Paris"), "It is PARIS.")).passed is True
    assert (await Contains("Paris", case_sensitive=True).score(Case("q"), "It is PARIS.")).passed is False


async def test_pydantic_valid_checks_json_text_and_objects() -> None:
    valid = PydanticValid(Person)

    assert (await valid.score(Case("q"), '{"name": "Ada", "age": 36}')).passed is True
    assert (await valid.score(Case("q"), Person(name="Ada", age=36))).passed is True
    assert await valid.score(Case("q"), {"name": "Ada", "age": "old"}) == Score(
        0.0, False, "age: Input should be a valid integer, unable to parse string as an integer"
    )


async def test_plain_functions_sync_and_async_become_evaluators() -> None:
    def close(case: Case, output: str) -> float:
        return 1 - abs(int(output) - int(case.expected)) / 10

    async def even(case: Case, output: str) -> bool:
        return int(output) % 2 == 0

    assert await as_evaluator(close).score(Case("q", 10), "8") == Score(0.8, True)
    assert await FunctionEvaluator(close, threshold=0.9).score(Case("q", 10), "8") == Score(0.8, False)
    assert await as_evaluator(even).score(Case("q"), "3") == Score(0.0, False)
    assert as_evaluator(close).name == "close"


async def test_a_function_returning_something_else_is_refused() -> None:
    with pytest.raises(UserError) as caught:
        await as_evaluator(lambda case, output: "yes").score(Case("q"), "x")  # type: ignore[arg-type,return-value]

    assert str(caught.value) == (
        "evaluator '<lambda>' returned a str; return a bool (pass/fail) or a float score in 0..1."
    )
    with pytest.raises(UserError, match="evaluators must be Evaluator objects or functions"):
        as_evaluator(42)  # type: ignore[arg-type]


async def test_model_judge_grades_with_the_rubric_and_the_reference() -> None:
    prompts: list[str] = []

    def judge(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> ModelResponse:
        prompt = next(
            p.content for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, UserPart)
        )
        prompts.append(prompt)
        return call(
            "final_result", reasoning="matches the reference", score=8 if "Paris" in prompt.split("Candidate")[1] else 2
        )

    grader = ModelJudge(FunctionModel(judge), "Names the capital.", threshold=0.5)

    good = await grader.score(Case("Capital of France?", "Paris"), "Paris")
    bad = await grader.score(Case("Capital of France?"), "Lyon")

    assert good == Score(0.8, True, "matches the reference")
    assert (bad.value, bad.passed) == (0.2, False)
    assert prompts[0] == (
        "Task:\nCapital of France?\n\nReference answer:\nParis\n\n"
        "Candidate answer:\nParis\n\nRubric:\nNames the capital."
    )
    assert "Reference answer:\n(none: judge the candidate on its own merits)" in prompts[1]
    assert grader.usage.requests == 2
    assert grader.name == "judge"


def test_model_judge_refuses_a_threshold_outside_0_to_1() -> None:
    with pytest.raises(UserError) as caught:
        ModelJudge(FunctionModel(lambda m, i: "x"), threshold=7)

    assert str(caught.value) == "ModelJudge threshold is a score from 0 to 1, got 7."
