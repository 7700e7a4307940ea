"""The runners of ``agent.start(task, strategy=...)``: the parent run and its branches (child runs).

The parent runs the strategy with durable hooks and a :class:`~agentkit.background.fanout.ChildRuns`
executor; every branch of it is a child run executing :func:`run_branch`. Both count their model
requests against one :class:`~agentkit.background.shared_budget.SharedBudget`.

Imported by workers only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import pickle
from typing import Any

from agentkit._loop import call_model
from agentkit.agent import Agent, RunOptions
from agentkit.background import runtime
from agentkit.background.agent_runner import _load_agent, durable_options
from agentkit.background.fanout import ChildRuns
from agentkit.background.shared_budget import SharedBudget
from agentkit.background.spec import PARENT_KEY, STRATEGY_NAME_KEY
from agentkit.background.steps import StepRunner
from agentkit.strategies._branching import BranchFn
from agentkit.strategies._session import Session
from agentkit.strategies.result import Candidate
from agentkit.usage import Budget

__all__ = ["fanned_out_options", "run_branch"]


def _shared_budget(run_id: str, budget: Budget | None) -> SharedBudget:
    store = runtime.store()
    return SharedBudget(store.engine, store.tables, run_id, budget)


async def fanned_out_options(steps: StepRunner, agent: Agent[Any, Any], payload: dict[str, Any]) -> RunOptions:
    """Options for the parent of a strategy run: its branches become child runs sharing one budget."""
    budget = _shared_budget(steps.run_id, agent.budget)
    await asyncio.to_thread(budget.open)  # once per run: a replay keeps what was used
    options = durable_options(steps, agent, payload, inner=budget.admitting(call_model))
    executor = ChildRuns(runtime.store(), steps.run_id, payload, budget)
    return dataclasses.replace(options, branch_executor=executor)


async def run_branch(payload: dict[str, Any], steps: StepRunner) -> Candidate:
    """One branch of a strategy run, as a child run: ``payload["branch"](session, payload["index"])``
    in a session whose budget is the parent's (in the database)."""
    agent = _load_agent(payload["agent"])
    budget: Budget | None = payload.get("budget")
    ledger = _shared_budget(payload[PARENT_KEY], budget)
    options = durable_options(steps, agent, payload, inner=ledger.admitting(call_model))
    options = dataclasses.replace(options, run_id=payload[PARENT_KEY], budget=budget)
    session = Session(
        payload[STRATEGY_NAME_KEY],
        agent,
        payload["prompt"],
        deps=payload.get("deps"),
        history=payload.get("history"),
        options=options,
        config=pickle.loads(payload["config"]),
        ledger=ledger,
    )
    branch: BranchFn = pickle.loads(payload["branch"])
    candidate: Candidate = await branch(session, payload["index"])
    return candidate
