"""Evaluators: how an output is scored against its case.

An evaluator has a ``name`` and ``async def score(case, output) -> Score``. A plain function
``(case, output) -> bool | float`` (sync or async) becomes one with :func:`as_evaluator`. A case passes when
every evaluator passes it; a float score passes at the evaluator's ``threshold``.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, TypeAdapter, ValidationError

from agentkit.evals._numbers import final_number
from agentkit.evals.case import Case
from agentkit.exceptions import UserError

__all__ = [
    "Contains",
    "Evaluator",
    "EvaluatorLike",
    "ExactMatch",
    "FunctionEvaluator",
    "NumericMatch",
    "PydanticValid",
    "Score",
    "as_evaluator",
]


@dataclass(frozen=True)
class Score:
    """One evaluator's verdict on one output: ``value`` in 0..1, whether it passes, and why."""

    value: float
    passed: bool
    reason: str = ""

    @classmethod
    def of(cls, value: bool | float, threshold: float = 1.0, reason: str = "") -> Score:
        """A score from a bool (pass/fail) or a number (passes at ``threshold``)."""
        if isinstance(value, bool):
            return cls(1.0 if value else 0.0, value, reason)
        return cls(float(value), float(value) >= threshold, reason)


@runtime_checkable
class Evaluator(Protocol):
    """Scores an output against its case."""

    name: str

    async def score(self, case: Case, output: Any) -> Score:
        """The score of ``output`` for ``case``."""
        ...


class ExactMatch:
    """The output equals ``case.expected``. Text is compared stripped (and casefolded with
    ``case_sensitive=False``); a non-text output is compared as text when the expected value is text."""

    name = "exact"

    def __init__(self, *, case_sensitive: bool = True) -> None:
        self.case_sensitive = case_sensitive

    async def score(self, case: Case, output: Any) -> Score:
        """Compare."""
        if output == case.expected:
            return Score(1.0, True)
        if isinstance(output, str) or isinstance(case.expected, str):
            got, want = str(output).strip(), str(case.expected).strip()
            if not self.case_sensitive:
                got, want = got.casefold(), want.casefold()
            return Score.of(got == want)
        return Score.of(False)


class NumericMatch:
    """The output's number is within tolerance of the expected number.

    Both sides may be text: the number is read as described in :func:`~agentkit.evals._numbers.final_number`
    (after ``####`` as in GSM8K, in ``\\boxed{}``, after "the answer is", else the last number).
    """

    name = "numeric"

    def __init__(self, *, abs_tol: float = 1e-6, rel_tol: float = 0.0) -> None:
        if abs_tol < 0 or rel_tol < 0:
            raise UserError(f"NumericMatch tolerances must be >= 0, got abs_tol={abs_tol}, rel_tol={rel_tol}.")
        self.abs_tol = abs_tol
        self.rel_tol = rel_tol

    async def score(self, case: Case, output: Any) -> Score:
        """Read both numbers and compare them."""
        want = final_number(case.expected)
        if want is None:
            raise UserError(
                f"NumericMatch: case {case.name or case.prompt()[:40]!r} has no number in its expected value "
                f"{case.expected!r}; give the expected answer as a number."
            )
        got = final_number(output)
        if got is None:
            return Score(0.0, False, "no number in the output")
        close = math.isclose(got, want, abs_tol=self.abs_tol, rel_tol=self.rel_tol)
        return Score.of(close, reason=f"read {_show(got)}, expected {_show(want)}")


def _show(number: float) -> str:
    return str(int(number)) if number.is_integer() else str(number)


class Contains:
    """The output's text contains ``text`` (default: ``case.expected`` as text); case-insensitive by default."""

    name = "contains"

    def __init__(self, text: str | None = None, *, case_sensitive: bool = False) -> None:
        self.text = text
        self.case_sensitive = case_sensitive

    async def score(self, case: Case, output: Any) -> Score:
        """Look for the text."""
        needle = self.text if self.text is not None else str(case.expected)
        haystack = str(output)
        if not self.case_sensitive:
            needle, haystack = needle.casefold(), haystack.casefold()
        return Score.of(needle in haystack)


class PydanticValid:
    """The output validates as ``model`` (a pydantic model or any type); JSON text is parsed first."""

    name = "pydantic"

    def __init__(self, model: Any) -> None:
        self.model = model
        self._adapter: TypeAdapter[Any] = TypeAdapter(model)

    async def score(self, case: Case, output: Any) -> Score:
        """Validate."""
        try:
            if isinstance(output, str):
                self._adapter.validate_json(output)
            else:
                dumped = output.model_dump() if isinstance(output, BaseModel) else output
                self._adapter.validate_python(dumped)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "output"
            return Score(0.0, False, f"{where}: {first['msg']}")
        return Score(1.0, True)


ScoreFunction = Callable[[Case, Any], "bool | float | Awaitable[bool | float]"]


class FunctionEvaluator:
    """A function ``(case, output) -> bool | float`` (sync or async); a float passes at ``threshold``."""

    def __init__(self, function: ScoreFunction, *, name: str | None = None, threshold: float = 0.5) -> None:
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", "function"))
        self.threshold = threshold

    async def score(self, case: Case, output: Any) -> Score:
        """Call the function."""
        value = self.function(case, output)
        if inspect.isawaitable(value):
            value = await value
        if not isinstance(value, bool | int | float):
            raise UserError(
                f"evaluator {self.name!r} returned a {type(value).__name__}; return a bool (pass/fail) "
                "or a float score in 0..1."
            )
        return Score.of(value if isinstance(value, bool) else float(value), self.threshold)


EvaluatorLike = Evaluator | ScoreFunction
"""What ``evaluators=`` accepts: an :class:`Evaluator` or a function ``(case, output) -> bool | float``."""


def as_evaluator(value: EvaluatorLike) -> Evaluator:
    """The :class:`Evaluator` for ``value``."""
    if isinstance(value, Evaluator):
        return value
    if callable(value):
        return FunctionEvaluator(value)
    raise UserError(
        f"evaluators must be Evaluator objects or functions (case, output) -> bool | float, got a "
        f"{type(value).__name__}."
    )
