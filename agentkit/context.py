"""The run context a tool may take as its first parameter."""

from __future__ import annotations

import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from agentkit.usage import Budget, Usage

if TYPE_CHECKING:
    from agentkit.events import AgentEvent
    from agentkit.messages import ModelRequest, ModelResponse

__all__ = ["RunContext"]

DepsT = TypeVar("DepsT")


@dataclass
class RunContext(Generic[DepsT]):
    """What a tool can see of the run that called it.

    Declare it as the first parameter (``ctx: RunContext[MyDeps]``); it is never part of the schema the
    model sees.
    """

    deps: DepsT
    run_id: str
    usage: Usage = field(default_factory=Usage)
    messages: list[ModelRequest | ModelResponse] = field(default_factory=list)
    step: int = 0
    """The index of the model turn that asked for this call (0-based)."""
    tool_name: str | None = None
    tool_call_id: str | None = None
    retry: int = 0
    """How many times this tool already failed in this run."""
    idempotency_key: str | None = None
    """``"<run id>:<model turn>:<call id>"``, the same on every replay of a durable run (whose run id is
    fixed and whose call ids are recorded); pass it to external APIs that dedupe, or use it with
    :class:`agentkit.background.EffectStore`."""
    metadata: dict[str, Any] = field(default_factory=dict)
    time_left: float | None = None
    """Seconds left in the run's ``max_seconds`` budget when this call started (``None``: no time budget).
    The call is stopped when this or the tool's own ``timeout`` runs out, whichever comes first."""
    cancelled: threading.Event = field(default_factory=threading.Event)
    """Set when the run stops waiting for this call: its timeout or the run's time ran out, or the run was
    cancelled. A sync tool keeps running in its thread after that; a long one should check
    ``ctx.cancelled.is_set()``, or sleep with ``ctx.cancelled.wait(seconds)``, and stop early."""
    budget: Budget | None = None
    """The run's budget (``None``: no limits); ``usage`` and ``time_left`` tell how much of it is used."""
    emit: Callable[[AgentEvent], Awaitable[None]] | None = None
    """Sends an event to the run's event stream (``result.events``, ``stream()``, tracing): how a sub-agent
    run as a tool (:meth:`agentkit.Agent.as_tool`) nests its events. ``None`` outside a run."""
    _spent: list[Usage] = field(default_factory=list, repr=False, compare=False)
    """Filled by :meth:`add_usage`; shared by copies (``dataclasses.replace``) so a wrapping invoker keeps it."""

    def add_usage(self, usage: Usage) -> None:
        """Count ``usage`` that this tool call spent (a sub-agent's model requests, say) in the run's usage.

        The run adds it when the call ends, so the run's budget counts it.
        """
        self._spent.append(usage)

    @property
    def reported_usage(self) -> Usage:
        """What :meth:`add_usage` collected during this call."""
        return sum(self._spent, Usage())
