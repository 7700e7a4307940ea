"""Per-step overhead of a durable run (DBOS on SQLite) against an in-process run of the same runner.

    python bench/bench_durable.py [--turns 200] [--repeat 3]

The runner does ``turns`` turns of one model call, one tool call and one event, with calls that do no
work, so what is measured is the cost of durability: checkpointing each step and logging each event.
Time is measured inside the runner (queueing and worker start-up are reported apart). Each durable
configuration runs in its own process (DBOS is a per-process singleton).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from agentkit.background import DurableBackend, DurableConfig, InProcessStepRunner, RunSpec, StepRunner

STEPS_PER_TURN = 2  # one model call and one tool call


async def _answer() -> dict[str, str]:
    return {"tool": "noop"}


async def _noop_tool(key: str) -> str:
    return key


async def bench_runner(payload: dict[str, Any], steps: StepRunner) -> float:
    """The measured body: returns its own duration in seconds."""
    started = time.perf_counter()
    for turn in range(int(payload["turns"])):
        action = await steps.model_call(_answer)
        await steps.tool_call(action["tool"], _noop_tool)
        if payload["emit"]:
            await steps.emit({"kind": "turn", "turn": turn})
    return time.perf_counter() - started


def in_process(turns: int, emit: bool) -> float:
    """Seconds per step of an in-process run."""

    async def sink(event: Any) -> None:
        return None

    seconds = asyncio.run(bench_runner({"turns": turns, "emit": emit}, InProcessStepRunner("bench", sink)))
    return seconds / (turns * STEPS_PER_TURN)


def _untuned_sqlite() -> None:
    """Make the backend's SQLite engine behave like a default one (rollback journal, synchronous=FULL)."""
    from agentkit.background import engine

    def plain(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = "IMMEDIATE"
        dbapi_conn.execute("PRAGMA busy_timeout=30000")
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    engine._on_sqlite_connect = plain
    engine.prepare_sqlite_file = lambda path: path.parent.mkdir(parents=True, exist_ok=True)


def durable(db_url: str, turns: int, emit: bool, repeat: int) -> dict[str, float]:
    """Seconds per step of durable runs (best and median of ``repeat``), and seconds from start to result."""
    backend = DurableBackend(DurableConfig(system_db_url=db_url, executor_id="bench", queue_poll_s=0.5))
    backend.launch()
    try:
        spec = RunSpec(f"{__name__}:bench_runner", {"turns": turns, "emit": emit})
        backend.store.start(RunSpec(spec.runner, {"turns": 2, "emit": emit})).result(timeout=60)  # warm-up
        per_step, end_to_end = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            seconds = backend.store.result(backend.store.start(spec).id, timeout=600, poll_s=0.05)
            end_to_end.append(time.perf_counter() - started)
            per_step.append(seconds / (turns * STEPS_PER_TURN))
    finally:
        backend.shutdown()
    return {"best": min(per_step), "median": statistics.median(per_step), "run_s": statistics.median(end_to_end)}


def _child(args: argparse.Namespace) -> None:
    if args.mode == "sqlite-default":
        _untuned_sqlite()
    with tempfile.TemporaryDirectory() as home:
        url = args.db or f"sqlite:///{Path(home) / 'runs.sqlite'}"
        print(json.dumps(durable(url, args.turns, args.emit, args.repeat)))


def _run_child(mode: str, args: argparse.Namespace, emit: bool) -> dict[str, float]:
    command = [sys.executable, __file__, "--child", mode, "--turns", str(args.turns), "--repeat", str(args.repeat)]
    if emit:
        command.append("--emit")
    if args.db and mode == "postgres":
        command += ["--db", args.db]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", default=None, help="also measure this postgresql:// database")
    parser.add_argument("--child", dest="mode", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--emit", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mode is not None:
        _child(args)
        return
    modes = ["sqlite-wal", "sqlite-default"] + (["postgres"] if args.db else [])
    print(f"{args.turns} turns x {STEPS_PER_TURN} steps; ms per step (best / median of {args.repeat} runs)\n")
    print(f"{'configuration':<34}{'events':>8}{'best':>9}{'median':>9}{'overhead':>10}{'run s':>8}")
    for emit in (False, True):
        base = min(in_process(args.turns, emit) for _ in range(args.repeat)) * 1000
        print(f"{'in-process':<34}{emit!s:>8}{base:>9.3f}{base:>9.3f}{0:>10.3f}{'':>8}")
        for mode in modes:
            r = _run_child(mode, args, emit)
            best, median = r["best"] * 1000, r["median"] * 1000
            row = f"{'durable ' + mode:<34}{emit!s:>8}{best:>9.3f}{median:>9.3f}{median - base:>10.3f}"
            print(f"{row}{r['run_s']:>8.2f}")
    print("\noverhead = durable median - in-process; target: under 2 ms per step on sqlite-wal")


if __name__ == "__main__":
    main()
