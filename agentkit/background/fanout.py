"""The parent side of ``agent.start(task, strategy=...)``: each branch a child run on the branch queue.

The parent run executes the strategy; :meth:`Session.branches` hands the independent branches to
:class:`ChildRuns`, which queues each one as a child run (id ``"<parent id>:<branch index>"``) that any
worker may execute, at most ``concurrency`` at a time, and waits for them by reading the database.

Nothing of this is a step of the parent: a child's id is fixed, so queueing it again after a crash
returns the same child, and a finished child's candidate is read back from its stored result. A
parent recovered on another worker therefore starts no branch twice and re-runs none that finished.
Children share the parent's budget through :class:`~agentkit.background.shared_budget.SharedBudget`.

Imported by workers only (it imports DBOS).
"""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from dbos import error as dbos_error

from agentkit._instructions import INSTRUCTIONS_KEY
from agentkit.background.approvals import APPROVALS_KEY
from agentkit.background.spec import PARENT_KEY, STRATEGY_NAME_KEY, RunSpec
from agentkit.strategies._branching import BranchFn
from agentkit.strategies.result import Candidate

if TYPE_CHECKING:
    from agentkit.background.shared_budget import SharedBudget
    from agentkit.background.store import RunStore
    from agentkit.strategies._session import Session

__all__ = ["BRANCH_RUNNER", "ChildRuns", "child_id"]

BRANCH_RUNNER = "agentkit.background.strategy_runs:run_branch"
_FAILED = {"ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED", "CANCELLED"}


def child_id(parent_id: str, index: int) -> str:
    """The id of branch ``index`` of the strategy run ``parent_id`` (the same on every replay)."""
    return f"{parent_id}:{index}"


class ChildRuns:
    """A :class:`~agentkit.strategies._branching.BranchExecutor` that makes each branch a child run."""

    def __init__(self, store: RunStore, parent_id: str, payload: dict[str, Any], ledger: SharedBudget) -> None:
        self._store = store
        self._parent_id = parent_id
        self._payload = payload
        self._ledger = ledger
        self.poll_s = min(store.config.queue_poll_s, 0.05)

    @property
    def ledger(self) -> SharedBudget:
        """The budget the children share, in the database."""
        return self._ledger

    async def run(self, session: Session, branch: BranchFn, indices: Sequence[int]) -> list[Candidate]:
        """Queue a child run per index (at most ``concurrency`` live at once) and wait for all of them."""
        waiting, live, done = list(indices), dict[str, int](), dict[int, Candidate]()
        cap = session.config.concurrency
        while waiting or live:
            room = len(waiting) if cap is None else min(len(waiting), cap - len(live))
            starting, waiting = waiting[:room], waiting[room:]
            if starting:
                launched = await _off_context(self._launch_all, session, branch, starting)
                live.update(zip(launched, starting, strict=True))
                self._ledger.peak_in_flight = max(self._ledger.peak_in_flight, len(live))
            for finished_id, candidate in await self._next_finished(live):
                done[live.pop(finished_id)] = candidate
        return [done[i] for i in indices]

    def _launch_all(self, session: Session, branch: BranchFn, indices: list[int]) -> list[str]:
        return [self._launch(session, branch, index) for index in indices]

    def _launch(self, session: Session, branch: BranchFn, index: int) -> str:
        payload = {
            "agent": self._payload["agent"],
            "prompt": session.prompt,
            "deps": session.deps,
            "history": session.history,
            "branch": pickle.dumps(branch),  # pickled apart: listing runs needs none of its modules
            "index": index,
            STRATEGY_NAME_KEY: session.name,
            "config": pickle.dumps(session.config),
            "budget": session.budget,
            PARENT_KEY: self._parent_id,
            APPROVALS_KEY: self._payload.get(APPROVALS_KEY),
            INSTRUCTIONS_KEY: self._payload.get(INSTRUCTIONS_KEY),
        }
        spec = RunSpec(BRANCH_RUNNER, payload, title=f"{session.name} branch {index} of {self._parent_id}")
        queue = self._store.config.branch_queue
        return self._store.start(spec, run_id=child_id(self._parent_id, index), queue=queue).id

    async def _next_finished(self, live: dict[str, int]) -> list[tuple[str, Candidate]]:
        """Wait until some of the ``live`` children finished; their candidates (the parent's own stop
        (cancelled, or taken over by another worker) is raised as DBOS would)."""
        while True:
            workflows = await _off_context(self._statuses, [*live, self._parent_id])
            parent = workflows.get(self._parent_id)
            if parent is not None and parent.status != "PENDING":
                if parent.status == "CANCELLED":
                    raise dbos_error.DBOSWorkflowCancelledError(f"Run {self._parent_id} was cancelled.")
                raise dbos_error.DBOSWorkflowConflictIDError(self._parent_id)
            finished = [
                (run_id, _candidate(workflows[run_id], index))
                for run_id, index in live.items()
                if run_id in workflows and workflows[run_id].status in (_FAILED | {"SUCCESS"})
            ]
            if finished:
                return finished
            await asyncio.sleep(self.poll_s)

    def _statuses(self, run_ids: list[str]) -> dict[str, Any]:
        found = self._store.client.list_workflows(workflow_ids=run_ids, load_input=False)
        return {wf.workflow_id: wf for wf in found}


def _candidate(wf: Any, index: int) -> Candidate:
    """The candidate a finished child run stands for (a failed child is a failed candidate)."""
    if wf.status == "SUCCESS" and isinstance(wf.output, Candidate):
        return wf.output
    if wf.status == "CANCELLED":
        error = f"its child run {wf.workflow_id} was cancelled"
    elif wf.status == "SUCCESS":
        error = f"its child run {wf.workflow_id} returned {type(wf.output).__name__}, not a Candidate"
    else:
        error = f"{type(wf.error).__name__}: {wf.error}" if wf.error is not None else f"child run {wf.status}"
    return Candidate(index, str(index), "failed", error=error)


async def _off_context(fn: Any, *args: Any) -> Any:
    """Run blocking ``fn(*args)`` in a thread outside the run's DBOS context (so it is not a step)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, fn, *args)
