"""``agentkit runs ls|show|approve|deny|cancel|resume`` and ``agentkit worker`` (registered by
:mod:`agentkit.cli`)."""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.util
import json
from collections.abc import Iterator
from typing import Annotated

import typer

from agentkit.background.approvals import PendingApproval
from agentkit.background.config import DEFAULT_QUEUE, DurableConfig, default_system_db_url
from agentkit.background.errors import BackgroundError
from agentkit.background.foreground import FOREGROUND, ForegroundRun, find_foreground_run, list_foreground_runs
from agentkit.background.status import RunState, RunStatus
from agentkit.background.store import RunStore

if importlib.util.find_spec("dbos") is None:  # lets `agentkit` explain what to install
    raise ModuleNotFoundError("No module named 'dbos'", name="dbos")

__all__ = ["runs_app", "worker"]

runs_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="AGENTKIT_DB", help="System database URL (default: ~/.agentkit/runs.sqlite)."),
]
VersionOption = Annotated[str, typer.Option("--version", help="Your code's replay version (DurableConfig.version).")]


def _store(db: str | None, version: str = "0") -> RunStore:
    return RunStore(DurableConfig(system_db_url=db or default_system_db_url(), version=version))


def _time(seconds: float | None) -> str:
    return "-" if seconds is None else dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(1)


@contextlib.contextmanager
def _opened(db: str | None, version: str = "0") -> Iterator[RunStore]:
    """The store on ``db``; an agentkit error (a missing run, a failed database) becomes one line on
    stderr and exit status 1."""
    try:
        store = _store(db, version)
    except BackgroundError as exc:
        raise _fail(exc) from None
    try:
        yield store
    except BackgroundError as exc:
        raise _fail(exc) from None
    finally:
        store.close()


@runs_app.command("ls")
def ls(
    *,
    db: DbOption = None,
    state: Annotated[RunState | None, typer.Option("--state", help="Only runs in this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n")] = 20,
    version: VersionOption = "0",
) -> None:
    """List runs, newest first."""
    with _opened(db, version) as store:
        runs: list[RunStatus | ForegroundRun] = [*store.list(state=state, limit=limit)]
        stuck = {run.id for run in store.stuck_runs()}
        runs += list_foreground_runs(store.config.system_db_url, state=state, limit=limit)
    runs.sort(key=lambda run: run.created_at or 0.0, reverse=True)
    typer.echo(f"{'ID':<38}{'STATE':<11}{'UPDATED':<21}{'WORKER':<24}TITLE")
    for run in runs[:limit]:
        if isinstance(run, ForegroundRun):
            worker, flag = FOREGROUND, f"  [saved: {run.saved_path}]"
        else:
            worker = run.executor_id or "-"
            flag = "  [other version: no worker of this version runs it]" if run.id in stuck else ""
        typer.echo(f"{run.id:<38}{run.state.value:<11}{_time(run.updated_at):<21}{worker:<24}{run.title}{flag}")


def _show_status(run: RunStatus) -> None:
    for label, value in (
        ("id", run.id),
        ("state", run.state.value),
        ("title", run.title),
        ("runner", run.runner),
        ("worker", run.executor_id or "-"),
        ("version", run.app_version or "-"),
        ("created", _time(run.created_at)),
        ("updated", _time(run.updated_at)),
    ):
        typer.echo(f"{label + ':':<9}{value}")
    if run.strategy:
        typer.echo(f"strategy: {run.strategy}" + (f" (branch of {run.parent})" if run.parent else ""))
    if run.error:
        typer.echo(f"error:   {run.error}")
    if run.pending_approvals:
        typer.echo("waiting for approval (agentkit runs approve|deny RUN_ID CALL_ID):")
        for request in run.pending_approvals:
            typer.echo(f"  {request.call_id}  {request.tool}  {request.arguments}")


def _show_branches(children: list[RunStatus]) -> None:
    typer.echo(f"branches ({len(children)}; each a child run):")
    for child in children:
        branch = child.id.rsplit(":", 1)[1]
        worker = child.executor_id or "-"
        error = f"  {child.error}" if child.error else ""
        typer.echo(f"  {branch:>4}  {child.state.value:<10} {worker:<24}{child.id}{error}")


def _show_foreground(run: ForegroundRun) -> None:
    for label, value in (
        ("id", run.id),
        ("state", run.state.value),
        ("title", run.title),
        ("runner", f"{FOREGROUND} (agentkit run --save)"),
        ("model", run.model),
        ("created", _time(run.created_at)),
        ("updated", _time(run.updated_at)),
        ("saved", run.saved_path),
    ):
        typer.echo(f"{label + ':':<9}{value}")
    if run.error:
        typer.echo(f"error:   {run.error}")
    typer.echo(f"'agentkit view {run.saved_path}' shows the whole run.")


@runs_app.command("show")
def show(
    run_id: Annotated[str, typer.Argument(help="The run id.")],
    db: DbOption = None,
    events: Annotated[bool, typer.Option("--events/--no-events", help="Print the event log (JSON lines).")] = False,
) -> None:
    """Show a run: its status, finished steps and (with --events) its event log."""
    with _opened(db) as store:
        saved = find_foreground_run(store.config.system_db_url, run_id)
        if saved is not None:
            _show_foreground(saved)
            return
        status = store.status(run_id)
        _show_status(status)
        if status.strategy and status.parent is None:
            _show_branches(store.children(run_id))
        typer.echo("steps:")
        for step in store.steps(run_id):
            outcome = f"  error: {step.error}" if step.error else ""
            typer.echo(f"  {step.index:>4}  {step.name}{outcome}")
        if events:
            for event in store.events(run_id, follow=False):
                typer.echo(json.dumps({"seq": event.seq, **event.data}))


def _decided(verb: str, request: PendingApproval) -> str:
    return f"{verb} {request.call_id} ({request.tool}) of run {request.run_id}"


@runs_app.command("approve")
def approve(
    run_id: Annotated[str, typer.Argument(help="The run id.")],
    call_id: Annotated[str, typer.Argument(help="The tool call waiting for approval (see `runs show`).")],
    db: DbOption = None,
) -> None:
    """Let a tool call that waits for approval run; the run goes on."""
    with _opened(db) as store:
        request = store.approve(run_id, call_id)
    typer.echo(_decided("approved", request))


@runs_app.command("deny")
def deny(
    run_id: Annotated[str, typer.Argument(help="The run id.")],
    call_id: Annotated[str, typer.Argument(help="The tool call waiting for approval (see `runs show`).")],
    reason: Annotated[str, typer.Option("--reason", help="Why; the model is told.")] = "",
    db: DbOption = None,
) -> None:
    """Refuse a tool call that waits for approval; the model is told the reason and the run goes on."""
    with _opened(db) as store:
        request = store.deny(run_id, call_id, reason)
    typer.echo(_decided("denied", request))


@runs_app.command("cancel")
def cancel(run_id: Annotated[str, typer.Argument(help="The run id.")], db: DbOption = None) -> None:
    """Stop a run at its next step (it can be resumed later)."""
    with _opened(db) as store:
        store.cancel(run_id)
    typer.echo(f"cancelled {run_id}")


@runs_app.command("resume")
def resume(run_id: Annotated[str, typer.Argument(help="The run id.")], db: DbOption = None) -> None:
    """Requeue a cancelled run, or one whose worker died; it continues from its last finished step."""
    with _opened(db) as store:
        store.resume(run_id)
        state = store.status(run_id).state
    typer.echo(f"{run_id} is {state.value}")


def worker(
    agents: Annotated[
        list[str] | None, typer.Argument(help="Agents to serve as module:variable, e.g. myagents:planner.")
    ] = None,
    *,
    db: DbOption = None,
    executor_id: Annotated[
        str | None, typer.Option("--executor-id", help="Reuse a dead worker's id to take its runs over at once.")
    ] = None,
    version: VersionOption = "0",
    queue: Annotated[str, typer.Option("--queue")] = DEFAULT_QUEUE,
    concurrency: Annotated[int | None, typer.Option("--concurrency", help="Most runs at once, all workers.")] = None,
    worker_concurrency: Annotated[int, typer.Option("--worker-concurrency", help="Most runs at once here.")] = 8,
    branch_concurrency: Annotated[
        int, typer.Option("--branch-concurrency", help="Most strategy branches (child runs) at once here.")
    ] = 16,
    heartbeat_timeout: Annotated[
        float, typer.Option("--heartbeat-timeout", help="Seconds of silence before a worker counts as dead.")
    ] = 30.0,
    wait_poll: Annotated[
        float, typer.Option("--wait-poll", help="Seconds between checks of runs waiting for approval.")
    ] = 1.0,
    imports: Annotated[
        list[str] | None, typer.Option("--import", help="Module to import first (where your agents live).")
    ] = None,
) -> None:
    """Execute background runs until stopped (Ctrl-C or SIGTERM)."""
    from agentkit.background import worker as worker_module

    argv = ["--version", version, "--queue", queue, "--worker-concurrency", str(worker_concurrency)]
    argv += ["--branch-concurrency", str(branch_concurrency)]
    argv += ["--heartbeat-timeout", str(heartbeat_timeout), "--wait-poll", str(wait_poll)]
    for flag, value in (("--db", db), ("--executor-id", executor_id), ("--concurrency", concurrency)):
        if value is not None:
            argv += [flag, str(value)]
    for module in imports or ():
        argv += ["--import", module]
    argv += agents or []
    worker_module.main(argv)
