"""The base of the built-in strategies: one :class:`Session` per strategy run."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from agentkit.agent import Agent, RunOptions
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.strategies._session import Session, StrategyConfig
from agentkit.strategies.result import StrategyResult

__all__ = ["SessionStrategy"]


class SessionStrategy(ABC):
    """Implements the :class:`~agentkit.strategies.base.Strategy` protocol: opens a session, then runs
    :meth:`_run` in it."""

    name: str
    config: StrategyConfig
    durable: ClassVar[bool] = True
    """Whether ``agent.start(task, strategy=...)`` can run it: its concurrent work goes through
    :meth:`Session.branches` (child runs), the rest is sequential, so a replay takes the same steps."""

    async def run(
        self,
        agent: Agent[Any, Any],
        prompt: str,
        *,
        deps: Any,
        message_history: Sequence[ModelRequest | ModelResponse] | None,
        options: RunOptions,
    ) -> StrategyResult[Any]:
        """Run ``prompt`` with this strategy and return the chosen result with every candidate."""
        session = Session(
            self.name, agent, prompt, deps=deps, history=message_history, options=options, config=self.config
        )
        return await self._run(session)

    @abstractmethod
    async def _run(self, session: Session) -> StrategyResult[Any]:
        """The strategy itself, inside its session."""
