"""Human approval in background runs: what a run waits for, and the messages that carry decisions.

A background run started from an agent without an approver waits for a person whenever a tool that
``requires_approval`` is called: the run logs an ``approval_requested`` event (secret arguments
redacted) and waits for a message on the call's topic. ``handle.approve(call_id)``,
``handle.deny(call_id, reason)`` and ``agentkit runs approve|deny`` send that message, from any
process, through the system database. The run records the message it received as a step, so a replay
after a crash gets the same decision back and never asks again; a decision sent while no worker holds
the run waits in the database until one does.

Nothing here imports DBOS.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.approval import ApprovalDecision
    from agentkit.background.events import RunEvent

__all__ = [
    "APPROVALS_KEY",
    "BY_AGENT",
    "BY_PERSON",
    "DECIDED",
    "REQUESTED",
    "PendingApproval",
    "approval_topic",
    "decision_from_message",
    "decision_message",
    "pending_approvals",
]

APPROVALS_KEY = "approvals"
"""The payload key of an agent run that says who decides its approvals (fixed when the run starts)."""
BY_PERSON = "person"
"""Decided from outside the run: ``handle.approve`` / ``handle.deny`` / ``agentkit runs approve|deny``."""
BY_AGENT = "agent"
"""Decided by the agent's own ``approver``; each decision is recorded as a step."""

REQUESTED = "approval_requested"
DECIDED = "approval_decided"
TOPIC_PREFIX = "agentkit.approval"


@dataclass(frozen=True)
class PendingApproval:
    """A tool call of a background run waiting for someone to approve or deny it."""

    run_id: str
    call_id: str
    """Pass it to ``handle.approve`` / ``handle.deny``."""
    tool: str
    arguments: str
    """The call's arguments as JSON text, with the tool's secret arguments redacted."""
    step: int
    """The loop step (model turn) that made the call."""
    requested_at: float
    """Unix time (seconds) the request was logged."""

    @property
    def topic(self) -> str:
        """The message topic the run waits on for this call's decision."""
        return approval_topic(self.step, self.call_id)


def approval_topic(step: int, call_id: str) -> str:
    """The topic of the decision on call ``call_id`` made at loop step ``step`` (unique in a run)."""
    return f"{TOPIC_PREFIX}:{step}:{call_id}"


def decision_message(approved: bool, reason: str = "") -> dict[str, Any]:
    """The message that carries a decision (plain data, readable by any version of agentkit)."""
    return {"approved": approved, "reason": reason}


def decision_from_message(message: Any) -> ApprovalDecision:
    """Read a decision message: only ``"approved": True`` approves; anything else is a denial."""
    from agentkit.approval import ApprovalDecision

    if not isinstance(message, Mapping):
        return ApprovalDecision(approved=False)
    return ApprovalDecision(approved=message.get("approved") is True, reason=str(message.get("reason") or ""))


def pending_approvals(events: Iterable[RunEvent]) -> list[PendingApproval]:
    """The requests among ``events`` (one run's approval events, in order) that have no decision yet."""
    pending: dict[str, PendingApproval] = {}
    for event in events:
        if event.kind == REQUESTED:
            request = _request_of(event)
            pending[request.call_id] = request
        elif event.kind == DECIDED:
            pending.pop(str(event.data.get("call_id")), None)
    return list(pending.values())


def _request_of(event: RunEvent) -> PendingApproval:
    call = event.data["call"]
    return PendingApproval(
        run_id=event.run_id,
        call_id=str(call["id"]),
        tool=str(call["name"]),
        arguments=str(call.get("arguments", "{}")),
        step=int(event.data["step"]),
        requested_at=event.ts,
    )
