"""Choosing among candidates: by score, by summed score per answer, by majority vote."""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from pydantic_core import to_jsonable_python

from agentkit.strategies.result import Candidate, Vote

__all__ = [
    "AnswerKey",
    "Choice",
    "best_scored",
    "default_key",
    "majority",
    "majority_scored",
    "votes_of",
    "weighted_best",
]

AnswerKey = Callable[[Any], Hashable]
"""Maps an output to what makes two answers "the same" (e.g. ``lambda s: s.strip().lower()``)."""

Choice = tuple[Candidate, str]
"""The chosen candidate and the reason, in words."""


def default_key(output: Any) -> str:
    """Equality of the validated output: its canonical JSON."""
    return json.dumps(to_jsonable_python(output, fallback=repr), sort_keys=True, ensure_ascii=False)


def _rank(candidate: Candidate) -> float:
    return candidate.score if candidate.score is not None else float("-inf")


def best_scored(candidates: Sequence[Candidate], *, of: int) -> Choice:
    """The highest score; ties go to the earliest candidate."""
    best = max(candidates, key=_rank)  # max keeps the first of equal keys
    return best, f"branch {best.branch_id} had the highest score ({_fmt(best.score)}) of {of} candidates"


def votes_of(candidates: Sequence[Candidate], key: AnswerKey) -> list[Vote]:
    """Distinct answers in first-seen order (by candidate index), with counts, shares and summed scores."""
    groups: dict[Hashable, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: c.index):
        groups.setdefault(key(candidate.output), []).append(candidate)
    total = sum(len(g) for g in groups.values())
    return [
        Vote(
            key=str(k),
            output=group[0].output,
            count=len(group),
            share=len(group) / total,
            weight=sum(c.score or 0.0 for c in group),
            candidates=tuple(c.index for c in group),
        )
        for k, group in groups.items()
    ]


def majority(candidates: Sequence[Candidate], key: AnswerKey) -> tuple[Choice, list[Vote]]:
    """The answer given most often; ties go to the answer seen first. Returns its first candidate."""
    votes = votes_of(candidates, key)
    top = max(votes, key=lambda v: v.count)
    chosen = _first_of(candidates, top)
    reason = f"answer {top.key} won {top.count} of {sum(v.count for v in votes)} votes ({top.share:.0%})"
    return (chosen, reason), votes


def majority_scored(candidates: Sequence[Candidate], key: AnswerKey) -> tuple[Choice, list[Vote]]:
    """:func:`majority`, with each candidate's ``score`` set to its answer's vote share."""
    choice, votes = majority(candidates, key)
    for vote in votes:
        for candidate in candidates:
            if candidate.index in vote.candidates:
                candidate.score = vote.share
    return choice, votes


def weighted_best(candidates: Sequence[Candidate], key: AnswerKey) -> tuple[Choice, list[Vote]]:
    """The answer with the highest summed score; within it, the candidate with the highest score."""
    votes = votes_of(candidates, key)
    top = max(votes, key=lambda v: v.weight)
    members = [c for c in candidates if c.index in top.candidates]
    chosen = max(sorted(members, key=lambda c: c.index), key=_rank)
    reason = (
        f"answer {top.key} had the highest summed score ({_fmt(top.weight)}, {top.count} of "
        f"{len(candidates)} candidates); branch {chosen.branch_id} scored best among them ({_fmt(chosen.score)})"
    )
    return (chosen, reason), votes


def _first_of(candidates: Sequence[Candidate], vote: Vote) -> Candidate:
    return next(c for c in candidates if c.index == vote.candidates[0])


def _fmt(score: float | None) -> str:
    return "unscored" if score is None else f"{score:.3g}"
