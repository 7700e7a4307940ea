"""Best-of-16 as a background run: wall time on 1 vs 4 worker processes at 1 s model latency (PostgreSQL).

    python bench/bench_strategy_workers.py [--n 16] [--latency 1.0] [--workers 1 4] [--repeats 3]

``agent.start(task, strategy=BestOfN(n, verifier=...))`` makes each branch a child run on the queue.
The agent answers after ``latency`` seconds (one model call per branch, verified by a plain function),
so the ideal wall time is the latency itself: every branch in flight at once. Each worker count gets a
fresh database and its own workers (``--branch-concurrency 16``, ``--poll 0.05``), ready before the
clock starts; the wall time runs from ``start()`` to ``result()`` returning, median of ``repeats``.
Target: within 1.3x of the latency on 1 and on 4 workers.

Without ``--db``, it uses ``$AGENTKIT_TEST_POSTGRES_URL`` or starts a throwaway server itself through
``scripts/with_postgres.sh``; with no PostgreSQL binaries it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
REEXEC_ENV = "AGENTKIT_BENCH_STRATEGY_UNDER_POSTGRES"

from bench_workers import postgres_server, start_workers, stop_workers  # noqa: E402

from agentkit import Agent, UserPart  # noqa: E402
from agentkit.strategies import BestOfN  # noqa: E402
from agentkit.testing import FunctionModel, RecordedRequest, text  # noqa: E402

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tests.background.postgres import fresh_database  # noqa: E402


async def _answer(messages: list[Any], info: RecordedRequest) -> Any:
    prompt = next(p.content for p in messages[0].parts if isinstance(p, UserPart))
    await asyncio.sleep(float(prompt.split()[-1]))
    return text("42")


def is_42(output: str) -> float:
    """The verifier: 1.0 for the right answer."""
    return 1.0 if output == "42" else 0.0


agent = Agent(FunctionModel(_answer), name="bench-strategy")


def measure(db_url: str, workers: int, n: int, latency: float, repeats: int) -> tuple[float, set[str]]:
    """Median wall seconds of a Best-of-``n`` run, and the workers that ran its branches."""
    from agentkit.background import DurableConfig, RunStore

    me: Any = importlib.import_module("bench_strategy_workers")  # not __main__: workers import it by name
    config = DurableConfig(system_db_url=db_url, executor_id="bench-client")
    store = RunStore(config)
    with tempfile.TemporaryDirectory(prefix="agentkit-bench-strategy-") as logs:
        options = ("--branch-concurrency", "16")
        procs = start_workers(db_url, workers, Path(logs), "bench_strategy_workers:agent", options)
        try:
            walls, executors = [], set()
            strategy = BestOfN(n, verifier=me.is_42)
            for _ in range(repeats):
                started = time.perf_counter()
                handle = me.agent.start(f"task {latency}", strategy=strategy, config=config, execute=False)
                result = store.result(handle.id, timeout=120, poll_s=0.02)
                walls.append(time.perf_counter() - started)
                assert result.output == "42" and len(result.candidates) == n
                executors |= {c.executor_id or "-" for c in store.children(handle.id)}
        finally:
            stop_workers(procs)
            store.close()
    return statistics.median(walls), executors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=16)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    server = args.db or postgres_server(__file__, REEXEC_ENV)
    sys.path.insert(0, str(BENCH))  # so this module is importable as bench_strategy_workers here too
    print(f"Best-of-{args.n} as a background run, {args.latency:g} s model latency, median of {args.repeats}")
    print(f"{'workers':>8} {'wall s':>8} {'x latency':>10}  branches ran on")
    for workers in args.workers:
        with fresh_database(server, "agentkit_bench") as url:
            wall, executors = measure(url, workers, args.n, args.latency, args.repeats)
        print(f"{workers:>8} {wall:>8.2f} {wall / args.latency:>10.2f}  {len(executors)} worker(s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
