"""Durable runs per second and per-step cost with 1, 2 and 4 worker processes on one PostgreSQL database.

    python bench/bench_workers.py [--runs 100] [--turns 2] [--workers 1 2 4] [--db postgresql://...]

The agent is trivial: a ``FunctionModel`` that answers at once (a call of a pure tool for ``turns``
turns, then the text ``done``), so a run is ``2 * turns + 1`` steps and what is measured is the cost of
durability and of the queue. Each measurement gets a fresh database and its own workers
(``python -m agentkit.background.worker``, ``--worker-concurrency 8``, ``--poll 0.05``), started and
ready before the clock starts.

- step cost: ``--sequential-runs`` runs of 10 turns (21 steps), one after the other, on one worker;
  per run, (its last step's end - its first step's start) / its steps, median; against the same agent
  run with ``agent.run()`` in this process. The difference is what durability adds to a step.
- throughput, for each worker count: ``runs`` runs submitted at once with ``execute=False``;
  runs/s and steps/s = runs (steps) / the time from the first submission to the last finished run;
  step ms = the median time of a step inside a worker with up to 8 runs beside it;
  conns = the most connections to the database at once (``pg_stat_activity``, sampled every 0.05 s,
  the submitting process's included).

All processes share the machine: on 2 cores, more workers add CPU contention, not CPU.

Without ``--db``, it uses ``$AGENTKIT_TEST_POSTGRES_URL`` or starts a throwaway server itself through
``scripts/with_postgres.sh``; with no PostgreSQL binaries it says so and exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
POSTGRES_ENV = "AGENTKIT_TEST_POSTGRES_URL"
REEXEC_ENV = "AGENTKIT_BENCH_WORKERS_UNDER_POSTGRES"
AGENT_REF = "bench_workers:agent"
SEQUENTIAL_TURNS = 10

if TYPE_CHECKING:
    from agentkit.background import RunStore

from agentkit import Agent, ModelRequest, ToolResult, UserPart, tool  # noqa: E402
from agentkit.testing import FunctionModel, RecordedRequest, call, text  # noqa: E402

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from tests.background.postgres import fresh_database  # noqa: E402


async def _answer(messages: list[Any], info: RecordedRequest) -> Any:
    prompt = next(p.content for p in messages[0].parts if isinstance(p, UserPart))
    done = sum(isinstance(p, ToolResult) for m in messages if isinstance(m, ModelRequest) for p in m.parts)
    return call("noop", {"turn": done}) if done < int(prompt.split()[-1]) else text("done")


@tool(side_effect="pure")
def noop(turn: int) -> str:
    """Do nothing."""
    return str(turn)


agent = Agent(FunctionModel(_answer), tools=[noop], name="bench-workers")


@dataclass(frozen=True)
class Row:
    """One worker count's measurement."""

    workers: int
    runs: int
    steps: int
    wall_s: float
    ms_per_step: float
    connections: int

    @property
    def runs_per_s(self) -> float:
        return self.runs / self.wall_s


class ConnectionSampler:
    """The most connections to the database seen at once, and the runs that succeeded, sampled in a thread."""

    def __init__(self, db_url: str) -> None:
        import sqlalchemy as sa

        from agentkit.background.engine import create_engine

        self._engine = create_engine(db_url, pool_size=1)
        self._query = sa.text(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()),"
            " (SELECT count(*) FROM dbos.workflow_status WHERE status = 'SUCCESS')"
        )
        self._stop = threading.Event()
        self.peak = 0
        self.succeeded = 0
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        with self._engine.connect() as conn:
            while not self._stop.wait(0.05):
                connections, self.succeeded = conn.execute(self._query).one()
                self.peak = max(self.peak, connections - 1)  # not the sampler's own

    def __enter__(self) -> ConnectionSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._engine.dispose()


def start_workers(
    db_url: str,
    count: int,
    logs: Path,
    agent_ref: str = AGENT_REF,
    options: tuple[str, ...] = ("--worker-concurrency", "8"),
) -> list[subprocess.Popen[str]]:
    """Start ``count`` workers of ``agent_ref`` with ``options`` (their output in ``logs``) and wait until each
    is ready."""
    from agentkit.background.worker import READY_LINE

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(BENCH), str(REPO), os.environ.get("PYTHONPATH", "")]))
    procs = []
    for i in range(count):
        command = [
            sys.executable, "-m", "agentkit.background.worker", agent_ref,
            "--db", db_url, "--executor-id", f"bench-{i}", "--poll", "0.05", *options,
        ]  # fmt: skip
        with (logs / f"bench-{i}.log").open("w") as out:
            procs.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, text=True))
    deadline = time.monotonic() + 120
    for i, proc in enumerate(procs):
        log = logs / f"bench-{i}.log"
        while READY_LINE not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"worker bench-{i} did not start:\n{log.read_text()}")
            time.sleep(0.05)
    return procs


def stop_workers(procs: list[subprocess.Popen[str]]) -> None:
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(30)


@contextmanager
def running_workers(db_url: str, count: int) -> Iterator[RunStore]:
    """``count`` workers on ``db_url``, ready; yields a store on the database."""
    from agentkit.background import DurableConfig, RunStore, shutdown

    with tempfile.TemporaryDirectory(prefix="agentkit-bench-workers-") as logs:
        store = RunStore(DurableConfig(system_db_url=db_url, executor_id="bench-client"))  # creates agentkit's tables
        procs: list[subprocess.Popen[str]] = []
        try:
            procs += start_workers(db_url, count, Path(logs))
            yield store
        finally:
            stop_workers(procs)
            store.close()
            shutdown()


def measure(db_url: str, workers: int, runs: int, turns: int) -> Row:
    """Run ``runs`` runs at once through ``workers`` workers: throughput, time per step, connections."""
    with running_workers(db_url, workers) as store, ConnectionSampler(db_url) as sampler:
        started = time.perf_counter()
        ids = [_submit(store, turns) for _ in range(runs)]
        while sampler.succeeded < runs:
            time.sleep(0.05)
        wall = time.perf_counter() - started
        per_step = [_ms_per_step(store, run_id) for run_id in ids]
    return Row(workers, runs, runs * (2 * turns + 1), wall, statistics.median(per_step), sampler.peak)


def one_at_a_time(db_url: str, runs: int, turns: int) -> float:
    """Median ms per step of runs executed one after the other by one worker (no other run beside them)."""
    with running_workers(db_url, 1) as store:
        per_step = []
        for _ in range(runs):
            run_id = _submit(store, turns)
            store.result(run_id, timeout=60, poll_s=0.02)
            per_step.append(_ms_per_step(store, run_id))
    return statistics.median(per_step)


def _submit(store: RunStore, turns: int) -> str:
    from agentkit.background import start_run

    module, name = AGENT_REF.split(":")
    by_path = getattr(importlib.import_module(module), name)  # this file as a module: what the workers import
    return start_run(by_path, f"run {turns}", agent_ref=AGENT_REF, config=store.config, execute=False).id


def _ms_per_step(store: RunStore, run_id: str) -> float:
    steps = [s for s in store.steps(run_id) if s.name.startswith("agentkit.")]
    first, last = steps[0].started_at, steps[-1].completed_at
    assert first is not None and last is not None
    return (last - first) * 1000 / len(steps)


def in_process_ms_per_step(turns: int, runs: int = 50) -> float:
    """The same agent in this process (``agent.run``), one run at a time: median ms per step."""

    async def one() -> float:
        started = time.perf_counter()
        await agent.run(f"run {turns}")
        return (time.perf_counter() - started) * 1000 / (2 * turns + 1)

    async def many() -> list[float]:
        return [await one() for _ in range(runs)]

    return statistics.median(asyncio.run(many()))


def print_table(rows: list[Row], turns: int, sequential: float, in_process: float, sequential_turns: int) -> None:
    overhead = sequential - in_process
    print(
        f"\none run at a time, {2 * sequential_turns + 1} steps per run: {sequential:.2f} ms per step in a worker, "
        f"{in_process:.2f} ms with agent.run() in process: {overhead:.2f} ms added per durable step"
    )
    print(f"\n{args_line(turns)}\n")
    print(f"{'workers':>7}{'runs':>6}{'wall s':>8}{'runs/s':>8}{'steps/s':>9}{'step ms':>9}{'conns':>7}")
    for r in rows:
        print(
            f"{r.workers:>7}{r.runs:>6}{r.wall_s:>8.2f}{r.runs_per_s:>8.1f}{r.steps / r.wall_s:>9.0f}"
            f"{r.ms_per_step:>9.2f}{r.connections:>7}"
        )
    print(
        "\nstep ms = median time of a step inside a worker with up to 8 runs beside it; "
        "conns = most database connections at once, all processes"
    )
    print(f"summary: durable step on PostgreSQL: +{overhead:.2f} ms per step over agent.run() (one run at a time)")
    base = rows[0]
    for r in rows:
        print(
            f"summary: {r.workers} worker(s) on PostgreSQL: {r.runs_per_s:.1f} durable runs/s "
            f"({r.runs_per_s / base.runs_per_s:.2f}x {base.workers} worker), {r.connections} connections at most"
        )


def args_line(turns: int) -> str:
    return f"runs submitted at once, {turns} tool turns = {2 * turns + 1} steps per run, --worker-concurrency 8"


def postgres_server(script: str, reexec_env: str) -> str:
    """The PostgreSQL server to measure on (``$AGENTKIT_TEST_POSTGRES_URL``). Without one, ``script`` runs
    again under scripts/with_postgres.sh and this process exits with its status; that run, without
    PostgreSQL binaries, says so and exits 0."""
    if server := os.environ.get(POSTGRES_ENV):
        return server
    if os.environ.get(reexec_env):
        print("skipped: no PostgreSQL (install the postgresql package, or pass --db postgresql://...)")
        sys.exit(0)
    env = dict(os.environ, **{reexec_env: "1"})
    command = ["bash", str(REPO / "scripts" / "with_postgres.sh"), sys.executable, script, *sys.argv[1:]]
    sys.exit(subprocess.run(command, env=env, check=False).returncode)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--turns", type=int, default=2)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--sequential-runs", type=int, default=5, help="runs one at a time, for the step cost")
    parser.add_argument("--db", default=None, help="a PostgreSQL server URL (a database is created per measurement)")
    args = parser.parse_args()
    server = args.db or postgres_server(__file__, REEXEC_ENV)
    with fresh_database(server, "agentkit_bench") as url:
        sequential = one_at_a_time(url, args.sequential_runs, SEQUENTIAL_TURNS)
    print(f"one at a time: {sequential:.2f} ms per step", flush=True)
    rows = []
    for workers in args.workers:
        with fresh_database(server, "agentkit_bench") as url:
            rows.append(measure(url, workers, args.runs, args.turns))
        print(f"{workers} worker(s): {rows[-1].runs_per_s:.1f} runs/s", flush=True)
    in_process = in_process_ms_per_step(SEQUENTIAL_TURNS)
    print_table(rows, args.turns, sequential, in_process, SEQUENTIAL_TURNS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
