"""Kill-and-restart cycles of a durable strategy run, to reproduce the known recovery defect.

    bash scripts/with_postgres.sh .venv/bin/python scripts/stress_strategy_recovery.py [--cycles 10] [--burners 4]

Each cycle, on a fresh PostgreSQL database: a worker process starts ``SelfConsistency(3)`` of
:data:`tests.background.bg_agents.writer` (3 turns, 0.3 s per call), is SIGKILLed once each branch has
run its first tool call, and a new worker process with the **same executor id** recovers the runs. The
cycle passes when the strategy run succeeds within ``--timeout`` seconds. ``--burners N`` runs N
CPU-bound processes meanwhile (the defect shows only under heavy load; see the warning in
docs/concepts/background.md). Prints one line per cycle and, for a failed one, each run's state and error.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from tests.background.postgres import fresh_database  # noqa: E402

POSTGRES_ENV = "AGENTKIT_TEST_POSTGRES_URL"
RUN_ID = "stress"


def worker(url: str, effects: str, start: bool) -> None:
    """A process that executes runs (and starts the strategy run when ``start``), until killed."""
    from agentkit.background import DurableBackend, DurableConfig
    from tests.background import bg_agents

    DurableBackend(DurableConfig(system_db_url=url, executor_id="stress", queue_poll_s=0.05)).launch()
    if start:
        prompt = f"{RUN_ID} 3 {effects} 0.3"
        bg_agents.writer.start(
            prompt, deps={"path": effects, "delay_s": 0.3}, strategy=bg_agents.vote_of_3, run_id=RUN_ID
        )
    time.sleep(3600)


def _spawn(url: str, effects: str, start: bool) -> subprocess.Popen[bytes]:
    code = (
        f"import sys; sys.path.insert(0, {str(REPO)!r}); "
        f"from scripts.stress_strategy_recovery import worker; worker({url!r}, {effects!r}, {start})"
    )
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _tool_lines(path: Path) -> int:
    return sum(1 for line in path.read_text().splitlines() if line.startswith("tool")) if path.exists() else 0


def cycle(url: str, timeout: float) -> str | None:
    """One kill-and-restart cycle; ``None`` if the run succeeded, else what went wrong."""
    from agentkit.background import DurableConfig, RunStore

    with tempfile.TemporaryDirectory(prefix="agentkit-stress-") as home:
        effects = Path(home) / "effects.txt"
        first = _spawn(url, str(effects), start=True)
        deadline = time.monotonic() + 60
        while _tool_lines(effects) < 3 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.35)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        second = _spawn(url, str(effects), start=False)
        store = RunStore(DurableConfig(system_db_url=url))
        try:
            store.result(RUN_ID, timeout=timeout)
            return None
        except Exception as exc:
            runs = [store.status(RUN_ID), *(store.status(c.id) for c in store.children(RUN_ID))]
            return f"{type(exc).__name__}: {exc}\n" + "\n".join(f"    {r.id} {r.state.value} {r.error}" for r in runs)
        finally:
            second.kill()
            second.wait()
            store.close()


def _burn() -> None:
    while True:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--burners", type=int, default=0, help="CPU-bound processes running meanwhile")
    parser.add_argument("--timeout", type=float, default=40.0, help="seconds for the recovered run to finish")
    args = parser.parse_args()
    server = os.environ.get(POSTGRES_ENV)
    if server is None:
        print("error: run under scripts/with_postgres.sh (or set AGENTKIT_TEST_POSTGRES_URL)", file=sys.stderr)
        return 2
    burners = [multiprocessing.Process(target=_burn, daemon=True) for _ in range(args.burners)]
    for burner in burners:
        burner.start()
    failed = 0
    try:
        for i in range(args.cycles):
            with fresh_database(server, "agentkit_stress") as url:
                problem = cycle(url, args.timeout)
            failed += problem is not None
            print(f"cycle {i}: {'ok' if problem is None else 'FAILED ' + problem}", flush=True)
    finally:
        for burner in burners:
            burner.terminate()
    print(f"{failed} of {args.cycles} cycles failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
