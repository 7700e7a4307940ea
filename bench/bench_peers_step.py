"""The 3-turn tool run in agentkit, PydanticAI and the OpenAI Agents SDK, side by side.

    python bench/bench_peers_step.py [--rounds 6] [--runs 5] [--latencies 50,0]

Each framework runs in its own worker process (``bench/_peers/worker.py``; the peers in
``bench/.venv-peers``, created by ``bench/setup_peers.sh`` if missing), all against the same emulator
process, with the same tool, prompt and ``openai`` SDK version. A raw ``openai`` client loop is the
floor. The workers take turns: each round, every worker does ``--runs`` runs in a rotating order,
so drift in the machine's load spreads over all of them. Reported: median ms per run, ms per step
above the raw loop, and each peer's time over agentkit's (> 1: agentkit is faster).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: the _peers package

from _peers.harness import LABELS, PEERS, Worker, emulator, ensure_peers, frameworks, median_ms, table

STEPS = 3


def measure(latency_ms: float, names: list[str], rounds: int, runs: int) -> dict[str, list[float]]:
    """Seconds per run of each framework, the workers taking turns."""
    times: dict[str, list[float]] = {name: [] for name in names}
    with emulator(latency_ms) as emu, ExitStack() as stack:
        workers = [stack.enter_context(Worker(name, emu.base_url)) for name in names]
        for worker in workers:
            worker.ask("seq 3")  # warm-up beyond the worker's own first run
        for round_index in range(rounds):
            shift = round_index % len(workers)
            for worker in workers[shift:] + workers[:shift]:
                times[worker.framework] += worker.ask(f"seq {runs}")["times_s"]
        errors = emu.stats()["errors"]
        if errors:
            raise RuntimeError(f"the emulator reported errors: {errors}")
    return times


def report(latency_ms: float, times: dict[str, list[float]]) -> None:
    """Print the table and one summary line per peer."""
    raw, own = median_ms(times["raw"]), median_ms(times["agentkit"])
    rows = []
    for name, samples in times.items():
        run_ms = median_ms(samples)
        versus = "" if name == "raw" else f"{run_ms / own:.2f}x"
        rows.append([LABELS[name], str(len(samples)), f"{run_ms:.2f}", f"{(run_ms - raw) / STEPS:+.2f}", versus])
    print(f"\n3-turn tool run, {latency_ms:.0f} ms model latency")
    print(table(["framework", "runs", "ms/run (median)", "ms/step over raw", "time / agentkit's"], rows))
    peers = [name for name in PEERS if name in times]
    slower = [name for name in peers if median_ms(times[name]) > own]
    for name in peers:
        print(f"summary: {latency_ms:.0f} ms latency: {LABELS[name]} / agentkit = {median_ms(times[name]) / own:.2f}x")
    if peers:
        verdict = "met" if len(slower) == len(peers) else "MISSED"
        print(f"summary: {latency_ms:.0f} ms latency: agentkit faster than every peer: {verdict}")


def main() -> int:
    """Measure at each latency."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--runs", type=int, default=5, help="runs per framework per round")
    parser.add_argument("--fast-scale", type=int, default=4, help="rounds x this at 0 ms latency (runs are short)")
    parser.add_argument("--latencies", default="50,0", help="comma-separated model latencies in ms")
    args = parser.parse_args()
    names = frameworks(with_peers=ensure_peers())
    for latency in (float(value) for value in args.latencies.split(",")):
        rounds = args.rounds * (args.fast_scale if latency == 0 else 1)
        times = measure(latency, names, rounds, args.runs)
        report(latency, times)
        spread = {name: statistics.pstdev(samples) * 1000 for name, samples in times.items()}
        print("standard deviation, ms/run: " + ", ".join(f"{LABELS[n]} {s:.1f}" for n, s in spread.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
