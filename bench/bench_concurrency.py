"""1,000 concurrent 3-turn agent runs at 100 ms model latency: wall time against the ideal, peak memory.

    python bench/bench_concurrency.py [--n 1000] [--latency-ms 100] [--repeat 2]

Each measurement is a fresh worker process (``bench/_peers/worker.py``) for one framework: it builds
its agent, does one run, then starts ``n`` runs at once (``asyncio.gather``) against the emulator
process. The ideal wall time is 3 x latency (every run's three model calls overlap with all the
others'). Memory is the worker's resident set: its peak during the burst (VmHWM, reset just before
through /proc/self/clear_refs) and that peak minus the RSS just before the burst. The emulator's most
requests in flight at once shows whether the runs really overlapped. The raw ``openai`` client loop
is the floor; the peers run in ``bench/.venv-peers``. Measurements of different frameworks alternate;
the median over ``--repeat`` is reported. "client CPU busy" is the worker's CPU time over the wall time:
near 100% the client process, not the latency, bounds the wall time.

Transport: every framework gets the same ``AsyncOpenAI`` client configuration, by default on the SDK's
aiohttp transport (``openai.DefaultAioHttpClient``, 1,000 connections). The SDK's default httpx2
transport is available with ``--transport httpx``, but its connection pool does work quadratic in the
number of waiting requests: at 1,000 concurrent runs it spends tens of seconds in pool bookkeeping
(the same for every framework), which hides the frameworks' own costs and takes minutes per burst.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: the _peers package

from _peers.harness import LABELS, PEERS, Worker, emulator, ensure_peers, frameworks, table
from _peers.workloads import TRANSPORTS

TURNS = 3


def burst(framework: str, emu: Any, n: int, transport: str) -> dict[str, Any]:
    """One fresh worker, one burst of ``n`` concurrent runs; adds the emulator's peak in-flight count."""
    with Worker(framework, emu.base_url, transport) as worker:
        emu.reset()
        result = worker.ask(f"concurrent {n}")
        result["max_in_flight"] = emu.stats()["max_in_flight"]
        result["rss_ready_kb"] = worker.ready["rss_kb"]
    if result["errors"]:
        print(f"note: {LABELS[framework]}: {result['errors']} of {n} runs failed, first: {result['first_error']}")
    return result


def measure(
    names: list[str], n: int, latency_ms: float, repeat: int, transport: str
) -> dict[str, list[dict[str, Any]]]:
    """``repeat`` bursts per framework, alternating frameworks."""
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
    with emulator(latency_ms) as emu:
        for index in range(repeat):
            order = names if index % 2 == 0 else names[::-1]
            for name in order:
                results[name].append(burst(name, emu, n, transport))
    return results


def _median(samples: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(sample[key] for sample in samples))


def _mib(kib: float) -> str:
    return f"{kib / 1024:.0f}"


def report(results: dict[str, list[dict[str, Any]]], n: int, latency_ms: float, transport: str) -> None:
    """Print the table and the summary lines."""
    ideal = TURNS * latency_ms / 1000
    rows = []
    for name, samples in results.items():
        wall = _median(samples, "wall_s")
        peak, before = _median(samples, "peak_rss_kb"), _median(samples, "rss_before_kb")
        rows.append(
            [
                LABELS[name],
                f"{wall:.2f}",
                f"{wall / ideal:.1f}x",
                f"{_median(samples, 'cpu_s') / wall:.0%}",
                f"{_median(samples, 'p50_s') * 1000:.0f} / {_median(samples, 'p99_s') * 1000:.0f}",
                _mib(_median(samples, "rss_ready_kb")),
                _mib(peak),
                _mib(peak - before),
                str(int(_median(samples, "max_in_flight"))),
                str(sum(int(sample["errors"]) for sample in samples)),
            ]
        )
    header = [
        "framework",
        "wall s",
        "wall / ideal",
        "client CPU busy",
        "run p50 / p99 ms",
        "RSS idle MiB",
        "peak RSS MiB",
    ]
    header += ["peak - before MiB", "max in flight", "failed runs"]
    print(f"{n} concurrent 3-turn runs, {latency_ms:.0f} ms latency, {transport} transport (ideal: {ideal:.1f} s)")
    print(table(header, rows))
    _summaries(results, n, ideal)


def _summaries(results: dict[str, list[dict[str, Any]]], n: int, ideal: float) -> None:
    own_wall, own_peak = _median(results["agentkit"], "wall_s"), _median(results["agentkit"], "peak_rss_kb")
    print(f"summary: {n} concurrent runs: agentkit wall = {own_wall:.2f} s = {own_wall / ideal:.1f}x ideal, ", end="")
    print(f"peak RSS {_mib(own_peak)} MiB")
    for name in (name for name in PEERS if name in results):
        wall, peak = _median(results[name], "wall_s"), _median(results[name], "peak_rss_kb")
        print(
            f"summary: {n} concurrent runs: {LABELS[name]} / agentkit: wall {wall / own_wall:.2f}x, "
            f"peak RSS {peak / own_peak:.2f}x"
        )


def main() -> int:
    """Measure and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="concurrent runs")
    parser.add_argument("--latency-ms", type=float, default=100.0)
    parser.add_argument("--repeat", type=int, default=2, help="bursts per framework (fresh process each)")
    parser.add_argument("--transport", choices=TRANSPORTS, default="aiohttp", help="the openai SDK's HTTP transport")
    args = parser.parse_args()
    names = frameworks(with_peers=ensure_peers())
    results = measure(names, args.n, args.latency_ms, args.repeat, args.transport)
    report(results, args.n, args.latency_ms, args.transport)
    return 0


if __name__ == "__main__":
    sys.exit(main())
