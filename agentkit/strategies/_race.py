"""Run branches a few at a time and stop at the first one accepted (Best-of-N's ``early_stop``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field

from agentkit.strategies.result import Candidate

__all__ = ["Race", "first_accepted", "in_waves"]

Branch = Callable[[int], Awaitable[Candidate]]
Accept = Callable[[Candidate], bool]


@dataclass
class Race:
    """Branches started in index order, ``window`` at a time, until one is accepted: how they ended."""

    n: int
    window: int
    ended: dict[int, Candidate] = field(default_factory=dict)
    running: dict[asyncio.Future[Candidate], int] = field(default_factory=dict)
    cancelled: list[int] = field(default_factory=list)
    """Branches that were running when one was accepted."""
    winner: Candidate | None = None
    started: int = 0
    """How many branches started."""

    @property
    def candidates(self) -> list[Candidate]:
        """Every branch in index order; cancelled and never-started ones are ``"stopped"``."""
        return [self.ended.get(i) or self._unfinished(i) for i in range(self.n)]

    def _unfinished(self, index: int) -> Candidate:
        assert self.winner is not None
        what = "cancelled" if index in self.cancelled else "not started"
        error = f"{what}: branch {self.winner.branch_id} was accepted first (early_stop)"
        return Candidate(index, str(index), "stopped", error=error)


async def first_accepted(n: int, window: int, branch: Branch, accepted: Accept) -> Race:
    """Run branches ``0..n-1`` in index order, at most ``window`` at once, until one is ``accepted``.

    Of branches that end together, the lowest index is looked at first. Once one is accepted, the
    branches still running are cancelled and the rest never start.
    """
    race = Race(n, window)
    waiting = iter(range(n))
    try:
        while _launch(race, waiting, branch):
            ended, _ = await asyncio.wait(race.running, return_when=asyncio.FIRST_COMPLETED)
            for task in sorted(ended, key=race.running.__getitem__):
                candidate = race.ended[race.running.pop(task)] = task.result()
                if race.winner is None and accepted(candidate):
                    race.winner = candidate
    finally:
        race.cancelled = sorted(race.running.values())
        for task in race.running:
            task.cancel()
        await asyncio.gather(*race.running, return_exceptions=True)
    return race


async def in_waves(
    n: int, window: int, run_wave: Callable[[Sequence[int]], Awaitable[list[Candidate]]], accepted: Accept
) -> Race:
    """Like :func:`first_accepted`, in whole waves of ``window`` branches (nothing is cancelled).

    A wave's branches all end before the next wave starts, so the steps taken depend only on each
    branch's result: what a durable run needs to replay them.
    """
    race = Race(n, window)
    while race.winner is None and race.started < n:
        indices = range(race.started, min(race.started + window, n))
        race.started += len(indices)
        for candidate in await run_wave(indices):
            race.ended[candidate.index] = candidate
            if race.winner is None and accepted(candidate):
                race.winner = candidate
    return race


def _launch(race: Race, waiting: Iterator[int], branch: Branch) -> bool:
    """Fill the window; ``False`` when there is nothing left to wait for."""
    if race.winner is not None:
        return False
    while len(race.running) < race.window and (index := next(waiting, None)) is not None:
        race.running[asyncio.ensure_future(branch(index))] = index
        race.started += 1
    return bool(race.running)
