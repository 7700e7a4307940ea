"""Reflection: draft → critique → revise, until the critic accepts or the rounds run out."""

from __future__ import annotations

from typing import Any

from agentkit.exceptions import UserError
from agentkit.models import Model
from agentkit.prompts import render
from agentkit.strategies._judge import Critique, Judge, answer_text
from agentkit.strategies._session import Session, StrategyConfig
from agentkit.strategies._strategy import SessionStrategy
from agentkit.strategies._tools import ToolPolicy
from agentkit.strategies.result import Candidate, StrategyResult
from agentkit.strategies.verifiers import Verdict, Verifier, VerifierLike, VerifyContext, as_verifier

__all__ = ["ModelCritic", "Reflect"]


class ModelCritic:
    """An LLM critic: accepts a draft, or explains what is wrong. ``model=None`` uses the run's own model."""

    def __init__(self, model: Model | str | None = None, rubric: str | None = None) -> None:
        self.rubric = rubric or render("judge_default_rubric")
        self._judge = Judge(model, render("critic_instructions"), Critique)

    async def verify(self, output: Any, ctx: VerifyContext) -> Verdict:
        """Ask for acceptance or a critique."""
        prompt = render("critic_prompt", task=ctx.prompt, answer=answer_text(output), rubric=self.rubric)
        critique: Critique = await self._judge.ask(prompt, fallback=ctx.model, options=ctx.options)
        return Verdict(1.0 if critique.accept else 0.0, critique.accept, critique.critique)


class Reflect(SessionStrategy):
    """Draft an answer, have a critic review it, and revise with the critique, up to ``max_rounds`` times.

    The critic is any verifier (its ``feedback`` becomes the critique; a :class:`TestsVerifier`'s
    failures, a pydantic error ...) or, by default, a :class:`ModelCritic` on the same model. The run
    stops at the first draft the critic passes; if none passes, the best-scored draft (the latest of
    equals) is returned. Revisions continue the same conversation.
    """

    name = "reflect"

    def __init__(
        self,
        max_rounds: int = 2,
        *,
        critic: VerifierLike | None = None,
        concurrency: int | None = None,
        tools: ToolPolicy | None = None,
    ) -> None:
        if max_rounds < 0:
            raise UserError(f"Reflect needs max_rounds >= 0 revisions, got {max_rounds}.")
        self.max_rounds = max_rounds
        self.critic: Verifier = as_verifier(critic) if critic is not None else ModelCritic()
        self.config = StrategyConfig(concurrency, tools or ToolPolicy())

    async def _run(self, session: Session) -> StrategyResult[Any]:
        """Draft, then critique and revise."""
        candidates = [await session.run_whole(0)]
        accepted = await self._rounds(session, candidates)
        if accepted is not None:
            reason = f"the critic accepted {_label(accepted)}"
            return await session.finish(candidates, accepted, reason)
        finished = [c for c in candidates if c.finished]
        if not finished:
            raise session.no_answer(candidates, "See the error's .candidates for every draft.")
        best = max(reversed(finished), key=lambda c: c.score if c.score is not None else float("-inf"))
        reason = f"the critic accepted none of {len(finished)} answers; {_label(best)} scored best ({best.score})"
        return await session.finish(candidates, best, reason)

    async def _rounds(self, session: Session, candidates: list[Candidate]) -> Candidate | None:
        """Critique and revise until accepted (returns that draft) or out of rounds / budget (``None``)."""
        for round_ in range(self.max_rounds + 1):
            current = candidates[-1]
            if not current.finished:
                return None
            verdict = await session.verify(current, self.critic)
            if verdict is None:
                return None
            if verdict.passed:
                return current
            if round_ == self.max_rounds:
                return None
            critique = verdict.feedback or render("reflect_rejected_no_feedback", score=verdict.score)
            revise = render("reflect_revise", critique=critique)
            candidates.append(await session.run_whole(round_ + 1, prompt=revise, history=current.messages))
        return None


def _label(candidate: Candidate) -> str:
    return "the first draft" if candidate.index == 0 else f"revision {candidate.index}"
