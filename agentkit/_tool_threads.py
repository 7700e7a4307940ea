"""Sync tools run in threads of their own, and the mutating ones that outlive their call are tracked.

A thread can't be stopped from outside. When a sync call times out, or its run runs out of time or is
cancelled, the run sets the call's ``ctx.cancelled`` event and stops waiting, but the thread may go on
with its side effect. So a mutating tool's thread stays registered under its run until it really
ends, and while it lives no mutating call of that run starts: mutating calls never overlap, and a
retry can't repeat an effect that may still be happening.

Threads are tracked per run (by run id), not per process. Runs are independent: two runs may call
the same mutating tool at the same time anyway (deduplicating across runs is the idempotency key's
job), and one stuck call must not disable a tool for every other run in the process.

Each call gets a new daemon thread instead of a pooled one: a call that never ends can't starve the
event loop's default executor, hold up ``asyncio.run`` at exit (it waits for that executor), or
keep the process alive. A thread still running when the process exits stops with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import itertools
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["mutating_call_running", "run_in_thread"]

_lock = threading.Lock()
_mutating: dict[str, dict[int, str]] = {}
"""Run id → {call number: tool name} of the mutating sync calls whose thread is alive."""
_numbers = itertools.count()


def mutating_call_running(run_id: str) -> str | None:
    """The name of a mutating tool whose thread still runs in run ``run_id``, or ``None``."""
    with _lock:
        running = _mutating.get(run_id)
        return next(iter(running.values())) if running else None


def run_in_thread(
    function: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    run_id: str,
    tool_name: str,
    mutating: bool,
) -> asyncio.Future[Any]:
    """Start ``function(*args, **kwargs)`` in a new daemon thread; the future gets its outcome.

    Cancelling the future (a timeout, a cancelled run) abandons the thread, it doesn't stop it. A
    mutating call counts as running for :func:`mutating_call_running` until its thread ends.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    number = _register(run_id, tool_name) if mutating else None
    context = contextvars.copy_context()

    def body() -> None:
        try:
            outcome: tuple[Any, BaseException | None] = (context.run(function, *args, **kwargs), None)
        except BaseException as exc:  # handed to the awaiting call, like asyncio.to_thread does
            outcome = (None, exc)
        if number is not None:
            _unregister(run_id, number)  # before the result lands: the next mutating call may start
        _deliver(loop, future, *outcome)

    threading.Thread(target=body, name=f"agentkit-tool:{tool_name}", daemon=True).start()
    return future


def _register(run_id: str, tool_name: str) -> int:
    number = next(_numbers)
    with _lock:
        _mutating.setdefault(run_id, {})[number] = tool_name
    return number


def _unregister(run_id: str, number: int) -> None:
    with _lock:
        running = _mutating.get(run_id, {})
        running.pop(number, None)
        if not running:
            _mutating.pop(run_id, None)


def _deliver(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any], value: Any, error: BaseException | None
) -> None:
    def settle() -> None:
        if future.done():  # cancelled: the call was abandoned, nobody waits for this outcome
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(value)

    with contextlib.suppress(RuntimeError):  # the event loop is closed: the run that started the call is over
        loop.call_soon_threadsafe(settle)
