"""Run every benchmark in bench/ and write bench/RESULTS.md (``make bench``).

    .venv/bin/python bench/run_all.py [--budget-s 570] [--only bench_overhead ...] [--strict]

Sets up ``bench/.venv-peers`` first (``bench/setup_peers.sh``: idempotent, fast when present), then
runs the scripts below in order, each in its own process with this interpreter, streaming their
output. Scripts that are expected but missing are noted and skipped; ``bench_*.py`` files not listed
run last with their default arguments. A script still running at its timeout is stopped, and once
the total budget is spent the remaining scripts are skipped, so the whole run fits in 10 minutes on a
2-core machine. RESULTS.md gets the machine, the commit, every line a script marked ``summary:``,
and each script's full output with its exact command.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
RESULTS = BENCH / "RESULTS.md"


@dataclass(frozen=True)
class Script:
    """A benchmark script, its arguments and its time limit."""

    name: str
    args: tuple[str, ...] = ()
    timeout_s: float = 240.0


PLANNED: tuple[Script, ...] = (
    Script("bench_import.py", timeout_s=60),
    Script("bench_peers_import.py", timeout_s=120),
    Script("bench_overhead.py", timeout_s=150),
    Script("bench_peers_step.py", timeout_s=180),
    Script("bench_concurrency.py", ("--repeat", "1"), timeout_s=240),
    Script("bench_strategies.py", timeout_s=150),
    Script("bench_durable.py", timeout_s=150),
    Script("bench_context.py", timeout_s=120),
    # a pattern: every local-model bench; 4 repetitions instead of 8 keep them within the budget
    Script("bench_local*.py", ("--reps", "4"), timeout_s=200),
)


@dataclass
class Outcome:
    """What running one script gave."""

    script: Script
    command: list[str]
    status: str  # "exit 0", "exit 1", "timed out", "missing", "skipped: ..."
    seconds: float = 0.0
    output: list[str] = field(default_factory=list)
    load: float | None = None  # 1-minute load average when the script started

    @property
    def line(self) -> str:
        """Status, duration and load average, e.g. ``exit 0, 43 s, load 1.9``."""
        load = f", load {self.load:.1f}" if self.load is not None else ""
        return f"{self.status}, {self.seconds:.0f} s{load}"

    @property
    def summaries(self) -> list[str]:
        """The lines the script marked as headline numbers."""
        return [line.removeprefix("summary:").strip() for line in self.output if line.startswith("summary:")]


def plan(only: list[str]) -> list[Script | str]:
    """Scripts to run, in order; a string is a planned name that matched no file (to note as missing)."""
    found: list[Script | str] = []
    seen: set[str] = set()
    for script in PLANNED:
        matches = sorted(BENCH.glob(script.name))
        if not matches:
            found.append(script.name)
        for path in matches:
            found.append(Script(path.name, script.args, script.timeout_s))
            seen.add(path.name)
    found += [Script(path.name) for path in sorted(BENCH.glob("bench_*.py")) if path.name not in seen]
    if only:
        found = [s for s in found if any((s if isinstance(s, str) else s.name).startswith(o) for o in only)]
    return found


def run_script(script: Script, timeout_s: float) -> Outcome:
    """Run one script, echoing its output as it comes; stop it at the timeout."""
    command = [sys.executable, str(BENCH / script.name), *script.args]
    print(f"\n=== {script.name}: {shlex.join(_display(command))}", flush=True)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, bufsize=1
    )
    timer = threading.Timer(timeout_s, process.kill)
    timer.start()
    outcome = Outcome(script, command, "", load=os.getloadavg()[0])
    assert process.stdout is not None
    for line in process.stdout:
        print(line, end="", flush=True)
        outcome.output.append(line.rstrip("\n"))
    code = process.wait()
    timed_out = not timer.is_alive()
    timer.cancel()
    outcome.seconds = time.perf_counter() - started
    outcome.status = f"timed out after {timeout_s:.0f} s" if timed_out else f"exit {code}"
    return outcome


def setup_peers() -> Outcome:
    """Create or check bench/.venv-peers."""
    script = Script("setup_peers.sh")
    command = ["bash", str(BENCH / "setup_peers.sh")]
    print(f"=== {shlex.join(_display(command))}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, check=False)
    lines = [line for line in (done.stdout + done.stderr).splitlines() if "is ignored" not in line]
    print("\n".join(lines), flush=True)
    return Outcome(script, command, f"exit {done.returncode}", time.perf_counter() - started, lines)


def run_all(scripts: list[Script | str], budget_s: float) -> list[Outcome]:
    """Run the scripts within the total budget."""
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    for script in scripts:
        if isinstance(script, str):
            print(f"\n=== {script}: missing, skipped", flush=True)
            outcomes.append(Outcome(Script(script), [], "missing, skipped"))
            continue
        left = budget_s - (time.perf_counter() - started)
        if left < 20:
            print(f"\n=== {script.name}: skipped, the {budget_s:.0f} s budget is spent", flush=True)
            outcomes.append(Outcome(script, [], f"skipped: the {budget_s:.0f} s budget was spent"))
            continue
        outcomes.append(run_script(script, min(script.timeout_s, left)))
    return outcomes


def _display(command: list[str]) -> list[str]:
    """The command as run from the repository root (relative paths)."""
    shown = []
    for part in command:
        path = Path(part)
        shown.append(str(path.relative_to(REPO)) if path.is_absolute() and path.is_relative_to(REPO) else part)
    return shown


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else ""


def machine() -> str:
    """Cores, CPU model, memory, Python, load average."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory = next((line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), "0")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), {int(memory) / 2**20:.0f} GiB, Python {platform.python_version()}, "
        f"load average at start {load}"
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def write_results(outcomes: list[Outcome], header: dict[str, str], total_s: float) -> None:
    """bench/RESULTS.md: summary lines first, then every script's full output."""
    lines = [
        "# Benchmark results",
        "",
        f"Produced by `{header['command']}` (what `make bench` runs) on {header['date']}.",
        "",
        f"- machine: {header['machine']}",
        f"- commit: {header['commit']}",
        f"- total time: {total_s:.0f} s",
        "",
        "Every ratio below was measured side by side in this run (see bench/README.md for the method). The",
        "machine may be shared: each script's line gives the 1-minute load average when it started (2 cores).",
        "",
        "## Summary",
        "",
    ]
    for outcome in outcomes:
        lines.append(f"- **{outcome.script.name}** ({outcome.line})")
        lines += [f"  - {summary}" for summary in outcome.summaries]
    for outcome in outcomes:
        lines += ["", f"## {outcome.script.name}", ""]
        if outcome.command:
            lines.append(f"`{shlex.join(_display(outcome.command))}`: {outcome.line}")
        else:
            lines.append(outcome.status)
        if outcome.output:
            lines += ["", "```text", *outcome.output, "```"]
    RESULTS.write_text("\n".join(lines) + "\n")


def main() -> int:
    """Run everything, write RESULTS.md; exit 1 with --strict when a script did not exit 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget-s", type=float, default=570.0, help="total time for the scripts")
    parser.add_argument("--only", nargs="*", default=[], help="run only scripts whose names start with these")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a script failed or timed out")
    args = parser.parse_args()
    started = time.perf_counter()
    header = {
        "command": shlex.join(_display([sys.executable, str(Path(__file__)), *sys.argv[1:]])),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "commit": (_git("rev-parse", "--short", "HEAD") or "unknown")
        + (" with uncommitted changes" if _git("status", "--porcelain") else ""),
    }
    outcomes = [setup_peers()]
    outcomes += run_all(plan(args.only), args.budget_s - (time.perf_counter() - started))
    total = time.perf_counter() - started
    write_results(outcomes, header, total)
    failed = [o.script.name for o in outcomes if o.status.startswith(("exit", "timed")) and o.status != "exit 0"]
    print(
        f"\nwrote {RESULTS.relative_to(REPO)} in {total:.0f} s"
        + (f"; not exit 0: {', '.join(failed)}" if failed else "")
    )
    return 1 if args.strict and failed else 0


if __name__ == "__main__":
    sys.exit(main())
