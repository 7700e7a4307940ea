"""A :class:`Dataset` of :class:`Case` s, from Python, JSONL or CSV, optionally typed by pydantic models.

Rows are JSON objects (JSONL) or CSV records. ``input_field`` and ``expected_field`` name the columns of
the input and the expected answer; ``name_field`` (default ``"name"``, optional) names each case; every
other column goes to the case's ``metadata``. With ``input_field=None`` the input is the whole row minus
those columns (useful with ``input_type``). ``input_type`` / ``expected_type`` validate each value; a bad
row raises :class:`~agentkit.evals.errors.DatasetError` naming the file, the line and the field.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from pydantic import TypeAdapter, ValidationError

from agentkit.evals.case import Case
from agentkit.evals.errors import DatasetError

__all__ = ["Dataset", "RowFormat"]


@dataclass(frozen=True)
class RowFormat:
    """How a row becomes a case: which columns hold what, and the types to validate them with."""

    input_field: str | None = "input"
    expected_field: str | None = "expected"
    name_field: str | None = "name"
    input_type: Any = None
    expected_type: Any = None

    def case(self, row: Mapping[str, Any], where: str) -> Case:
        """The case of one row; ``where`` (``"file, line 3"``) starts every error message."""
        data = dict(row)
        if self.input_field is not None and self.input_field not in data:
            fields = ", ".join(data) or "none"
            raise DatasetError(
                f"{where}: no field {self.input_field!r} (fields: {fields}); "
                "name the input column with input_field=... (--input-field on the command line)."
            )
        expected = data.pop(self.expected_field, None) if self.expected_field else None
        name = data.pop(self.name_field, None) if self.name_field else None
        value = data.pop(self.input_field) if self.input_field is not None else data
        metadata = data if self.input_field is not None else {}
        return Case(
            input=_validated(self.input_type, value, where, self.input_field or "input"),
            expected=_validated(self.expected_type, expected, where, self.expected_field or "expected"),
            metadata=metadata,
            name=None if name is None else str(name),
        )


def _validated(kind: Any, value: Any, where: str, field: str) -> Any:
    if kind is None or value is None:
        return value
    try:
        return TypeAdapter(kind).validate_python(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        path = ".".join(str(p) for p in (field, *error["loc"]))
        raise DatasetError(f"{where}, field {path!r}: {error['msg']} (got {error['input']!r}).") from None


class Dataset(Sequence[Case]):
    """Cases to evaluate an agent on, in order. ``Dataset([Case("2+2?", 4), ...], name="arith")``."""

    def __init__(self, cases: Iterable[Case], *, name: str = "dataset") -> None:
        self.cases = list(cases)
        self.name = name
        names: dict[str, int] = {}
        for index, case in enumerate(self.cases):
            if not isinstance(case, Case):
                raise DatasetError(
                    f"dataset {name!r}, item {index}: a {type(case).__name__}, not a Case; "
                    "wrap it as Case(input, expected) or use Dataset.from_rows([...])."
                )
            if case.name is not None and names.setdefault(case.name, index) != index:
                raise DatasetError(
                    f"dataset {name!r}: cases {names[case.name]} and {index} are both named {case.name!r}; "
                    "names identify cases when evaluations are compared, so make them unique."
                )

    @classmethod
    def from_rows(
        cls, rows: Iterable[Mapping[str, Any]], *, name: str = "dataset", format: RowFormat | None = None
    ) -> Dataset:
        """Cases from dicts (one per case), read as described in the module docstring."""
        fmt = format or RowFormat()
        return cls((fmt.case(row, f"{name}, row {i}") for i, row in enumerate(rows)), name=name)

    @classmethod
    def from_jsonl(
        cls,
        path: str | Path,
        *,
        input_field: str | None = "input",
        expected_field: str | None = "expected",
        name_field: str | None = "name",
        input_type: Any = None,
        expected_type: Any = None,
        name: str | None = None,
        limit: int | None = None,
    ) -> Dataset:
        """Cases from a JSON Lines file: one JSON object per line (blank lines are skipped)."""
        fmt = RowFormat(input_field, expected_field, name_field, input_type, expected_type)
        return cls._from_file(Path(path), _jsonl_rows, fmt, name, limit)

    @classmethod
    def from_csv(
        cls,
        path: str | Path,
        *,
        input_field: str | None = "input",
        expected_field: str | None = "expected",
        name_field: str | None = "name",
        input_type: Any = None,
        expected_type: Any = None,
        name: str | None = None,
        limit: int | None = None,
    ) -> Dataset:
        """Cases from a CSV file with a header row; values are text until a type validates them."""
        fmt = RowFormat(input_field, expected_field, name_field, input_type, expected_type)
        return cls._from_file(Path(path), _csv_rows, fmt, name, limit)

    @classmethod
    def _from_file(
        cls,
        path: Path,
        read: Callable[[Path], Iterator[tuple[str, dict[str, Any]]]],
        fmt: RowFormat,
        name: str | None,
        limit: int | None,
    ) -> Dataset:
        rows = _limited(read(path), limit)
        return cls((fmt.case(row, where) for where, row in rows), name=name or path.stem)

    @classmethod
    def from_file(cls, path: str | Path, **options: Any) -> Dataset:
        """:meth:`from_csv` for a ``.csv`` file, else :meth:`from_jsonl`."""
        loader = cls.from_csv if str(path).lower().endswith(".csv") else cls.from_jsonl
        return loader(path, **options)

    @overload
    def __getitem__(self, index: int) -> Case: ...
    @overload
    def __getitem__(self, index: slice) -> Dataset: ...
    def __getitem__(self, index: int | slice) -> Case | Dataset:
        if isinstance(index, slice):
            return Dataset(self.cases[index], name=self.name)
        return self.cases[index]

    def __len__(self) -> int:
        return len(self.cases)

    def __iter__(self) -> Iterator[Case]:
        return iter(self.cases)

    def __repr__(self) -> str:
        return f"Dataset(name={self.name!r}, cases={len(self.cases)})"


def _limited(rows: Iterator[tuple[str, dict[str, Any]]], limit: int | None) -> Iterator[tuple[str, dict[str, Any]]]:
    for count, row in enumerate(rows):
        if limit is not None and count >= limit:
            return
        yield row


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file; check the path.") from None
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save it as UTF-8.") from None


def _jsonl_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}, line {number}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DatasetError(
                f"{where}: not valid JSON ({exc.msg}, column {exc.colno}); write one JSON object per line."
            ) from None
        if not isinstance(row, dict):
            raise DatasetError(f"{where}: a JSON {type(row).__name__}, not an object; write one JSON object per line.")
        yield where, row


def _csv_rows(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    for row in reader:
        where = f"{path}, line {reader.line_num}"
        if None in row:
            raise DatasetError(f"{where}: more values than the header has columns; quote values that contain commas.")
        yield where, {k: v for k, v in row.items() if k is not None}
