"""Loading cases from Python, JSONL and CSV; typed rows; bad rows name the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from agentkit.evals import Case, Dataset, DatasetError

DATA = Path(__file__).parent / "data"


class Person(BaseModel):
    name: str
    age: int


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def test_from_python_cases_and_rows() -> None:
    cases = Dataset([Case("2+2?", 4), Case("3+3?", 6, name="six")], name="arith")
    rows = Dataset.from_rows([{"input": "2+2?", "expected": 4, "level": "easy"}], name="rows")

    assert (len(cases), cases.name, cases[1].name, cases[0].prompt()) == (2, "arith", "six", "2+2?")
    assert rows[0] == Case("2+2?", 4, metadata={"level": "easy"})
    assert list(cases[:1]) == [Case("2+2?", 4)]


def test_a_dataset_refuses_items_that_are_not_cases() -> None:
    with pytest.raises(DatasetError) as caught:
        Dataset([Case("a"), "b"], name="mixed")  # type: ignore[list-item]

    assert str(caught.value) == (
        "dataset 'mixed', item 1: a str, not a Case; wrap it as Case(input, expected) or use Dataset.from_rows([...])."
    )


def test_case_names_must_be_unique() -> None:
    with pytest.raises(DatasetError) as caught:
        Dataset([Case("a", name="x"), Case("b"), Case("c", name="x")], name="dup")

    assert str(caught.value) == (
        "dataset 'dup': cases 0 and 2 are both named 'x'; names identify cases when evaluations are compared, "
        "so make them unique."
    )


def test_jsonl_with_named_fields_metadata_names_blank_lines_and_limit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "qa.jsonl",
        '{"question": "q1", "answer": "#### 1", "name": "first", "level": 2}\n\n'
        '{"question": "q2", "answer": "#### 2"}\n{"question": "q3", "answer": "#### 3"}\n',
    )

    data = Dataset.from_jsonl(path, input_field="question", expected_field="answer", limit=2)

    assert data.name == "qa"
    assert list(data) == [Case("q1", "#### 1", {"level": 2}, "first"), Case("q2", "#### 2")]


def test_the_gsm8k_sample_loads_with_its_own_column_names() -> None:
    data = Dataset.from_jsonl(DATA / "gsm8k_first5.jsonl", input_field="question", expected_field="answer")

    assert len(data) == 5
    assert data[0].prompt().startswith("Janet’s ducks lay 16 eggs per day.")
    assert data[0].expected.endswith("#### 18")


def test_typed_inputs_from_the_whole_row_and_typed_expected_values(tmp_path: Path) -> None:
    path = write(tmp_path, "people.jsonl", '{"name": "Ada", "age": "36", "expected": "7"}\n')

    data = Dataset.from_jsonl(path, input_field=None, name_field=None, input_type=Person, expected_type=int)

    assert data[0] == Case(Person(name="Ada", age=36), 7)
    assert data[0].prompt() == '{"name":"Ada","age":36}'


@pytest.mark.parametrize(
    ("content", "options", "message"),
    [
        (
            '{"input": "a"}\nnot json\n',
            {},
            "line 2: not valid JSON (Expecting value, column 1); write one JSON object per line.",
        ),
        ('["a", "b"]\n', {}, "line 1: a JSON list, not an object; write one JSON object per line."),
        (
            '{"question": "a", "answer": 1}\n',
            {},
            "line 1: no field 'input' (fields: question, answer); name the input column with input_field=... "
            "(--input-field on the command line).",
        ),
        (
            '{"input": "a", "expected": 1}\n{"input": "b", "expected": "two"}\n',
            {"expected_type": int},
            "line 2, field 'expected': Input should be a valid integer, unable to parse string as an integer "
            "(got 'two').",
        ),
        (
            '{"name": "Ada", "age": "old"}\n',
            {"input_field": None, "name_field": None, "input_type": Person},
            "line 1, field 'input.age': Input should be a valid integer, unable to parse string as an integer "
            "(got 'old').",
        ),
    ],
)
def test_bad_jsonl_rows_name_the_file_line_and_field(
    tmp_path: Path, content: str, options: dict[str, object], message: str
) -> None:
    path = write(tmp_path, "cases.jsonl", content)

    with pytest.raises(DatasetError) as caught:
        Dataset.from_jsonl(path, **options)  # type: ignore[arg-type]

    assert str(caught.value) == f"{path}, {message}"


def test_a_missing_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(DatasetError) as caught:
        Dataset.from_jsonl(tmp_path / "nope.jsonl")

    assert str(caught.value) == f"{tmp_path / 'nope.jsonl'}: no such file; check the path."


def test_csv_rows_with_quoted_commas_and_newlines(tmp_path: Path) -> None:
    path = write(tmp_path, "cases.csv", 'input,expected,topic\n"Add 1,000 and 2",1002,math\n"two\nlines",x,text\n')

    data = Dataset.from_csv(path, expected_type=str)

    assert list(data) == [
        Case("Add 1,000 and 2", "1002", {"topic": "math"}),
        Case("two\nlines", "x", {"topic": "text"}),
    ]
    assert Dataset.from_file(path)[1].input == "two\nlines"


def test_bad_csv_rows_name_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cases.csv", "input,expected\na,1\nb,2,extra\n")

    with pytest.raises(DatasetError) as caught:
        Dataset.from_csv(path)

    assert str(caught.value) == (
        f"{path}, line 3: more values than the header has columns; quote values that contain commas."
    )


def test_typed_csv_values_are_validated_with_their_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cases.csv", "input,expected\na,1\nb,x\n")

    with pytest.raises(DatasetError) as caught:
        Dataset.from_csv(path, expected_type=int)

    assert str(caught.value).startswith(f"{path}, line 3, field 'expected': Input should be a valid integer")
