"""The run context a tool may take as its first parameter."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from agentkit.usage import Usage

if TYPE_CHECKING:
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
    """Stable across replays of a durable run (run id + step); pass it to external APIs that dedupe."""
    metadata: dict[str, Any] = field(default_factory=dict)
