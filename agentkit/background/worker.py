"""``agentkit worker``: a process that executes durable runs until it is stopped.

Usable as ``python -m agentkit.background.worker --db URL --executor-id ID``; the CLI's ``worker``
command calls :func:`serve`.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import NoReturn

from agentkit.background.backend import DurableBackend
from agentkit.background.config import DEFAULT_QUEUE, DurableConfig, default_system_db_url, process_executor_id
from agentkit.background.errors import RunDatabaseError, RunnerNotFound
from agentkit.background.spec import import_module, import_object

__all__ = ["main", "serve"]

READY_LINE = "agentkit worker ready"
LOG_FORMAT = "%(asctime)s [%(levelname)8s] (%(name)s) %(message)s"
FAULT_POLL_S = 0.2
"""How often the worker looks whether a failure of the run database stopped its runs."""


def serve(config: DurableConfig, *, imports: Sequence[str] = ()) -> None:
    """Import ``imports`` (modules, or agents as ``module:variable``), then execute runs until SIGINT/SIGTERM.

    A failure of the run database (at start, or one that stops the runs) ends the process with one line
    on stderr naming the database, the cause and the fix, and exit status 1.
    """
    _log_to_stderr()
    try:
        import_targets(imports)
    except RunnerNotFound as exc:
        _exit_with(f"error: {exc}")
    backend = DurableBackend(config)
    try:
        backend.launch()
    except RunDatabaseError as exc:
        _exit_with(f"error: {exc}")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"{READY_LINE}: executor {config.executor_id}, version {config.app_version}", flush=True)
    while not stop.wait(FAULT_POLL_S) and backend.fault is None:
        pass
    backend.shutdown()
    if backend.fault is not None:
        _exit_with(f"error: agentkit worker stopped: {backend.fault}")


def import_targets(targets: Sequence[str]) -> None:
    """Import each ``module`` or ``module:agent`` (checking that the latter names an Agent)."""
    from agentkit.agent import Agent

    for target in targets:
        if ":" not in target:
            import_module(target, what="worker target", path=target)
            continue
        found = import_object(target, what="agent")
        if not isinstance(found, Agent):
            raise RunnerNotFound(f"{target!r} is a {type(found).__name__}, not an Agent; name the Agent variable.")


def _log_to_stderr() -> None:
    """agentkit's INFO lines (a cancelled run, ...) on stderr, formatted like DBOS's own."""
    logger = logging.getLogger("agentkit")
    if logger.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT, datefmt="%H:%M:%S"))
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


def _exit_with(line: str) -> NoReturn:
    print(line, file=sys.stderr, flush=True)
    raise SystemExit(1)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agentkit worker", description="Execute durable agentkit runs.")
    p.add_argument("--db", default=None, help="system database URL (default: $AGENTKIT_DB or ~/.agentkit/runs.sqlite)")
    p.add_argument("--executor-id", default=None, help="reuse a dead worker's id to take over its runs at once")
    p.add_argument("--version", default="0", help="your code's replay version (DurableConfig.version)")
    p.add_argument("--queue", default=DEFAULT_QUEUE)
    p.add_argument("--concurrency", type=int, default=None, help="most runs at once across all workers")
    p.add_argument("--worker-concurrency", type=int, default=8, help="most runs at once in this worker")
    p.add_argument(
        "--branch-concurrency", type=int, default=16, help="most strategy branches (child runs) at once in this worker"
    )
    p.add_argument("--heartbeat-timeout", type=float, default=30.0, help="seconds before a silent worker is dead")
    p.add_argument("--poll", type=float, default=0.2, help="seconds between queue polls")
    p.add_argument("--wait-poll", type=float, default=1.0, help="seconds between checks of runs waiting for approval")
    p.add_argument("--import", dest="imports", action="append", default=[], help="module to import first")
    p.add_argument("agents", nargs="*", default=[], help="agents to serve, as module:variable (e.g. myagents:planner)")
    return p


def config_from_args(args: argparse.Namespace) -> DurableConfig:
    """The worker configuration the command line describes."""
    return DurableConfig(
        system_db_url=args.db or default_system_db_url(),
        executor_id=args.executor_id or process_executor_id(),
        version=args.version,
        queue=args.queue,
        concurrency=args.concurrency,
        worker_concurrency=args.worker_concurrency,
        branch_worker_concurrency=args.branch_concurrency,
        heartbeat_s=min(2.0, args.heartbeat_timeout / 3),
        heartbeat_timeout_s=args.heartbeat_timeout,
        queue_poll_s=args.poll,
        wait_poll_s=args.wait_poll,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m agentkit.background.worker``."""
    args = _parser().parse_args(argv)
    serve(config_from_args(args), imports=[*args.imports, *args.agents])


if __name__ == "__main__":
    main(sys.argv[1:])
