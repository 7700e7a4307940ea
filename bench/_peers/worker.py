"""A measuring process for one framework, driven over stdin/stdout with one JSON object per line.

    python bench/_peers/worker.py --framework pydantic_ai --base-url http://127.0.0.1:PORT/v1

It imports only that framework, builds its agent, runs the 3-turn conversation once (checked), prints
``{"ready": ...}`` and then answers commands, one per line:

- ``seq N``: N runs one after the other -> ``{"times_s": [...]}`` (seconds per run);
- ``concurrent N``: N runs at once (``asyncio.gather``) -> wall time, CPU time, per-run latencies, RSS
  before the burst and the process's peak RSS during it (reset first through /proc/self/clear_refs);
- ``quit``.

Runs in the project venv (raw, agentkit) and in ``bench/.venv-peers`` (pydantic_ai, openai_agents).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # bench/: the _peers package

from _peers import workloads
from _peers.memory import peak_rss_kb, reset_peak_rss, rss_kb


async def sequential(run: workloads.Run, n: int) -> dict[str, Any]:
    """Seconds of each of ``n`` runs made one after the other."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        await workloads.checked(run)
        times.append(time.perf_counter() - started)
    return {"times_s": times}


async def _timed(run: workloads.Run) -> tuple[float, str | None]:
    started = time.perf_counter()
    try:
        output = await run(workloads.PROMPT)
    except Exception as exc:  # reported, not raised: one failed run must not hide the others' numbers
        return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"
    error = None if output == workloads.FINAL_TEXT else f"unexpected output {output!r}"
    return time.perf_counter() - started, error


async def concurrent(run: workloads.Run, n: int) -> dict[str, Any]:
    """``n`` runs started together: wall time, latency quantiles, memory before and at the peak."""
    gc.collect()
    before = rss_kb()
    peak_reset = reset_peak_rss()
    cpu_started, started = time.process_time(), time.perf_counter()
    outcomes = await asyncio.gather(*(_timed(run) for _ in range(n)))
    wall = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    latencies = sorted(seconds for seconds, _ in outcomes)
    errors = [error for _, error in outcomes if error is not None]
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "p50_s": statistics.median(latencies),
        "p99_s": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "rss_before_kb": before,
        "peak_rss_kb": peak_rss_kb(),
        "peak_reset": peak_reset,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
    }


async def serve(framework: str, base_url: str, transport: str) -> None:
    """Build the agent, warm it up, then answer commands until ``quit`` or end of input."""
    started = time.perf_counter()
    run = workloads.make(framework, base_url, transport)
    await workloads.checked(run)
    _reply({"ready": True, "framework": framework, "setup_s": time.perf_counter() - started, "rss_kb": rss_kb()})
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        command, _, argument = line.strip().partition(" ")
        if command in ("", "quit"):
            await workloads.close_all()
            return
        if command == "seq":
            _reply(await sequential(run, int(argument)))
        elif command == "concurrent":
            _reply(await concurrent(run, int(argument)))
        else:
            _reply({"error": f"unknown command {line.strip()!r}"})


def _reply(payload: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()


def main() -> None:
    """Entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--framework", choices=workloads.FRAMEWORKS, required=True)
    parser.add_argument("--base-url", required=True, help="the emulator's http://127.0.0.1:PORT/v1")
    parser.add_argument("--transport", choices=workloads.TRANSPORTS, default="httpx")
    args = parser.parse_args()
    asyncio.run(serve(args.framework, args.base_url, args.transport))


if __name__ == "__main__":
    main()
