"""``agent.start(...)``: describe an agent run as a :class:`RunSpec` and queue it.

Cheap to import (no DBOS, no agent loop): :mod:`agentkit.agent` calls :func:`start_run`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agentkit._instructions import INSTRUCTIONS_KEY, check_text
from agentkit.background import runtime
from agentkit.background.agent_refs import check_agent_ref, find_agent_ref
from agentkit.background.approvals import APPROVALS_KEY, BY_AGENT, BY_PERSON
from agentkit.background.config import DurableConfig
from agentkit.background.spec import STRATEGY_NAME_KEY, RunSpec
from agentkit.background.strategy_check import check_strategy
from agentkit.sessions._durable import SESSION_KEY, session_payload

if TYPE_CHECKING:
    from agentkit.background.handle import RunHandle
    from agentkit.sessions import Session
    from agentkit.strategies.base import Strategy

__all__ = ["AGENT_RUNNER", "STRATEGY_KEY", "find_agent_ref", "start_run"]

AGENT_RUNNER = "agentkit.background.agent_runner:run_agent"
STRATEGY_KEY = "strategy"
"""The payload key of a strategy run's strategy (pickled)."""
TITLE_CHARS = 80


def start_run(
    agent: object,
    prompt: str,
    *,
    deps: Any = None,
    run_id: str | None = None,
    title: str | None = None,
    agent_ref: str | None = None,
    config: DurableConfig | None = None,
    execute: bool = True,
    session: str | Session | None = None,
    instructions: str | None = None,
    strategy: Strategy | None = None,
) -> RunHandle:
    """Queue a durable run of ``agent`` on ``prompt`` and return its handle at once.

    ``execute=True`` (default) makes this process a worker too (embedded mode: nothing else to start);
    with ``execute=False`` the run waits for an ``agentkit worker`` on the same database. ``deps`` are
    stored with the run (pickled) and must be picklable.

    An agent without an approver gets one that waits for a person: a tool call that needs approval
    pauses the run until ``handle.approve(call_id)`` or ``handle.deny(call_id, reason)`` (any process).

    ``session`` continues a stored conversation (see :mod:`agentkit.sessions`); its store must be one the
    worker can open (SQLite or PostgreSQL, not a :class:`~agentkit.sessions.MemorySessionStore`).

    ``instructions`` are added to the agent's for this run (stored with the run, so a replay uses them).

    ``strategy`` (Best-of-N, self-consistency, adaptive consistency, Reflect) runs each independent
    branch as a child run on the queue, spread over every worker, sharing the strategy's budget; the
    result is the :class:`~agentkit.strategies.StrategyResult`. The strategy is stored with the run
    (pickled), so its verifier and key functions must be defined at module level.
    """
    ref = agent_ref or find_agent_ref(agent)
    check_agent_ref(ref, agent, execute=execute)
    decided_by = BY_PERSON if getattr(agent, "approver", None) is None else BY_AGENT
    payload = {"agent": ref, "prompt": prompt, "deps": deps, APPROVALS_KEY: decided_by}
    if session is not None:
        payload[SESSION_KEY] = session_payload(session)
    if check_text(instructions, "instructions=") is not None:
        payload[INSTRUCTIONS_KEY] = instructions
    if strategy is not None:
        payload[STRATEGY_KEY] = check_strategy(strategy)
        payload[STRATEGY_NAME_KEY] = str(getattr(strategy, "name", type(strategy).__name__))
    spec = RunSpec(AGENT_RUNNER, payload, title=title or prompt[:TITLE_CHARS])
    if execute:
        runtime.backend(config)
    return runtime.store(config).start(spec, run_id=run_id)
