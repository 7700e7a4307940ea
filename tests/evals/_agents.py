"""Agents for the evaluation tests (importable as ``tests.evals._agents:solver`` by the CLI)."""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from agentkit import Agent
from agentkit.evals import Case, Dataset
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.testing import FunctionModel, RecordedRequest, call, text
from agentkit.usage import Usage

Messages = list[ModelRequest | ModelResponse]
USAGE = Usage(input_tokens=10, output_tokens=5, reasoning_tokens=2)

# Case i ("q i", expected 10*i): the answers the solver gives on its 1st, 2nd, 3rd... call for it, in a cycle.
RIGHT, WRONG = "right", "wrong"
SCRIPT: dict[int, list[str]] = {
    **{i: [RIGHT, RIGHT, RIGHT] for i in range(6)},
    6: [WRONG, RIGHT, RIGHT],
    7: [WRONG, RIGHT, RIGHT],
    8: [RIGHT, WRONG, WRONG],
    9: [WRONG, WRONG, WRONG],
}
"""A plain run answers with the first entry: 7 of 10 right. ``sc:3`` sees all three: 8 of 10 right."""


def question(messages: Messages) -> int:
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPart) and (match := re.fullmatch(r"q (\d+)", part.content)):
                    return int(match.group(1))
    raise AssertionError("no question in the transcript")


@dataclass
class ScriptedSolver:
    """Answers case i by cycling through ``SCRIPT[i]``; a wrong answer is 10*i + 1."""

    calls: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def respond(self, messages: Messages, info: RecordedRequest) -> ModelResponse:
        i = question(messages)
        verdict = SCRIPT[i][self.calls[i] % len(SCRIPT[i])]
        self.calls[i] += 1
        return text(str(10 * i if verdict == RIGHT else 10 * i + 1), usage=USAGE)


def scripted_cases() -> Dataset:
    return Dataset([Case(f"q {i}", 10 * i) for i in range(10)], name="scripted")


def make_solver() -> Agent[None, str]:
    """A fresh agent over a fresh :class:`ScriptedSolver` (the CLI calls this factory)."""
    return Agent(FunctionModel(ScriptedSolver().respond, name="scripted-solver"), name="solver")


@dataclass
class NoisySolver:
    """Right with probability ``p[i]`` on case i, else one of 3 distractors; one seeded stream per case."""

    p: Sequence[float]
    seed: int
    _rngs: dict[int, random.Random] = field(default_factory=dict)

    def respond(self, messages: Messages, info: RecordedRequest) -> ModelResponse:
        i = question(messages)
        rng = self._rngs.setdefault(i, random.Random(self.seed * 1_000_003 + i))
        answer = 10 * i if rng.random() < self.p[i] else 10 * i + rng.randint(1, 3)
        return text(str(answer), usage=USAGE)


def multiple_of_ten(output: str) -> bool:
    """A verifier for Best-of-N: right answers are multiples of ten."""
    return int(output) % 10 == 0


def same_tens(case: Case, output: str) -> bool:
    """An evaluator: the output has the expected tens digit."""
    return int(output) // 10 == int(case.expected) // 10


def judge_model() -> FunctionModel:
    """A judge for ``-e judge:tests.evals._agents:judge_model``: grades 10 when the answer is a multiple of ten."""

    def grade(messages: Messages, info: RecordedRequest) -> ModelResponse:
        prompt = next(
            p.content for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, UserPart)
        )
        answer = prompt.split("Candidate answer:\n")[1].split("\n")[0]
        return call("final_result", reasoning="checked", score=10 if int(answer) % 10 == 0 else 0)

    return FunctionModel(grade, name="judge")
