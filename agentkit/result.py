"""What a run returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar

from agentkit.messages import ModelRequest, ModelResponse
from agentkit.usage import LimitName, Usage

if TYPE_CHECKING:
    from agentkit.events import AgentEvent

__all__ = ["AgentResult", "StopReason"]

OutputT = TypeVar("OutputT")

StopReason = Literal["final"] | LimitName
"""``"final"``: the model answered; otherwise the budget limit that ended the run."""


@dataclass
class AgentResult(Generic[OutputT]):
    """The outcome of a run: the validated output, usage, the transcript and why it stopped."""

    output: OutputT
    usage: Usage
    messages: list[ModelRequest | ModelResponse]
    stop_reason: StopReason
    run_id: str
    new_message_index: int = 0
    events: list[AgentEvent] = field(default_factory=list, repr=False)
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    """Strategy details (candidates, scores) live here; see :mod:`agentkit.strategies`."""

    def all_messages(self) -> list[ModelRequest | ModelResponse]:
        """The whole transcript, including any history the run started from."""
        return list(self.messages)

    def to_html(self) -> str:
        """A self-contained HTML report of this run (timeline, tool calls, tokens; see :mod:`agentkit.report`)."""
        from agentkit.report import render_html

        return render_html(self)

    def new_messages(self) -> list[ModelRequest | ModelResponse]:
        """Only the messages this run added (pass ``all_messages()`` as ``message_history`` to continue)."""
        return self.messages[self.new_message_index :]
