"""Local generation tokens/s through agentkit vs direct xllamacpp, in the same run on the same server.

    python bench/bench_local.py [--reps 8] [--max-tokens 128]

Two pairs of measures, run interleaved on the shared SmolLM2-135M-Instruct server (the one
``Agent("local")`` uses), temperature 0, same ``max_tokens``, so both sides of a pair generate the
same tokens:

- **plain**: ``Agent("local")`` without tools (``run_sync``: a new event loop and HTTP client per run)
  vs the same chat request sent straight to llama.cpp with the OpenAI client
  (:class:`bench_local_direct.DirectMeasure`).
- **prompted**: one model request with one tool through ``LocalModel`` (prompted mode: the tools'
  system prompt and the JSON-schema ``response_format`` of "tool call or final answer"; a request, not
  a run, since the model may call the tool) vs the identical request sent directly.

The two sides of a pair run back to back, alternating which goes first. Prints each measure's tokens/s
and each pair's ratio of median per-run speeds (target >= 0.95).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Sequence
from typing import Any

from bench_local_direct import BenchConfig, DirectMeasure, Measure, Measurement, Sample, report

from agentkit import Agent, ModelSettings, tool
from agentkit.messages import ModelRequest, SystemPart, UserPart
from agentkit.models._llama_server import LlamaServer, shared_server
from agentkit.models._openai_common import json_schema_response_format
from agentkit.models._prompted_history import to_text_turns
from agentkit.models._prompted_schema import ActionSpec
from agentkit.models.base import RequestParams
from agentkit.models.local import LocalModel

TARGET = 0.95


@tool(side_effect="pure")
def word_count(text: str) -> int:
    """Count the words of a text."""
    return len(text.split())


class AgentkitMeasure:
    """``agent.run_sync(prompt)`` on the local model; tokens from the run's usage."""

    label = "agentkit plain run"

    def __init__(self) -> None:
        self._agent: Agent[None, str] | None = None

    def open(self, server: LlamaServer) -> None:
        self._agent = Agent(LocalModel(server=server))

    def once(self, config: BenchConfig) -> Sample:
        if self._agent is None:
            raise RuntimeError("AgentkitMeasure.once() called before open()")
        settings = ModelSettings(temperature=0, max_tokens=config.max_tokens)
        started = time.perf_counter()
        result = self._agent.run_sync(config.prompt, settings=settings)
        seconds = time.perf_counter() - started
        if result.usage.requests != 1:
            raise RuntimeError(f"{self.label}: expected one request per run, got {result.usage.requests}")
        return Sample(result.usage.output_tokens, seconds)

    def close(self) -> None:
        self._agent = None


class PromptedRequestMeasure:
    """One prompted-mode model request through :class:`LocalModel` (tool descriptions + JSON schema)."""

    label = "agentkit prompted request"

    def __init__(self, tools: Sequence[Any]) -> None:
        self._params = RequestParams(tools=[t.definition for t in tools])
        self._model: LocalModel | None = None

    def open(self, server: LlamaServer) -> None:
        self._model = LocalModel(server=server, tools="prompted")

    def once(self, config: BenchConfig) -> Sample:
        if self._model is None:
            raise RuntimeError("PromptedRequestMeasure.once() called before open()")
        messages: list[Any] = [ModelRequest(parts=[UserPart(content=config.prompt)])]
        settings = ModelSettings(temperature=0, max_tokens=config.max_tokens)
        started = time.perf_counter()
        response = asyncio.run(self._model.request(messages, settings, self._params))
        return Sample(response.usage.output_tokens, time.perf_counter() - started)

    def close(self) -> None:
        self._model = None


class DirectPromptedMeasure(DirectMeasure):
    """The request prompted mode sends (tools' system prompt + JSON schema), sent straight to llama.cpp."""

    label = "direct prompted request"

    def __init__(self, tools: Sequence[Any]) -> None:
        super().__init__()
        self._spec = ActionSpec(tuple(t.definition for t in tools))

    def once(self, config: BenchConfig) -> Sample:
        if self._client is None:
            raise RuntimeError("DirectPromptedMeasure.once() called before open()")
        turns = to_text_turns([ModelRequest(parts=[UserPart(content=config.prompt)])], self._spec)
        messages: Any = [
            {"role": "system" if isinstance(part, SystemPart) else "user", "content": part.content}
            for message in turns
            for part in message.parts
            if isinstance(part, SystemPart | UserPart)
        ]
        response_format: Any = json_schema_response_format(self._spec.schema(), name="action", strict=False)
        started = time.perf_counter()
        response = self._client.chat.completions.create(
            model=self._model,
            messages=messages,
            max_tokens=config.max_tokens,
            temperature=0,
            response_format=response_format,
        )
        seconds = time.perf_counter() - started
        timings = (response.model_extra or {}).get("timings") or {}
        tokens = response.usage.completion_tokens if response.usage else 0
        return Sample(tokens, seconds, timings.get("predicted_per_second"))

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def pair_report(results: Sequence[Measurement]) -> str:
    """Each agentkit measure's ratio to the direct measure before it (median per-run speeds)."""
    lines = []
    for direct, through in zip(results[::2], results[1::2], strict=True):
        ratio = through.median_tok_s / direct.median_tok_s if direct.median_tok_s else 0.0
        verdict = "ok" if ratio >= TARGET else f"BELOW TARGET {TARGET}"
        lines.append(f"pair ratio {through.label} / {direct.label}: {ratio:.3f} ({verdict})")
    return "\n".join(lines)


Pair = tuple[Measure, Measure]


def _sample_pairs(pairs: Sequence[Pair], config: BenchConfig) -> list[Measurement]:
    """Warm up, then run each pair back to back, alternating which side goes first (a request that
    follows another on the same server runs in a different cache and load state)."""
    for pair in pairs:
        for measure in pair:
            for _ in range(config.warmup):
                measure.once(config)
    samples: dict[int, list[Sample]] = {id(m): [] for pair in pairs for m in pair}
    for rep in range(config.reps):
        for direct, through in pairs:
            for measure in (direct, through) if rep % 2 == 0 else (through, direct):
                samples[id(measure)].append(measure.once(config))
    return [Measurement(m.label, tuple(samples[id(m)])) for pair in pairs for m in pair]


def run_pairs(pairs: Sequence[Pair], config: BenchConfig) -> list[Measurement]:
    """Start the shared local server, run the pairs, print every measure and each pair's ratio."""
    server = shared_server()
    started = time.perf_counter()
    server.start()
    print(f"model {server.model_name}: loaded in {time.perf_counter() - started:.2f} s")
    measures = [m for pair in pairs for m in pair]
    try:
        for measure in measures:
            measure.open(server)
        results = _sample_pairs(pairs, config)
    finally:
        for measure in measures:
            measure.close()
        server.close()
    print("\n".join(line for line in report(results).splitlines() if not line.startswith("ratio ")))
    print(pair_report(results))
    return results


def main(argv: Sequence[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=BenchConfig.reps)
    parser.add_argument("--max-tokens", type=int, default=BenchConfig.max_tokens)
    args = parser.parse_args(argv)
    pairs: list[Pair] = [
        (DirectMeasure(), AgentkitMeasure()),
        (DirectPromptedMeasure([word_count]), PromptedRequestMeasure([word_count])),
    ]
    run_pairs(pairs, BenchConfig(max_tokens=args.max_tokens, reps=args.reps))


if __name__ == "__main__":
    main()
