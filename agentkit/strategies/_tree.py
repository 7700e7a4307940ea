"""Search over agent steps: fork a branch, take one step in each fork, score it, keep the best.

Used by :class:`~agentkit.strategies.BeamSearch` and :class:`~agentkit.strategies.DVTS`. A step is
one model turn and its tool results (two nodes of the loop: the model request, then the tool calls).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, get_args

from agentkit._loop import CallToolsNode, End, ModelRequestNode
from agentkit.agent import AgentRun
from agentkit.exceptions import AgentkitError, UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies._ledger import BranchStopped
from agentkit.strategies._select import AnswerKey, Choice, best_scored, weighted_best
from agentkit.strategies._session import Session, gather_branches
from agentkit.strategies.result import Candidate, CandidateStatus, Vote
from agentkit.strategies.step_scorers import Aggregate, StepContext, StepScorer, aggregate_scores

__all__ = ["Path", "Search", "check_search_args"]


@dataclass
class Path:
    """A branch being searched: its run (stopped at a step boundary) and its step scores."""

    run: AgentRun[Any]
    branch_id: str
    scores: list[float] = field(default_factory=list)
    index: int = -1

    @property
    def finished(self) -> bool:
        """Whether the run has ended with a final answer."""
        return isinstance(self.run.next_node, End)

    @property
    def transcript(self) -> list[ModelRequest | ModelResponse]:
        """The messages so far, including the tool results that will go with the next request."""
        node = self.run.next_node
        pending = [node.request] if isinstance(node, ModelRequestNode) and node.request.parts else []
        return [*self.run.messages, *pending]


class Search:
    """Forking, stepping, scoring and recording the paths of one search."""

    def __init__(self, session: Session, scorer: StepScorer, how: Aggregate) -> None:
        self.session = session
        self.scorer = scorer
        self.how = how
        self.candidates: list[Candidate] = []
        self._next_index = 0

    def score_of(self, path: Path) -> float:
        """The path's aggregated score."""
        return aggregate_scores(path.scores, self.how)

    async def expand_all(self, parents: Sequence[Path], width: int) -> list[Path]:
        """``width`` children of every parent, each one step further and scored (in parent order)."""
        groups = await gather_branches([self.expand(parent, width) for parent in parents])
        return [child for group in groups for child in group]

    async def expand(self, parent: Path, width: int) -> list[Path]:
        """Fork ``parent`` ``width`` times and take one scored step in each fork.

        Forks the shared budget stopped, or that failed, are recorded as candidates and left out.
        """
        children = []
        for i in range(width):
            branch_id = f"{parent.branch_id}.{i}".lstrip(".")
            run = self.session.fork(parent.run, branch_id)
            children.append(Path(run, branch_id, list(parent.scores), self._take_index()))
        stepped = await gather_branches([self._step(child) for child in children])
        return [child for child in stepped if child is not None]

    def top(self, paths: Sequence[Path], keep: int) -> tuple[list[Path], list[Path]]:
        """The ``keep`` best paths (ties: earliest) and the rest."""
        ranked = sorted(paths, key=lambda p: (-self.score_of(p), p.index))
        return ranked[:keep], ranked[keep:]

    async def prune(self, paths: Sequence[Path]) -> None:
        """Drop paths the search won't continue."""
        for path in paths:
            self.record(path, "pruned")
            await self.session.emit_branch("prune", path.branch_id, self.score_of(path))

    def record(self, path: Path, status: CandidateStatus) -> Candidate:
        """Keep ``path`` as a candidate of the result."""
        result = path.run.result
        candidate = Candidate(
            index=path.index,
            branch_id=path.branch_id,
            status=status,
            output=result.output if result is not None else None,
            score=self.score_of(path) if path.scores else None,
            usage=path.run.usage,
            messages=path.transcript,
            stop_reason=result.stop_reason if result is not None else None,
            step_scores=list(path.scores),
        )
        self.candidates.append(candidate)
        return candidate

    def choose(self, weighted: bool, key: AnswerKey) -> tuple[Choice, list[Vote]] | None:
        """The best finished candidate (or answer, when ``weighted``), or ``None`` if none finished."""
        finished = [c for c in self.candidates if c.finished]
        if not finished:
            return None
        if weighted:
            return weighted_best(finished, key)
        return best_scored(finished, of=len(finished)), []

    # --- one step --------------------------------------------------------------------------------

    def _take_index(self) -> int:
        self._next_index += 1
        return self._next_index - 1

    async def _step(self, child: Path) -> Path | None:
        await self.session.emit_branch("start", child.branch_id)
        try:
            node = await child.run.next()
            if isinstance(node, CallToolsNode):
                await child.run.next()
            child.scores.append(await self.scorer.score(self._context(child)))
        except BranchStopped as stop:
            self._record_end(child, "stopped", str(stop)).limit = stop.limit
            await self.session.branch_stopped(child.branch_id, stop)
            return None
        except UserError:
            raise
        except AgentkitError as exc:
            self._record_end(child, "failed", f"{type(exc).__name__}: {exc}")
            return None
        await self.session.emit_branch("score", child.branch_id, self.score_of(child))
        return child

    def _record_end(self, child: Path, status: CandidateStatus, error: str) -> Candidate:
        candidate = self.record(child, status)
        candidate.error = error
        return candidate

    def _context(self, child: Path) -> StepContext:
        result = child.run.result
        return StepContext(
            prompt=self.session.prompt,
            messages=child.transcript,
            step=len(child.scores),
            finished=child.finished,
            output=result.output if result is not None else None,
            deps=self.session.deps,
            model=self.session.model,
            options=self.session.judge_options(child.branch_id),
        )


def check_search_args(name: str, *, max_steps: int, aggregate: str, **counts: int) -> None:
    """Fail early, naming the bad argument, for a search's constructor."""
    for what, value in {**counts, "max_steps": max_steps}.items():
        if value < 1:
            raise UserError(f"{name}: {what} must be >= 1, got {value}.")
    if aggregate not in get_args(Aggregate):
        raise UserError(f"{name}: aggregate must be one of {list(get_args(Aggregate))}, got {aggregate!r}.")
