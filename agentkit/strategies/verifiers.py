"""Verifiers: how a strategy scores a candidate's final output.

Anything with ``async verify(output, ctx) -> Verdict`` is a verifier. Ready ones:

- :class:`FunctionVerifier`: a Python function of the output returning ``bool``, a ``float`` or a
  :class:`Verdict` (a plain callable passed as ``verifier=`` becomes one);
- :class:`PydanticVerifier`: the output must validate against a pydantic type (a ``BaseModel``
  subclass passed as ``verifier=`` becomes one), validators included;
- :class:`TestsVerifier`: test functions of the output (an ``assert`` failing or any exception fails
  a test); the score is the share that passed;
- :class:`JudgeVerifier`: an LLM judge grading against a rubric;
- :class:`RewardVerifier`: a reward function of the task and the output (a reward model, a metric).

Scores are floats where higher is better; the built-in ones use 0..1. ``passed`` decides acceptance
(:class:`~agentkit.strategies.Reflect` stops when its critic passes a draft).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, TypeAdapter, ValidationError

from agentkit._schema import describe_validation_error
from agentkit.agent import RunOptions
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models import Model
from agentkit.prompts import render
from agentkit.strategies._judge import Grade, Judge, answer_text

__all__ = [
    "FunctionVerifier",
    "JudgeVerifier",
    "PydanticVerifier",
    "RewardVerifier",
    "TestsVerifier",
    "Verdict",
    "Verifier",
    "VerifierLike",
    "VerifyContext",
    "as_verifier",
]


@dataclass(frozen=True)
class Verdict:
    """A verifier's judgement: a score (higher is better), whether it passes, and why."""

    score: float
    passed: bool
    feedback: str = ""

    @classmethod
    def of(cls, value: bool | float | Verdict, threshold: float) -> Verdict:
        """A verdict from a function's return value: ``bool`` → 1/0; a number passes at ``threshold``."""
        if isinstance(value, Verdict):
            return value
        if isinstance(value, bool):
            return cls(1.0 if value else 0.0, value)
        if isinstance(value, int | float):
            return cls(float(value), float(value) >= threshold)
        raise UserError(f"A verifier function returned {type(value).__name__}; return a bool, a number or a Verdict.")


@dataclass(frozen=True)
class VerifyContext:
    """What a verifier may use besides the output."""

    prompt: str
    messages: list[ModelRequest | ModelResponse]
    deps: Any
    model: Model
    """The model the candidate ran on (an LLM judge without its own model uses it)."""
    options: RunOptions
    """Pass to ``agent.run(..., options=ctx.options)`` so a model call counts against the strategy's budget."""


@runtime_checkable
class Verifier(Protocol):
    """Scores one candidate output."""

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Judge ``output``."""
        ...


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


class FunctionVerifier:
    """``function(output)`` (sync or async) returning ``bool``, a number or a :class:`Verdict`.

    A number passes when it is at least ``threshold``.
    """

    def __init__(self, function: Callable[[Any], Any], *, threshold: float = 1.0) -> None:
        self.function = function
        self.threshold = threshold

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Call the function."""
        return Verdict.of(await _maybe_await(self.function(output)), self.threshold)


class RewardVerifier:
    """``reward(prompt, output)`` (sync or async) → a number; passes at ``threshold``."""

    def __init__(self, reward: Callable[[str, Any], Any], *, threshold: float = 1.0) -> None:
        self.reward = reward
        self.threshold = threshold

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Call the reward function."""
        value = await _maybe_await(self.reward(ctx.prompt, output))
        return Verdict.of(float(value), self.threshold)


class PydanticVerifier:
    """The output (or its dump, for a model instance) must validate as ``type_``, validators included."""

    def __init__(self, type_: Any) -> None:
        self.type_ = type_
        self._adapter: TypeAdapter[Any] = TypeAdapter(type_)

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Validate the output."""
        data = output.model_dump() if isinstance(output, BaseModel) else output
        try:
            self._adapter.validate_python(data)
        except ValidationError as exc:
            return Verdict(0.0, False, describe_validation_error(exc))
        return Verdict(1.0, True)


class TestsVerifier:
    """Runs test functions of the output; the score is the share that passed, ``passed`` means all did.

    A test fails when it raises (``assert`` included) or takes longer than ``timeout`` seconds. Sync
    tests run in worker threads, so a test may run a subprocess (pytest on generated code, a compiler).
    """

    __test__ = False  # not a pytest test class

    def __init__(self, tests: Sequence[Callable[[Any], Any]], *, timeout: float | None = 30.0) -> None:
        if not tests:
            raise UserError("TestsVerifier needs at least one test function.")
        self.tests = list(tests)
        self.timeout = timeout

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Run every test concurrently."""
        failures = await asyncio.gather(*(self._run(test, output) for test in self.tests))
        failed = [f for f in failures if f is not None]
        score = 1 - len(failed) / len(self.tests)
        return Verdict(score, not failed, "\n".join(failed))

    async def _run(self, test: Callable[[Any], Any], output: Any) -> str | None:
        name = getattr(test, "__name__", repr(test))
        try:
            if inspect.iscoroutinefunction(test):
                await asyncio.wait_for(test(output), self.timeout)
            else:
                await asyncio.wait_for(asyncio.to_thread(test, output), self.timeout)
        except TimeoutError:
            return f"{name}: timed out after {self.timeout} s"
        except Exception as exc:  # any failure of a test is a failed test
            return f"{name}: {type(exc).__name__}: {exc}".rstrip(": ")
        return None


class JudgeVerifier:
    """An LLM judge grading the answer against ``rubric`` from 0 to 10 (score = grade / 10).

    ``model=None`` uses the candidate's own model. The grade passes at ``threshold`` (0..1).
    """

    def __init__(self, model: Model | str | None = None, rubric: str | None = None, *, threshold: float = 0.7) -> None:
        self.rubric = rubric or render("judge_default_rubric")
        self.threshold = threshold
        self._judge = Judge(model, render("judge_instructions"), Grade)

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Ask the judge."""
        prompt = render("judge_prompt", task=ctx.prompt, answer=answer_text(output), rubric=self.rubric)
        grade: Grade = await self._judge.ask(prompt, fallback=ctx.model, options=ctx.options)
        score = grade.score / 10
        return Verdict(score, score >= self.threshold, grade.reasoning)


VerifierLike = Verifier | Callable[[Any], Any] | type[BaseModel]
"""What ``verifier=`` accepts: a verifier, a function of the output, or a pydantic model class."""


def as_verifier(value: VerifierLike) -> Verifier:
    """The :class:`Verifier` for ``value`` (see :data:`VerifierLike`)."""
    if isinstance(value, type) and issubclass(value, BaseModel):
        return PydanticVerifier(value)
    if isinstance(value, Verifier):
        return value
    if callable(value):
        return FunctionVerifier(value)
    raise UserError(
        f"verifier={value!r} is not usable: pass a function of the output, a pydantic model class, "
        "or an object with 'async verify(output, ctx) -> Verdict'."
    )
