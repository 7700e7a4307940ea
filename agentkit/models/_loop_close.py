"""Closing an HTTP client while the event loop that owns its connections is still running.

An ``httpx`` connection belongs to the event loop that opened it. A client left open when
``asyncio.run`` ends is collected later, from another loop or at exit, and closing its connections
then fails with ``RuntimeError('Event loop is closed')``. :func:`close_at_loop_end` closes it in time.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Awaitable, Callable

__all__ = ["close_at_loop_end"]


def close_at_loop_end(close: Callable[[], Awaitable[object]]) -> AsyncGenerator[None, None]:
    """Arrange for ``close()`` to be awaited when the running event loop shuts down.

    Returns an async generator, already started in the running loop, whose ``finally`` awaits
    ``close()``. ``asyncio.run`` (so also ``run_sync``) finalizes its loop's async generators before it
    closes the loop (``loop.shutdown_asyncgens()``), which runs that ``finally`` while the loop still
    works. Keep a reference to the generator as long as the client lives: dropping it earlier closes
    the client at once (on its own loop), like ``aclose()`` does.
    """

    async def guard() -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            await close()

    generator = guard()
    step = generator.asend(None)  # registers the generator with the running loop (its firstiter hook)
    with contextlib.suppress(StopIteration):  # reaching the ``yield`` ends the step at once
        step.send(None)
    return generator
