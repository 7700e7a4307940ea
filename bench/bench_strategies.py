"""Best-of-N over real HTTP: wall time against the model's latency, and the concurrency cap.

    python bench/bench_strategies.py [--latency-ms 1000] [--repeat 3] [--json]

The loopback emulator (tests/emulator: an OpenAI-compatible HTTP server on 127.0.0.1, run in its own
process so it has its own core and GIL) answers every chat completion after a fixed latency L. The
agent uses the real Chat Completions adapter ("openai-chat" with ``base_url``) and ``BestOfN``, so
everything between the strategy and the socket is measured. Claims checked (exit status 1 when one fails):

- Best-of-N runs its branches in parallel: wall time / L <= 1.2 for N = 1, 2, 4, 8, 16;
- with ``concurrency=K`` the emulator sees exactly K requests in flight at most (and wall time is
  about ceil(N / K) * L).

Each uncapped configuration runs ``repeat`` times after a warm-up and the median is reported; capped
ones run once (their peak is exact, their time is ceil(N / K) * L plus overhead).

For scale, the bench also times the same N requests sent straight through the model adapter
(``model.request`` gathered, no agent, no strategy): the "client floor". What the strategy and the loop
add is ``wall - floor``. On a busy 2-core machine the OpenAI SDK + HTTP alone cost several ms per
request, so the 1.2 bound needs L well above 16 x that; the default L = 1 s is a fast model turn.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository root: tests.emulator

from agentkit import Agent
from agentkit.messages import ModelRequest, UserPart
from agentkit.models.base import RequestParams
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.settings import ModelSettings
from agentkit.strategies import BestOfN
from tests.emulator import EmulatorProcess

MAX_RATIO = 1.2
SIZES = (1, 2, 4, 8, 16)
CAPS = (1, 2, 4, 8)
CAPPED_N = 16


ANSWER = "done"  # the emulator's final text (no tools are declared, so every reply is final)


async def best_of_n_seconds(agent: Agent[None, str], n: int, concurrency: int | None) -> float:
    """Wall time of one Best-of-N run."""
    strategy = BestOfN(n, verifier=lambda output: output == ANSWER, concurrency=concurrency)
    started = time.perf_counter()
    result = await agent.run("What is six times seven?", strategy=strategy)
    elapsed = time.perf_counter() - started
    if result.output != ANSWER or result.usage.requests != n:
        raise RuntimeError(f"unexpected result: {result.output!r} after {result.usage.requests} requests")
    return elapsed


async def floor_seconds(model: OpenAIChatModel, n: int) -> float:
    """Wall time of ``n`` concurrent requests straight through the adapter."""
    messages: list[Any] = [ModelRequest(parts=[UserPart(content="What is six times seven?")])]
    started = time.perf_counter()
    await asyncio.gather(*(model.request(messages, ModelSettings(), RequestParams()) for _ in range(n)))
    return time.perf_counter() - started


async def measure(
    emu: EmulatorProcess, model: OpenAIChatModel, n: int, *, cap: int | None, repeat: int, latency: float
) -> dict[str, Any]:
    """Median wall time, client floor and the most requests the emulator had in flight at once."""
    agent: Agent[None, str] = Agent(model)
    times: list[float] = []
    floors: list[float] = []
    peak = 0
    for _ in range(repeat):
        emu.reset()
        times.append(await best_of_n_seconds(agent, n, cap))
        peak = max(peak, int(emu.stats()["max_in_flight"]))
        if cap is None:
            floors.append(await floor_seconds(model, n))
    wall = statistics.median(times)
    floor = statistics.median(floors) if floors else None
    return {
        "n": n,
        "concurrency": cap,
        "wall_s": round(wall, 4),
        "ratio": round(wall / latency, 3),
        "floor_ratio": round(floor / latency, 3) if floor is not None else None,
        "strategy_overhead_ms": round((wall - floor) * 1000, 1) if floor is not None else None,
        "peak": peak,
    }


async def run(latency_ms: float, repeat: int) -> list[dict[str, Any]]:
    """Every configuration, against one emulator."""
    rows: list[dict[str, Any]] = []
    latency = latency_ms / 1000
    with EmulatorProcess(latency_ms=latency_ms, tool_turns=0) as emu:
        model = OpenAIChatModel("bench-model", base_url=emu.base_url, api_key="bench")
        await best_of_n_seconds(Agent(model), max(SIZES), None)  # warm-up: connections, imports, schemas
        for n in SIZES:
            rows.append(await measure(emu, model, n, cap=None, repeat=repeat, latency=latency))
        for cap in CAPS:
            rows.append(await measure(emu, model, CAPPED_N, cap=cap, repeat=1, latency=latency))
        await model.close()
    return rows


def check(row: dict[str, Any]) -> str | None:
    """The failed claim for a row, or None."""
    cap = row["concurrency"]
    if cap is None:
        if row["ratio"] > MAX_RATIO:
            return f"N={row['n']}: wall/L = {row['ratio']} > {MAX_RATIO}"
        if row["peak"] != row["n"]:
            return f"N={row['n']}: the emulator saw {row['peak']} requests at once, expected {row['n']}"
        return None
    if row["peak"] != cap:
        return f"N={row['n']}, concurrency={cap}: the emulator saw {row['peak']} requests at once, expected {cap}"
    waves = math.ceil(row["n"] / cap)
    if row["ratio"] > waves * MAX_RATIO:
        return f"N={row['n']}, concurrency={cap}: wall/L = {row['ratio']} > {waves} waves * {MAX_RATIO}"
    return None


def main() -> int:
    """Run, print a table (or JSON), and exit 1 if a claim failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--latency-ms", type=float, default=1000.0, help="emulator latency L per request")
    parser.add_argument("--repeat", type=int, default=3, help="runs per configuration (median reported)")
    parser.add_argument("--json", action="store_true", help="print the rows as JSON")
    args = parser.parse_args()
    rows = asyncio.run(run(args.latency_ms, args.repeat))
    failures = [f for f in map(check, rows) if f is not None]
    if args.json:
        print(json.dumps({"latency_ms": args.latency_ms, "rows": rows, "failures": failures}, indent=2))
    else:
        print(f"Best-of-N against a loopback emulator, L = {args.latency_ms:g} ms (median of {args.repeat})")
        print(f"{'N':>4} {'cap':>5} {'wall s':>8} {'wall/L':>7} {'floor/L':>8} {'added ms':>9} {'in flight':>9}")
        for row in rows:
            cap = "-" if row["concurrency"] is None else row["concurrency"]
            floor = "-" if row["floor_ratio"] is None else f"{row['floor_ratio']:.3f}"
            added = "-" if row["strategy_overhead_ms"] is None else f"{row['strategy_overhead_ms']:.1f}"
            line = f"{row['n']:>4} {cap:>5} {row['wall_s']:>8.3f} {row['ratio']:>7.3f} {floor:>8} {added:>9}"
            print(f"{line} {row['peak']:>9}")
        print("\n".join(f"FAIL {f}" for f in failures) or "all claims hold")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
