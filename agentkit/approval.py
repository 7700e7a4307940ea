"""Human approval of tool calls.

A tool declared with ``requires_approval=True`` does not run until an *approver* decides. The run
emits an :class:`~agentkit.events.ApprovalRequested` event and waits; a denial goes back to the model
as the tool's result, with the reason.

An approver is any async callable ``(ApprovalRequest) -> ApprovalDecision``. :class:`ApprovalQueue`
is the usual one: the run waits on it while your UI (or another task, or another process for
background runs) calls :meth:`ApprovalQueue.approve` / :meth:`ApprovalQueue.deny`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from agentkit.messages import ToolCall

__all__ = ["ApprovalDecision", "ApprovalQueue", "ApprovalRequest", "Approver", "approve_all", "deny_all"]


@dataclass(frozen=True)
class ApprovalRequest:
    """A tool call waiting for a decision. ``call.arguments`` has secret arguments redacted."""

    run_id: str
    step: int
    call: ToolCall


@dataclass(frozen=True)
class ApprovalDecision:
    """Approve or deny; a denial's ``reason`` is shown to the model."""

    approved: bool
    reason: str = ""


Approver = Callable[[ApprovalRequest], Awaitable[ApprovalDecision]]


async def approve_all(request: ApprovalRequest) -> ApprovalDecision:
    """An approver that approves everything (for tests and trusted environments)."""
    return ApprovalDecision(approved=True)


async def deny_all(request: ApprovalRequest) -> ApprovalDecision:
    """An approver that denies everything."""
    return ApprovalDecision(approved=False, reason="Approvals are turned off.")


class ApprovalQueue:
    """Pending approvals you decide from outside the run: ``Agent(..., approver=queue)``."""

    def __init__(self) -> None:
        self._pending: dict[str, tuple[ApprovalRequest, asyncio.Future[ApprovalDecision]]] = {}
        self._changed = asyncio.Event()

    async def __call__(self, request: ApprovalRequest) -> ApprovalDecision:
        future: asyncio.Future[ApprovalDecision] = asyncio.get_running_loop().create_future()
        self._pending[request.call.id] = (request, future)
        self._changed.set()
        try:
            return await future
        finally:
            self._pending.pop(request.call.id, None)

    def pending(self) -> list[ApprovalRequest]:
        """Requests waiting for a decision, oldest first."""
        return [request for request, _ in self._pending.values()]

    async def wait_for_request(self) -> ApprovalRequest:
        """Wait until at least one request is pending and return the oldest."""
        while not self._pending:
            self._changed.clear()
            await self._changed.wait()
        return self.pending()[0]

    def approve(self, call_id: str) -> None:
        """Let the call run."""
        self._decide(call_id, ApprovalDecision(approved=True))

    def deny(self, call_id: str, reason: str = "") -> None:
        """Refuse the call; the model sees ``reason``."""
        self._decide(call_id, ApprovalDecision(approved=False, reason=reason))

    def _decide(self, call_id: str, decision: ApprovalDecision) -> None:
        entry = self._pending.pop(call_id, None)
        if entry is None:
            known = ", ".join(self._pending) or "none"
            raise KeyError(f"No pending approval for tool call {call_id!r} (pending: {known}).")
        future = entry[1]
        future.get_loop().call_soon_threadsafe(_resolve, future, decision)


def _resolve(future: asyncio.Future[ApprovalDecision], decision: ApprovalDecision) -> None:
    if not future.done():
        future.set_result(decision)
