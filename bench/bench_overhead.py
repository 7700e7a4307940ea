"""Overhead per agent step: agentkit against a hand-written loop on the raw ``openai`` client.

    python bench/bench_overhead.py [--runs-slow 40] [--runs-fast 200]

Both do the same 3-turn conversation (tool call, tool call, final text) against the loopback emulator
(``tests.emulator`` in its own process, ``ToolLoop(tool_turns=2)``): the raw loop calls
``client.chat.completions.create`` and runs the tool itself; agentkit runs ``Agent("openai-chat:...")``
with ``OPENAI_BASE_URL`` pointing at the emulator. Both live in this process, share nothing but the
event loop, and alternate run by run (the order flips every run), so load on the machine hits both alike.

- at 50 ms latency per model call: ratio of median run times (target <= 1.05x);
- at 0 ms: time agentkit adds per step, the median of the paired differences / 3 (target < 1 ms).

Next to wall time, the CPU time of this process (``time.process_time``, all threads) is reported: on a
machine busy with other work it moves much less than wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: the _peers package

from _peers import workloads
from _peers.harness import emulator, median_ms, table

STEPS = 3  # model calls per run
MAX_RATIO_SLOW = 1.05
MAX_ADDED_MS_FAST = 1.0
WARMUP = 5


@dataclass(frozen=True)
class Paired:
    """Run times (wall and this process's CPU) of the raw loop and agentkit, measured in alternation."""

    latency_ms: float
    raw_s: list[float]
    agentkit_s: list[float]
    raw_cpu_s: list[float]
    agentkit_cpu_s: list[float]

    @property
    def ratio(self) -> float:
        """Median agentkit run time over median raw run time."""
        return statistics.median(self.agentkit_s) / statistics.median(self.raw_s)

    @property
    def added_per_step_ms(self) -> float:
        """Median of the paired wall-time differences, per model call, in milliseconds."""
        return _median_diff_ms(self.agentkit_s, self.raw_s) / STEPS

    @property
    def added_cpu_per_step_ms(self) -> float:
        """Median of the paired CPU-time differences, per model call, in milliseconds."""
        return _median_diff_ms(self.agentkit_cpu_s, self.raw_cpu_s) / STEPS


def _median_diff_ms(a: list[float], b: list[float]) -> float:
    return statistics.median(x - y for x, y in zip(a, b, strict=True)) * 1000


async def _time(run: workloads.Run, wall: list[float], cpu: list[float]) -> None:
    """One run: appends its wall time and the CPU time this process spent (all threads)."""
    cpu_started, started = time.process_time(), time.perf_counter()
    await workloads.checked(run)
    wall.append(time.perf_counter() - started)
    cpu.append(time.process_time() - cpu_started)


async def measure(latency_ms: float, runs: int) -> Paired:
    """Alternate raw and agentkit runs against an emulator with this latency."""
    with emulator(latency_ms) as emu:
        raw = workloads.make("raw", emu.base_url)
        agentkit = workloads.make("agentkit", emu.base_url)
        for _ in range(WARMUP):
            await workloads.checked(raw)
            await workloads.checked(agentkit)
        paired = Paired(latency_ms, [], [], [], [])
        for index in range(runs):
            first, second = (raw, agentkit) if index % 2 == 0 else (agentkit, raw)
            for run in (first, second):
                is_raw = run is raw
                wall = paired.raw_s if is_raw else paired.agentkit_s
                await _time(run, wall, paired.raw_cpu_s if is_raw else paired.agentkit_cpu_s)
        errors = emu.stats()["errors"]
        if errors:
            raise RuntimeError(f"the emulator reported errors: {errors}")
    return paired


def report(slow: Paired, fast: Paired) -> bool:
    """Print the table and the verdicts; True when both targets are met."""
    rows = []
    for paired in (slow, fast):
        rows.append(
            [
                f"{paired.latency_ms:.0f} ms",
                str(len(paired.raw_s)),
                f"{median_ms(paired.raw_s):.2f}",
                f"{median_ms(paired.agentkit_s):.2f}",
                f"{paired.ratio:.3f}x",
                f"{paired.added_per_step_ms:+.2f}",
                f"{median_ms(paired.raw_cpu_s):.2f}",
                f"{median_ms(paired.agentkit_cpu_s):.2f}",
                f"{paired.added_cpu_per_step_ms:+.2f}",
            ]
        )
    header = ["latency", "runs", "raw ms/run", "agentkit ms/run", "agentkit / raw", "added ms/step"]
    header += ["raw CPU ms/run", "agentkit CPU ms/run", "added CPU ms/step"]
    print(table(header, rows))
    slow_ok = slow.ratio <= MAX_RATIO_SLOW
    fast_ok = fast.added_per_step_ms < MAX_ADDED_MS_FAST
    print(
        f"summary: overhead at {slow.latency_ms:.0f} ms latency: agentkit / raw = {slow.ratio:.3f}x "
        f"(target <= {MAX_RATIO_SLOW}x: {'met' if slow_ok else 'MISSED'})"
    )
    print(
        f"summary: overhead at {fast.latency_ms:.0f} ms latency: {fast.added_per_step_ms:+.2f} ms added per step "
        f"(target < {MAX_ADDED_MS_FAST:.0f} ms: {'met' if fast_ok else 'MISSED'}; "
        f"{fast.added_cpu_per_step_ms:+.2f} ms of CPU; a raw call takes {median_ms(fast.raw_s) / STEPS:.2f} ms)"
    )
    return slow_ok and fast_ok


def main() -> int:
    """Measure at 50 ms and 0 ms latency; exit 1 when a target is missed with ``--strict``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0, help="latency of the first measurement")
    parser.add_argument("--runs-slow", type=int, default=40, help="runs of each at --latency-ms")
    parser.add_argument("--runs-fast", type=int, default=200, help="runs of each at 0 ms")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    slow = asyncio.run(measure(args.latency_ms, args.runs_slow))
    fast = asyncio.run(measure(0.0, args.runs_fast))
    met = report(slow, fast)
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
