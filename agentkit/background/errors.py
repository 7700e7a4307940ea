"""Errors of durable runs. Each message names the problem and the fix."""

from __future__ import annotations

from agentkit.exceptions import AgentkitError

__all__ = [
    "ApprovalNotPending",
    "BackgroundError",
    "ReplayDiverged",
    "RunCancelled",
    "RunDatabaseCorrupt",
    "RunDatabaseError",
    "RunDatabaseFull",
    "RunFailed",
    "RunNotFound",
    "RunTimeout",
    "RunnerNotFound",
    "StepInterrupt",
]


class BackgroundError(AgentkitError):
    """Base class of the errors of durable runs."""


class RunNotFound(BackgroundError):
    """No run has this id in the system database."""


class ApprovalNotPending(BackgroundError):
    """A decision was sent for a tool call that is not waiting for one in that run."""


class RunnerNotFound(BackgroundError):
    """A run names a runner that this process can't import."""


class RunTimeout(BackgroundError, TimeoutError):
    """A wait for a run's result ran out; the run itself goes on."""


class RunFailed(BackgroundError):
    """The run ended with an error; ``__cause__`` holds it when it could be loaded."""


class RunCancelled(BackgroundError):
    """The run was cancelled before it finished."""


class ReplayDiverged(BackgroundError):
    """A resumed run asked for different steps than it recorded: the code changed under it."""


class RunDatabaseError(BackgroundError):
    """The run database can't be read or written. :attr:`database` names it (a file, or a URL without
    its password), :attr:`reason` is the database's own message."""

    def __init__(self, message: str, *, database: str, reason: str) -> None:
        super().__init__(message)
        self.database = database
        self.reason = reason


class RunDatabaseFull(RunDatabaseError):
    """The run database can't grow: its disk (or its quota) is full."""


class RunDatabaseCorrupt(RunDatabaseError):
    """The run database file is damaged, or is not a database."""


class StepInterrupt(BaseException):
    """Stops a durable run from inside a step call. A ``BaseException``, so the loop's
    ``except Exception`` (which turns tool failures into retry prompts) lets it through; never catch it."""
