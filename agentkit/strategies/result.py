"""What a strategy returns: the chosen result plus every candidate it considered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from agentkit.exceptions import UnexpectedModelBehavior
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.result import AgentResult, StopReason
from agentkit.usage import LimitName, Usage

__all__ = ["Candidate", "CandidateStatus", "NoCandidateError", "StrategyResult", "Vote"]

OutputT = TypeVar("OutputT")

CandidateStatus = Literal["finished", "pruned", "stopped", "failed", "unfinished"]
"""``finished``: a final answer; ``pruned``: dropped by a search; ``stopped``: the shared budget ended it
(``limit`` says which), or an early stop cancelled it or never started it (``error`` says which);
``failed``: an error ended it; ``unfinished``: a search ran out of steps before it answered."""


@dataclass
class Candidate:
    """One branch of a strategy: its answer (if any), score, usage and why it ended."""

    index: int
    branch_id: str
    status: CandidateStatus
    output: Any = None
    score: float | None = None
    feedback: str = ""
    """What the verifier or critic said about it."""
    passed: bool | None = None
    """Whether the verifier passed it (``Verdict.passed``); ``None`` if it was not verified."""
    usage: Usage = field(default_factory=Usage)
    """Usage of this branch's whole transcript (a search branch includes the steps it shares with others)."""
    messages: list[ModelRequest | ModelResponse] = field(default_factory=list, repr=False)
    stop_reason: StopReason | None = None
    """How the branch's run ended (``"final"`` or a limit), when it ended."""
    step_scores: list[float] = field(default_factory=list)
    error: str | None = None
    limit: LimitName | None = None

    @property
    def finished(self) -> bool:
        """Whether the branch produced a final answer."""
        return self.status == "finished"

    @property
    def tokens(self) -> int:
        """Total tokens of this branch."""
        return self.usage.total_tokens

    @property
    def cost_usd(self) -> float:
        """Cost of this branch."""
        return self.usage.cost_usd


@dataclass(frozen=True)
class Vote:
    """One distinct answer in a vote: how many candidates gave it and their share."""

    key: str
    output: Any
    count: int
    share: float
    weight: float
    candidates: tuple[int, ...]


@dataclass
class StrategyResult(AgentResult[OutputT], Generic[OutputT]):
    """An :class:`~agentkit.result.AgentResult` with the strategy's candidates and its reasons.

    ``usage`` is the total over every branch, judge and critic call (what the global budget counted);
    ``messages`` is the chosen candidate's transcript.
    """

    strategy: str = ""
    candidates: list[Candidate] = field(default_factory=list)
    chosen: int = -1
    """Index into :attr:`candidates` of the chosen one."""
    reason: str = ""
    votes: list[Vote] = field(default_factory=list)
    """Answers with their vote counts (self-consistency and weighted selection)."""

    @property
    def chosen_candidate(self) -> Candidate:
        """The candidate whose output was returned."""
        return self.candidates[self.chosen]


class NoCandidateError(UnexpectedModelBehavior):
    """No branch of a strategy produced an answer. ``candidates`` says how each one ended."""

    def __init__(self, message: str, candidates: Sequence[Candidate]) -> None:
        super().__init__(message)
        self.candidates = list(candidates)
