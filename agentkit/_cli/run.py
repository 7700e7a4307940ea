"""``agentkit run``: build the agent from the command line, run it, show it, save it."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from agentkit._cli.loading import CliInputError, load_agent, load_model, load_tool
from agentkit._cli.records import error_record, event_record, result_record, save_run
from agentkit._cli.reporters import ConsoleReporter, JsonReporter, Reporter
from agentkit._cli.saved_runs import SavedRunListing, list_saved_run
from agentkit.agent import Agent, RunOptions
from agentkit.events import AgentEvent
from agentkit.exceptions import AgentkitError
from agentkit.result import AgentResult
from agentkit.settings import ModelSettings, ReasoningEffort
from agentkit.usage import Budget

__all__ = ["RunSpec", "build", "run_task"]

EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@dataclass(frozen=True)
class RunSpec:
    """The ``agentkit run`` options, as given."""

    model: str | None = None
    agent: str | None = None
    tools: tuple[str, ...] = ()
    instructions: str | None = None
    reasoning_effort: ReasoningEffort | None = None
    max_turns: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    max_seconds: float | None = None
    run_id: str | None = None


def build(spec: RunSpec) -> tuple[Agent[Any, Any], RunOptions]:
    """The agent and run options the command line describes."""
    tools = [load_tool(t) for t in spec.tools]
    model = load_model(spec.model) if spec.model else None
    override = None
    if spec.agent is not None:
        if spec.instructions is not None:
            raise CliInputError("--instructions can't be combined with --agent: the agent has its own instructions.")
        agent = load_agent(spec.agent)
        for tool in tools:
            agent.registry.add(tool)
        override = model
    elif model is None:
        raise CliInputError(
            "No model: pass --model (e.g. --model openai:o4-mini, --model local, or --model myapp:make_model), "
            "--agent myapp:agent, or set AGENTKIT_MODEL."
        )
    else:
        agent = Agent(model, instructions=spec.instructions, tools=tools)
    options = RunOptions(
        model=override,
        settings=ModelSettings(reasoning_effort=spec.reasoning_effort) if spec.reasoning_effort else None,
        budget=_budget(spec),
        run_id=spec.run_id or uuid.uuid4().hex,
    )
    return agent, options


def _budget(spec: RunSpec) -> Budget | None:
    limits = {
        "max_turns": spec.max_turns,
        "max_tokens": spec.max_tokens,
        "max_cost_usd": spec.max_cost,
        "max_seconds": spec.max_seconds,
    }
    chosen = {k: v for k, v in limits.items() if v is not None}
    return Budget(**chosen) if chosen else None


def run_task(
    task: str,
    agent: Agent[Any, Any],
    options: RunOptions,
    *,
    json_output: bool = False,
    quiet: bool = False,
    save: Path | None = None,
    reporter: Reporter | None = None,
    db: str | None = None,
) -> int:
    """Run ``task``, report it (on ``reporter``, by default the console or JSON lines), save it if asked
    (and list it in the run database ``db`` for ``agentkit runs ls``); returns the exit code."""
    started_at = time.time()
    if reporter is None:
        reporter = JsonReporter() if json_output else ConsoleReporter(quiet=quiet)
    records: list[dict[str, Any]] = []

    async def sink(event: AgentEvent) -> None:
        record = event_record(event, agent.registry)
        records.append(record)
        reporter.event(event, record)

    result: AgentResult[Any] | None = None
    error: BaseException | None = None
    try:
        with reporter:
            result = asyncio.run(_drive(agent, task, replace(options, emit=sink)))
    except (AgentkitError, KeyboardInterrupt) as exc:
        error = exc
    finally:
        if save is not None:
            done = result_record(result) if result is not None else None
            failure = error_record(error) if error is not None else None
            save_run(save, options.run_id or "", records, done, failure)
    if result is None and error is None:
        error = RuntimeError("the run ended without a result")
    code = _report(reporter, result, error)
    if save is not None:
        list_saved_run(SavedRunListing(options.run_id or "", task, save, db, started_at), records, error)
    return code


def _report(reporter: Reporter, result: AgentResult[Any] | None, error: BaseException | None) -> int:
    if error is not None or result is None:
        reporter.failed(error or RuntimeError("the run ended without a result"))
        return EXIT_INTERRUPTED if isinstance(error, KeyboardInterrupt) else EXIT_FAILED
    reporter.finished(result)
    return 0


async def _drive(agent: Agent[Any, Any], task: str, options: RunOptions) -> AgentResult[Any]:
    async with agent.iter(task, options=options, stream=True) as run:
        async for _ in run:
            pass
    if run.result is None:
        raise RuntimeError("agent.iter() ended without a result")
    return run.result
