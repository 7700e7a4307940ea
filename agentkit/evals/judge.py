"""A model grading outputs against a rubric (and the reference answer, when the case has one)."""

from __future__ import annotations

from typing import Any

from agentkit.agent import Agent
from agentkit.evals.case import Case
from agentkit.evals.evaluators import Score
from agentkit.exceptions import UserError
from agentkit.models import Model
from agentkit.prompts import render
from agentkit.strategies._judge import Grade, answer_text
from agentkit.usage import Usage

__all__ = ["ModelJudge"]


class ModelJudge:
    """An LLM judge: grades each output from 0 to 10 against ``rubric`` (score = grade / 10, passes at
    ``threshold``). The prompts are the templates ``eval_judge_*`` in :mod:`agentkit.prompts`.

    The judge's own tokens are kept in :attr:`usage`; they are not counted in the compute of the strategy
    being evaluated.
    """

    def __init__(
        self, model: Model | str, rubric: str | None = None, *, threshold: float = 0.7, name: str = "judge"
    ) -> None:
        if not 0 <= threshold <= 1:
            raise UserError(f"ModelJudge threshold is a score from 0 to 1, got {threshold}.")
        self.name = name
        self.rubric = rubric or render("eval_judge_default_rubric")
        self.threshold = threshold
        self.usage = Usage()
        self._agent: Agent[None, Grade] = Agent(
            model, instructions=render("eval_judge_instructions"), output_type=Grade
        )

    async def score(self, case: Case, output: Any) -> Score:
        """Ask the judge."""
        expected = render("eval_judge_no_reference") if case.expected is None else answer_text(case.expected)
        prompt = render(
            "eval_judge_prompt", task=case.prompt(), expected=expected, answer=answer_text(output), rubric=self.rubric
        )
        result = await self._agent.run(prompt)
        self.usage = self.usage + result.usage
        value = result.output.score / 10
        return Score(value, value >= self.threshold, result.output.reasoning)
