"""Test models for strategies: a seeded noisy solver and a model that takes a fixed number of steps."""

from __future__ import annotations

import asyncio
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.strategies._ledger import Ledger
from agentkit.testing import FunctionModel, RecordedRequest, call, text
from agentkit.usage import Usage

Messages = list[ModelRequest | ModelResponse]


@dataclass(frozen=True)
class Problem:
    """A problem whose prompt names its id; ``answer`` is the right one."""

    id: int
    answer: int

    @property
    def prompt(self) -> str:
        return f"problem {self.id}"


def make_problems(count: int, seed: int) -> list[Problem]:
    rng = random.Random(seed)
    return [Problem(i, rng.randint(10, 10_000)) for i in range(count)]


def problem_id(messages: Messages) -> int:
    """The id of the problem in the first user message."""
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPart) and (match := re.fullmatch(r"problem (\d+)", part.content)):
                    return int(match.group(1))
    raise AssertionError("no problem prompt in the transcript")


@dataclass
class NoisySolver:
    """Answers each request correctly with probability ``p``; wrong answers come from ``wrong``.

    Each problem has its own seeded random stream, so results don't depend on how problems interleave.
    ``wrong(answer, rng)`` defaults to one fixed wrong answer per problem (answer + 1).
    """

    problems: list[Problem]
    p: float
    seed: int
    wrong: Callable[[int, random.Random], int] = lambda answer, rng: answer + 1
    calls: int = 0
    correct: int = 0
    _rngs: dict[int, random.Random] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.model = FunctionModel(self.respond, name="noisy-solver")

    def respond(self, messages: Messages, info: RecordedRequest) -> ModelResponse:
        pid = problem_id(messages)
        rng = self._rngs.setdefault(pid, random.Random(self.seed * 1_000_003 + pid))
        answer = self.problems[pid].answer
        self.calls += 1
        if rng.random() < self.p:
            self.correct += 1
            return call("final_result", result=answer)
        return call("final_result", result=self.wrong(answer, rng))


@dataclass
class StepModel:
    """Takes ``depth - 1`` tool turns (``think(x)`` with a random ``x``), then answers with the x's so far.

    ``usage`` is reported on every response; ``delay`` makes each request take that long.
    """

    depth: int
    seed: int = 0
    usage: Usage = field(default_factory=lambda: Usage(input_tokens=10, output_tokens=5))
    delay: float = 0.0
    tool: str = "think"
    calls: int = 0
    in_flight: int = 0
    peak: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.model = FunctionModel(self.respond, name="steps")

    async def respond(self, messages: Messages, info: RecordedRequest) -> ModelResponse:
        self.calls += 1
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            if self.delay:
                await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        xs = thoughts(messages)
        if len(xs) + 1 < self.depth:
            reply = call(self.tool, x=self.rng.randint(0, 99))
        else:
            reply = text(",".join(map(str, xs)) or "none")
        return reply.model_copy(update={"usage": self.usage})


def thoughts(messages: Messages) -> list[int]:
    """The ``x`` arguments of the tool calls so far, in order."""
    import json

    return [
        int(json.loads(c.arguments)["x"])
        for m in messages
        if isinstance(m, ModelResponse)
        for c in m.tool_calls
        if c.name != "final_result"
    ]


def think(x: int) -> int:
    """Think about x.

    Args:
        x: A number.
    """
    return x


def last_x(ctx: Any) -> float:
    """Step scorer: the last thought / 100 (1.0 for a final answer without thoughts)."""
    xs = thoughts(ctx.messages)
    return xs[-1] / 100 if xs else 1.0


class WaveRecorder:
    """A stand-in for the durable executor: runs each batch of branches here and records it."""

    def __init__(self) -> None:
        self.ledger = Ledger(None, None)
        self.batches: list[list[int]] = []

    async def run(self, session: Any, branch: Any, indices: Any) -> list[Any]:
        self.batches.append(list(indices))
        return list(await asyncio.gather(*(branch(session, i) for i in indices)))
