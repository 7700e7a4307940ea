"""What an agent opens, and when it is closed: models made from model strings given per run, stream tasks.

A run given ``model="openai:gpt-5"`` (or a strategy whose branches run on a model string) needs a
:class:`~agentkit.models.Model` with its own HTTP client. A new model per run would leave one open client
per run until the event loop ends; :class:`RunModels` keeps one model per model string and event loop
instead. They are closed by :meth:`Agent.aclose <agentkit.Agent.aclose>` (``async with Agent(...)``) and by
``run_sync`` when its run ends; otherwise each adapter closes the client it opened in a loop when that loop
shuts down (:func:`~agentkit.models._loop_close.close_at_loop_end`). A connection belongs to the loop that
opened it, so models are never shared between loops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from agentkit.models import Model

__all__ = ["RunModels", "settle"]


class RunModels:
    """Models made from model strings, one per string and event loop, made by ``make`` on first use."""

    def __init__(self, make: Callable[[str], Model]) -> None:
        self._make = make
        self._loops: dict[asyncio.AbstractEventLoop, dict[str, Model]] = {}

    def get(self, spec: str) -> Model:
        """The model for ``spec`` in the running event loop (call it inside a run)."""
        self._forget_closed_loops()
        models = self._loops.setdefault(asyncio.get_running_loop(), {})
        model = models.get(spec)
        if model is None:
            model = models[spec] = self._make(spec)
        return model

    async def aclose(self) -> None:
        """Close the models of the running event loop (those of other loops close when their loop ends)."""
        models = self._loops.pop(asyncio.get_running_loop(), {})
        await asyncio.gather(*(model.close() for model in models.values()))

    def _forget_closed_loops(self) -> None:
        """Drop the models of loops that have ended (their clients were closed at the loop's end)."""
        for loop in [loop for loop in list(self._loops) if loop.is_closed()]:
            self._loops.pop(loop, None)


async def settle(task: asyncio.Task[None]) -> None:
    """Stop ``task`` if it still runs, wait for it, and mark its outcome as seen.

    For the run task behind ``agent.stream()`` when the consumer stops reading: the run is cancelled and
    has finished its cleanup when ``stream()`` returns, and an error it ended with after the consumer left
    is dropped instead of being logged by asyncio as "Task exception was never retrieved".
    """
    if not task.done():
        task.add_done_callback(_mark_seen)  # seen even if this wait is cancelled in turn
        task.cancel()
        await asyncio.wait([task])
    _mark_seen(task)


def _mark_seen(task: asyncio.Task[None]) -> None:
    if not task.cancelled():
        task.exception()
