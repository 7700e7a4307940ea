"""The interface a test-time compute strategy implements."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from agentkit.agent import Agent, RunOptions
    from agentkit.messages import ModelRequest, ModelResponse
    from agentkit.result import AgentResult

__all__ = ["Strategy"]


class Strategy(Protocol):
    """Drives an agent's loop as a caller (whole runs or steps) and returns one chosen result.

    Strategies never copy the loop: they call ``agent.run`` / ``agent.iter`` with
    :class:`~agentkit.agent.RunOptions` hooks (a tool guard, an event sink per branch).
    """

    async def run(
        self,
        agent: Agent[Any, Any],
        prompt: str,
        *,
        deps: Any,
        message_history: Sequence[ModelRequest | ModelResponse] | None,
        options: RunOptions,
    ) -> AgentResult[Any]:
        """Run ``prompt`` with this strategy."""
        ...
