"""Where the independent branches of a strategy run: here, or elsewhere (durable child runs).

Strategies whose branches don't depend on each other (Best-of-N, self-consistency, adaptive
consistency) hand them to :meth:`Session.branches`. In a normal run they run concurrently in this
process; in a durable run (``agent.start(task, strategy=...)``) a :class:`BranchExecutor` runs each one
as a child run on the queue, so they spread over every worker.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from agentkit._loop import ModelCaller
from agentkit.usage import LimitName, Usage

if TYPE_CHECKING:
    from agentkit.strategies._session import Session
    from agentkit.strategies.result import Candidate

__all__ = ["BranchExecutor", "BranchFn", "LedgerLike"]

BranchFn = Callable[["Session", int], Coroutine[Any, Any, "Candidate"]]
"""One branch: ``await branch(session, index)`` returns its candidate. Must be picklable (a module-level
function or a method of a picklable strategy) for a :class:`BranchExecutor` to send it elsewhere."""


class LedgerLike(Protocol):
    """The shared budget of a strategy's branches (:class:`~agentkit.strategies._ledger.Ledger` in process)."""

    @property
    def used(self) -> Usage:
        """Usage of every branch so far."""
        ...

    @property
    def stopped_by(self) -> LimitName | None:
        """The first limit that stopped a branch, if one did."""
        ...

    @property
    def peak_in_flight(self) -> int:
        """The most model requests (or branches) in flight at once."""
        ...

    def caller(self, inner: ModelCaller) -> ModelCaller:
        """``inner`` with the budget checked around each request."""
        ...

    def take_tool_call(self) -> bool:
        """Count one tool call; ``False`` when ``max_tool_calls`` is used up."""
        ...


class BranchExecutor(Protocol):
    """Runs branches somewhere else than this process's event loop, sharing :attr:`ledger`."""

    @property
    def ledger(self) -> LedgerLike:
        """The budget every branch shares (wherever it runs)."""
        ...

    async def run(self, session: Session, branch: BranchFn, indices: Sequence[int]) -> list[Candidate]:
        """Run ``branch(session, i)`` for each ``i`` and return the candidates in the order of ``indices``."""
        ...
