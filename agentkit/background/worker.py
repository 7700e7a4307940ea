"""``agentkit worker``: a process that executes durable runs until it is stopped.

Usable as ``python -m agentkit.background.worker --db URL --executor-id ID``; the CLI's ``worker``
command calls :func:`serve`.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from agentkit.background.backend import DurableBackend
from agentkit.background.config import DEFAULT_QUEUE, DurableConfig, default_system_db_url, process_executor_id

__all__ = ["main", "serve"]

READY_LINE = "agentkit worker ready"


def serve(config: DurableConfig, *, imports: Sequence[str] = ()) -> None:
    """Import ``imports`` (modules defining agents or runners), then execute runs until SIGINT/SIGTERM."""
    for module in imports:
        importlib.import_module(module)
    backend = DurableBackend(config)
    backend.launch()
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    print(f"{READY_LINE}: executor {config.executor_id}, version {config.app_version}", flush=True)
    stop.wait()
    backend.shutdown()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="agentkit worker", description="Execute durable agentkit runs.")
    p.add_argument("--db", default=None, help="system database URL (default: $AGENTKIT_DB or ~/.agentkit/runs.sqlite)")
    p.add_argument("--executor-id", default=None, help="reuse a dead worker's id to take over its runs at once")
    p.add_argument("--version", default="0", help="your code's replay version (DurableConfig.version)")
    p.add_argument("--queue", default=DEFAULT_QUEUE)
    p.add_argument("--concurrency", type=int, default=None, help="most runs at once across all workers")
    p.add_argument("--worker-concurrency", type=int, default=8, help="most runs at once in this worker")
    p.add_argument("--heartbeat-timeout", type=float, default=30.0, help="seconds before a silent worker is dead")
    p.add_argument("--poll", type=float, default=0.2, help="seconds between queue polls")
    p.add_argument("--wait-poll", type=float, default=1.0, help="seconds between checks of runs waiting for approval")
    p.add_argument("--import", dest="imports", action="append", default=[], help="module to import first")
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
        heartbeat_s=min(2.0, args.heartbeat_timeout / 3),
        heartbeat_timeout_s=args.heartbeat_timeout,
        queue_poll_s=args.poll,
        wait_poll_s=args.wait_poll,
    )


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of ``python -m agentkit.background.worker``."""
    args = _parser().parse_args(argv)
    serve(config_from_args(args), imports=args.imports)


if __name__ == "__main__":
    main(sys.argv[1:])
