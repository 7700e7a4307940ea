"""`import agentkit` wall time (target < 150 ms), measured in fresh interpreters.

Prints the median of several runs next to the bare interpreter start-up and, when installed in the
same environment, the peers' import times.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 7


def import_ms(statement: str) -> float | None:
    """Median wall milliseconds of ``python -c statement`` minus nothing (whole process)."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", statement], capture_output=True, check=False)
        samples.append((time.perf_counter() - start) * 1000)
        if done.returncode != 0:
            return None
    return statistics.median(samples)


def main() -> None:
    """Print the import times and the ratio to the target."""
    base = import_ms("pass")
    assert base is not None
    rows = {"agentkit": "import agentkit", "pydantic_ai": "import pydantic_ai", "agents (OpenAI SDK)": "import agents"}
    print(f"interpreter start-up: {base:.0f} ms (subtracted below)")
    for name, statement in rows.items():
        total = import_ms(statement)
        if total is None:
            print(f"{name:>22}: not installed")
            continue
        print(f"{name:>22}: {total - base:6.0f} ms")
    own = import_ms("import agentkit")
    full = import_ms("from agentkit import Agent, tool")
    assert own is not None and full is not None
    print(f"'import agentkit' / 150 ms target = {(own - base) / 150:.2f}")
    print(f"'from agentkit import Agent, tool' (loads the loop, pydantic, asyncio): {full - base:.0f} ms")


if __name__ == "__main__":
    main()
