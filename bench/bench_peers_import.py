"""Import time of agentkit against PydanticAI and the OpenAI Agents SDK, in fresh interpreters.

    python bench/bench_peers_import.py [--runs 7]

Two statements per framework: the bare ``import X``, and "ready to build the 3-turn agent" (the
agent class, the tool decorator where there is one, and the Chat Completions model). agentkit is timed
in the project venv; the peers in ``bench/.venv-peers``, where agentkit is also installed (editable,
same dependency versions), so agentkit is timed there too as a same-environment cross-check. Each
sample is a whole ``python -I -c STATEMENT`` process; the median of the interpreter's bare start-up
(``pass``) in the same venv is subtracted. Samples of all statements are interleaved.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench/: the _peers package

from _peers.harness import PEERS_PYTHON, REPO, ensure_peers, table


@dataclass(frozen=True)
class Case:
    """One statement timed with one interpreter."""

    label: str
    python: str
    statement: str


def cases(with_peers: bool) -> list[Case]:
    """What to time (``pass`` first for each interpreter: the baselines)."""
    own, peers = sys.executable, str(PEERS_PYTHON)
    agentkit_ready = "from agentkit import Agent, tool; import agentkit.models.openai_chat"
    found = [
        Case("python (project venv)", own, "pass"),
        Case("agentkit: import agentkit", own, "import agentkit"),
        Case("agentkit: Agent + tool + chat model", own, agentkit_ready),
    ]
    if with_peers:
        found += [
            Case("python (peers venv)", peers, "pass"),
            Case("agentkit in peers venv: Agent + tool + chat model", peers, agentkit_ready),
            Case("PydanticAI: import pydantic_ai", peers, "import pydantic_ai"),
            Case(
                "PydanticAI: Agent + chat model",
                peers,
                "from pydantic_ai import Agent; from pydantic_ai.models.openai import OpenAIChatModel; "
                "from pydantic_ai.providers.openai import OpenAIProvider",
            ),
            Case("OpenAI Agents SDK: import agents", peers, "import agents"),
            Case(
                "OpenAI Agents SDK: Agent + function_tool + chat model",
                peers,
                "from agents import Agent, Runner, function_tool, OpenAIChatCompletionsModel",
            ),
        ]
    return found


def sample_ms(case: Case) -> float:
    """Wall milliseconds of one fresh interpreter running the statement."""
    started = time.perf_counter()
    done = subprocess.run([case.python, "-I", "-c", case.statement], cwd=REPO, capture_output=True, check=False)
    elapsed = (time.perf_counter() - started) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{case.label}: {done.stderr.decode()[-2000:]}")
    return elapsed


def measure(found: list[Case], runs: int) -> dict[str, float]:
    """Median milliseconds per case, samples interleaved."""
    samples: dict[str, list[float]] = {case.label: [] for case in found}
    for case in found:
        sample_ms(case)  # warm the file cache and the .pyc files
    for _ in range(runs):
        for case in found:
            samples[case.label].append(sample_ms(case))
    return {label: statistics.median(values) for label, values in samples.items()}


def report(found: list[Case], medians: dict[str, float]) -> None:
    """Print the table (start-up subtracted) and the ratios to agentkit."""
    base = {case.python: medians[case.label] for case in found if case.statement == "pass"}
    net = {case.label: medians[case.label] - base[case.python] for case in found if case.statement != "pass"}
    own_bare, own_ready = net["agentkit: import agentkit"], net["agentkit: Agent + tool + chat model"]
    rows = []
    for label, value in net.items():
        reference = own_bare if "import " in label.split(":")[-1] else own_ready
        rows.append([label, f"{value:.0f}", "" if label.startswith("agentkit") else f"{value / reference:.1f}x"])
    print(
        "interpreter start-up: "
        + ", ".join(f"{medians[c.label]:.0f} ms {c.label}" for c in found if c.statement == "pass")
    )
    print(table(["statement", "ms (start-up subtracted)", "vs agentkit"], rows))
    for label, value in net.items():
        if label.startswith("agentkit"):
            continue
        bare = "import " in label.split(":")[-1]
        reference = own_bare if bare else own_ready
        note = " (agentkit's top-level import is lazy)" if bare else ""
        ratio = f"{value / reference:.1f}x ({value:.0f} vs {reference:.0f} ms)"
        print(f"summary: import time: {label} / agentkit = {ratio}{note}")


def main() -> int:
    """Measure and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    found = cases(with_peers=ensure_peers())
    report(found, measure(found, args.runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
