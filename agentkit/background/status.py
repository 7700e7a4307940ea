"""The state of a durable run, in agentkit's words (mapped from DBOS workflow statuses)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from agentkit.background.approvals import APPROVALS_KEY, PendingApproval
from agentkit.background.spec import PARENT_KEY, STRATEGY_NAME_KEY

__all__ = ["RunState", "RunStatus", "StepRecord"]


class RunState(StrEnum):
    """Where a run is in its life."""

    QUEUED = "queued"
    """Waiting for a worker (or delayed)."""
    RUNNING = "running"
    """Claimed by a worker (which may have died: see :attr:`RunStatus.executor_id`)."""
    WAITING = "waiting"
    """Running, and paused until someone approves or denies a tool call (see
    :attr:`RunStatus.pending_approvals`)."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def finished(self) -> bool:
        """Whether the run can't change any more (unless resumed)."""
        return self in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELLED)


_FROM_DBOS = {
    "ENQUEUED": RunState.QUEUED,
    "DELAYED": RunState.QUEUED,
    "PENDING": RunState.RUNNING,
    "SUCCESS": RunState.SUCCEEDED,
    "ERROR": RunState.FAILED,
    "MAX_RECOVERY_ATTEMPTS_EXCEEDED": RunState.FAILED,
    "CANCELLED": RunState.CANCELLED,
}


@dataclass(frozen=True)
class RunStatus:
    """A snapshot of one run."""

    id: str
    state: RunState
    title: str
    runner: str
    created_at: float | None
    """Unix time (seconds)."""
    updated_at: float | None
    executor_id: str | None
    """The worker that last claimed the run."""
    app_version: str | None
    queue: str | None
    error: str | None
    """Why the run failed, if it did."""
    dbos_status: str
    """The raw DBOS status (``MAX_RECOVERY_ATTEMPTS_EXCEEDED`` shows as ``failed``)."""
    pending_approvals: tuple[PendingApproval, ...] = ()
    """Tool calls waiting for ``handle.approve`` / ``handle.deny`` (kept while a run is cancelled or
    queued again, since it asks for them again when it goes on; empty once it succeeded or failed)."""
    approvals: str = ""
    """Who decides the run's approvals: ``"person"`` (from outside, with ``handle.approve`` /
    ``handle.deny``), ``"agent"`` (the agent's own approver), or ``""`` (not an agent run)."""
    strategy: str = ""
    """The strategy of ``agent.start(task, strategy=...)`` runs and of their branches (``""`` otherwise)."""
    parent: str | None = None
    """For a branch of a strategy run (a child run), the id of that run."""

    @classmethod
    def from_workflow(cls, wf: Any, pending: Sequence[PendingApproval] = ()) -> RunStatus:
        """Build from a ``dbos.WorkflowStatus`` and the run's undecided approval requests."""
        spec = _spec_of(wf)
        state = _FROM_DBOS[wf.status]
        if state.finished and state is not RunState.CANCELLED:
            pending = ()
        payload = spec.get("payload")
        return cls(
            id=wf.workflow_id,
            state=RunState.WAITING if state is RunState.RUNNING and pending else state,
            title=str(spec.get("title", "")),
            runner=str(spec.get("runner", "")),
            created_at=_seconds(wf.created_at),
            updated_at=_seconds(wf.updated_at),
            executor_id=wf.executor_id,
            app_version=wf.app_version,
            queue=wf.queue_name,
            error=_describe_error(wf),
            dbos_status=wf.status,
            pending_approvals=tuple(pending),
            approvals=str(payload.get(APPROVALS_KEY, "")) if isinstance(payload, dict) else "",
            strategy=str(payload.get(STRATEGY_NAME_KEY, "")) if isinstance(payload, dict) else "",
            parent=payload.get(PARENT_KEY) if isinstance(payload, dict) else None,
        )


def _spec_of(wf: Any) -> dict[str, Any]:
    inputs = wf.input or {}
    args = inputs.get("args") or ()
    if args and isinstance(args[0], dict):
        return args[0]
    spec = (inputs.get("kwargs") or {}).get("spec")
    return spec if isinstance(spec, dict) else {}


def _seconds(epoch_ms: int | None) -> float | None:
    return None if epoch_ms is None else epoch_ms / 1000


def _describe_error(wf: Any) -> str | None:
    if wf.status == "MAX_RECOVERY_ATTEMPTS_EXCEEDED":
        return (
            "The run was recovered too many times (it keeps crashing its worker); "
            "fix the cause, then `agentkit runs resume` it."
        )
    if wf.error is None:
        return None
    return f"{type(wf.error).__name__}: {wf.error}"


@dataclass(frozen=True)
class StepRecord:
    """One finished (checkpointed) step of a run."""

    index: int
    """The DBOS step number (model calls, tool calls and DBOS bookkeeping share one sequence)."""
    name: str
    """``agentkit.model:<name>`` or ``agentkit.tool:<tool name>`` for the run's own steps."""
    output: Any
    """The step's value (for agentkit's own steps, without the recorded duration)."""
    duration_s: float | None
    """How long agentkit's own steps took, as recorded."""
    error: str | None
    started_at: float | None
    completed_at: float | None

    @classmethod
    def from_step(cls, step: Any) -> StepRecord:
        """Build from a ``dbos.StepInfo``."""
        error = step["error"]
        output, duration = step["output"], None
        if step["function_name"].startswith("agentkit.") and isinstance(output, tuple) and len(output) == 2:
            output, duration = output
        return cls(
            index=step["function_id"],
            name=step["function_name"],
            output=output,
            duration_s=duration,
            error=None if error is None else f"{type(error).__name__}: {error}",
            started_at=_seconds(step["started_at_epoch_ms"]),
            completed_at=_seconds(step["completed_at_epoch_ms"]),
        )
