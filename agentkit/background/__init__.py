"""Durable background runs on DBOS: runs survive crashes and restarts, resuming from their last
finished step. A run waits durably for approvals (:mod:`agentkit.background.approvals`), decided from
any process with :meth:`RunHandle.approve` / :meth:`RunHandle.deny`.

Importing this package is cheap: DBOS (about 0.4 s to import) is loaded only when a store or a
backend is created.
"""

from __future__ import annotations

from agentkit.background.approvals import PendingApproval
from agentkit.background.backend import DurableBackend
from agentkit.background.config import DurableConfig, default_home, default_system_db_url
from agentkit.background.effects import EffectStore
from agentkit.background.errors import (
    ApprovalNotPending,
    BackgroundError,
    ReplayDiverged,
    RunCancelled,
    RunDatabaseCorrupt,
    RunDatabaseError,
    RunDatabaseFull,
    RunFailed,
    RunnerNotFound,
    RunNotFound,
    RunTimeout,
    StepInterrupt,
)
from agentkit.background.events import RunEvent
from agentkit.background.handle import RunHandle
from agentkit.background.runtime import shutdown
from agentkit.background.spec import Runner, RunSpec, runner_path
from agentkit.background.starting import start_run
from agentkit.background.status import RunState, RunStatus, StepRecord
from agentkit.background.steps import InProcessStepRunner, StepRunner, idempotency_key
from agentkit.background.store import RunStore

__all__ = [
    "ApprovalNotPending",
    "BackgroundError",
    "DurableBackend",
    "DurableConfig",
    "EffectStore",
    "InProcessStepRunner",
    "PendingApproval",
    "ReplayDiverged",
    "RunCancelled",
    "RunDatabaseCorrupt",
    "RunDatabaseError",
    "RunDatabaseFull",
    "RunEvent",
    "RunFailed",
    "RunHandle",
    "RunNotFound",
    "RunSpec",
    "RunState",
    "RunStatus",
    "RunStore",
    "RunTimeout",
    "Runner",
    "RunnerNotFound",
    "StepInterrupt",
    "StepRecord",
    "StepRunner",
    "default_home",
    "default_system_db_url",
    "idempotency_key",
    "runner_path",
    "shutdown",
    "start_run",
]
