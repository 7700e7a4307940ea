"""Local generation speed of the embedded model, measured straight against its llama.cpp server.

    python bench/bench_local_direct.py [--reps 8] [--max-tokens 128]

Starts the shared SmolLM2-135M-Instruct server (the one ``Agent("local")`` uses), then runs every
:class:`Measure` from :func:`measures` on that server with the same prompt, temperature 0 and
``max_tokens``, interleaving their runs, and prints generated tokens per second (wall clock,
request to response, so HTTP and prompt processing count). With more than one measure it prints
each one's ratio to the first: add a measure that generates through agentkit (``open`` builds the
agent, ``once`` runs it and returns a :class:`Sample`) to :func:`measures` to get "through agentkit
vs direct".
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from openai import OpenAI

from agentkit.models._llama_server import LlamaServer, shared_server

PROMPT = "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle."


@dataclass(frozen=True)
class BenchConfig:
    """What every measure generates: same prompt, same limits."""

    prompt: str = PROMPT
    max_tokens: int = 128
    reps: int = 8
    warmup: int = 1


@dataclass(frozen=True)
class Sample:
    """One generation: completion tokens, wall-clock seconds, and llama.cpp's own decode speed if known."""

    tokens: int
    seconds: float
    server_tok_s: float | None = None


@dataclass(frozen=True)
class Measurement:
    """A measure's samples, summed: tokens over wall-clock seconds."""

    label: str
    samples: tuple[Sample, ...]

    @property
    def tokens(self) -> int:
        return sum(sample.tokens for sample in self.samples)

    @property
    def seconds(self) -> float:
        return sum(sample.seconds for sample in self.samples)

    @property
    def tok_s(self) -> float:
        return self.tokens / self.seconds if self.seconds > 0 else 0.0

    @property
    def median_tok_s(self) -> float:
        """Median of the per-run speeds: robust to a run slowed by other load on the machine."""
        return statistics.median(s.tokens / s.seconds for s in self.samples) if self.samples else 0.0

    @property
    def server_tok_s(self) -> float | None:
        """Mean of llama.cpp's ``timings.predicted_per_second`` (pure decode, no HTTP)."""
        speeds = [sample.server_tok_s for sample in self.samples if sample.server_tok_s is not None]
        return sum(speeds) / len(speeds) if speeds else None


class Measure(Protocol):
    """A way to generate on the local server; :func:`run` calls ``once`` round-robin with the others."""

    label: str

    def open(self, server: LlamaServer) -> None:
        """Prepare (clients, agents) for this server."""

    def once(self, config: BenchConfig) -> Sample:
        """Generate once for ``config`` (temperature 0, ``config.max_tokens``) and time it."""
        ...

    def close(self) -> None:
        """Release what ``open`` made."""


class DirectMeasure:
    """Chat completions sent straight to the llama.cpp server with the OpenAI client."""

    label = "direct xllamacpp"

    def __init__(self) -> None:
        self._client: OpenAI | None = None
        self._model = ""

    def open(self, server: LlamaServer) -> None:
        self._client = OpenAI(base_url=server.base_url, api_key=server.api_key, max_retries=0)
        self._model = server.model_name

    def once(self, config: BenchConfig) -> Sample:
        if self._client is None:
            raise RuntimeError("DirectMeasure.once() called before open()")
        started = time.perf_counter()
        response = self._client.chat.completions.create(
            model=self._model,
            messages=[{"role": "user", "content": config.prompt}],
            max_tokens=config.max_tokens,
            temperature=0,
        )
        seconds = time.perf_counter() - started
        timings = (response.model_extra or {}).get("timings") or {}
        tokens = response.usage.completion_tokens if response.usage else 0
        return Sample(tokens, seconds, timings.get("predicted_per_second"))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def measures() -> list[Measure]:
    """What :func:`main` runs, in order; ratios are against the first. Add the agentkit measure here."""
    return [DirectMeasure()]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def report(results: Sequence[Measurement]) -> str:
    """The printed table, plus each measure's ratio to the first (on median per-run speeds)."""
    lines = []
    for result in results:
        server = f", server decode {result.server_tok_s:.1f} tok/s" if result.server_tok_s else ""
        lines.append(
            f"{result.label}: {result.median_tok_s:.1f} tok/s median, {result.tok_s:.1f} tok/s overall "
            f"({result.tokens} tokens in {result.seconds:.2f} s over {len(result.samples)} runs{server})"
        )
    for result in results[1:]:
        base = results[0].median_tok_s
        ratio = result.median_tok_s / base if base else 0.0
        lines.append(f"ratio {result.label} / {results[0].label}: {ratio:.3f}")
    return "\n".join(lines)


def _sample_all(chosen: Sequence[Measure], config: BenchConfig) -> list[Measurement]:
    """Warm each measure up, then interleave their runs so drift (CPU clocks, caches) hits all alike."""
    for measure in chosen:
        for _ in range(config.warmup):
            measure.once(config)
    samples: list[list[Sample]] = [[] for _ in chosen]
    for _ in range(config.reps):
        for measure, taken in zip(chosen, samples, strict=True):
            taken.append(measure.once(config))
    return [Measurement(m.label, tuple(taken)) for m, taken in zip(chosen, samples, strict=True)]


def run(chosen: Sequence[Measure], config: BenchConfig) -> list[Measurement]:
    """Start the shared local server, print its load time and RSS, run the measures, print the report."""
    server = shared_server()
    started = time.perf_counter()
    server.start()
    print(f"model {server.model_name}: loaded in {time.perf_counter() - started:.2f} s, RSS {_rss_mb():.0f} MB")
    try:
        for measure in chosen:
            measure.open(server)
        results = _sample_all(chosen, config)
    finally:
        for measure in chosen:
            measure.close()
        server.close()
    print(report(results))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=BenchConfig.reps)
    parser.add_argument("--max-tokens", type=int, default=BenchConfig.max_tokens)
    args = parser.parse_args(argv)
    run(measures(), BenchConfig(max_tokens=args.max_tokens, reps=args.reps))


if __name__ == "__main__":
    main()
