"""Context management: input tokens sent over a long tool run, and what token accounting costs per step.

    python bench/bench_context.py [--steps 300] [--window 16000] [--page-chars 2140] [--reps 2000]

1. Tokens. The same scripted run (``tests.emulator.long_run.LongRun``: ``--steps`` tool calls whose
   results total about 10x the window at the defaults, then a final answer) against the loopback
   emulator (in this process, no latency) on Chat Completions, twice: with context management
   (``ContextPolicy(window=W)``, the emulator refusing requests over W) and without
   (``ContextPolicy(enabled=False)``, no window on the emulator). Input tokens are the run's usage
   (the emulator reports its own count, summarize calls included); the ratio is without / with.
2. Accounting. ``TokenCounter.estimate`` (``agentkit.compaction._tokens``, called before every
   request) on a history growing by one tool step at a time up to ``--steps``: the time per call,
   median and 99th percentile over all steps of ``--reps``/``--steps`` histories (target < 0.1 ms),
   and the cost of a full recount after a rewrite (``reset``) of a window-sized history.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.emulator
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from agentkit import Agent, ContextPolicy, tool  # noqa: E402
from agentkit.compaction._tokens import TokenCounter  # noqa: E402
from agentkit.messages import ModelRequest, ModelResponse, TextPart, ToolCall, ToolResult, UserPart  # noqa: E402
from agentkit.models.openai_chat import OpenAIChatModel  # noqa: E402
from agentkit.usage import Usage  # noqa: E402
from tests.emulator import Emulator  # noqa: E402
from tests.emulator.long_run import LongRun, page_text  # noqa: E402

TARGET_MS = 0.1
PROMPT = "Read every page, then tell me the vault code."


@dataclass(frozen=True)
class TokenRun:
    """One long run: what it sent and what it took."""

    input_tokens: int
    requests: int
    largest_request: int
    compactions: int
    seconds: float
    output: str


async def long_run(steps: int, window: int, page_chars: int, managed: bool) -> TokenRun:
    """The scripted run on Chat Completions, with or without context management."""

    @tool(side_effect="pure")
    def read_page(page: int) -> str:
        """One page of the document.

        Args:
            page: Page number, from 0.
        """
        return page_text(page, page_chars)

    script = LongRun(steps=steps, page_chars=page_chars)
    policy = ContextPolicy(window=window) if managed else ContextPolicy(enabled=False)
    with Emulator(context_window=window if managed else None, responder=script) as emu:
        model = OpenAIChatModel("bench-model", base_url=emu.base_url, api_key="sk-bench")
        agent = Agent(model, instructions="Read every page with read_page.", tools=[read_page], context=policy)
        started = time.perf_counter()
        try:
            result = await agent.run(PROMPT)
        finally:
            await model.close()
        seconds = time.perf_counter() - started
        largest = max(r.input_tokens for r in emu.requests)
    if script.problems:
        raise SystemExit(f"the newest tool result did not reach the model whole: {script.problems[:3]}")
    compactions = sum(1 for e in result.events if getattr(e, "kind", "") == "context_compacted")
    return TokenRun(result.usage.input_tokens, result.usage.requests, largest, compactions, seconds, result.output)


def history(steps: int, page_chars: int) -> list[ModelRequest | ModelResponse]:
    """A run's messages: the prompt, then per step a tool-call response (with reported usage) and its result."""
    messages: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content=PROMPT)])]
    reported = 40
    for step in range(steps):
        call = ToolCall(id=f"call_p{step}", name="read_page", arguments=f'{{"page": {step}}}')
        parts = [TextPart(content="Reading on."), call]
        messages.append(ModelResponse(parts=parts, usage=Usage(input_tokens=reported, output_tokens=12)))
        content = page_text(step, page_chars)
        messages.append(ModelRequest(parts=[ToolResult(call_id=call.id, name="read_page", content=content)]))
        reported += 12 + page_chars // 4 + 8
    return messages


def accounting(steps: int, page_chars: int, reps: int) -> tuple[list[float], float]:
    """Seconds per ``estimate`` call as the history grows step by step; seconds per full recount."""
    messages = history(steps, page_chars)
    per_call: list[float] = []
    clock = time.perf_counter
    for _ in range(max(1, reps // steps)):
        counter = TokenCounter(fixed_chars=300)
        for end in range(3, len(messages) + 1, 2):  # a request after each tool result
            visible = messages[:end]
            started = clock()
            counter.estimate(visible)
            per_call.append(clock() - started)
    window_sized = messages[: 2 * 28 + 1]  # about 16k tokens of 2140-character pages
    started = clock()
    rounds = 200
    for _ in range(rounds):
        TokenCounter(fixed_chars=300).reset(window_sized)
    return per_call, (clock() - started) / rounds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300, help="tool calls in the run")
    parser.add_argument("--window", type=int, default=16_000, help="context window in tokens")
    parser.add_argument("--page-chars", type=int, default=2140, help="characters of each tool result")
    parser.add_argument("--reps", type=int, default=3000, help="estimate calls to time (at least one run)")
    args = parser.parse_args()

    print(f"# {args.steps}-step run, {args.page_chars}-character tool results, window {args.window:,} tokens")
    total = args.steps * args.page_chars // 4
    print(f"tool results total {total:,} tokens ({total / args.window:.1f}x the window)")
    without = asyncio.run(long_run(args.steps, args.window, args.page_chars, managed=False))
    managed = asyncio.run(long_run(args.steps, args.window, args.page_chars, managed=True))
    print(f"{'':>26}{'input tokens':>14}{'requests':>10}{'largest req':>13}{'compactions':>13}{'wall s':>8}")
    for name, run in (("without context management", without), ("with context management", managed)):
        counts = f"{run.input_tokens:>14,}{run.requests:>10}{run.largest_request:>13,}{run.compactions:>13}"
        print(f"{name:>26}{counts}{run.seconds:>8.2f}")
    ratio = without.input_tokens / managed.input_tokens
    print(f"answers: without={without.output!r} with={managed.output!r}")
    print(
        f"summary: {args.steps}-step run, window {args.window:,}: {without.input_tokens:,} input tokens without "
        f"context management, {managed.input_tokens:,} with ({ratio:.1f}x fewer); largest request "
        f"{without.largest_request:,} vs {managed.largest_request:,} tokens"
    )

    per_call, recount = accounting(args.steps, args.page_chars, args.reps)
    median_ms = statistics.median(per_call) * 1000
    p99_ms = statistics.quantiles(per_call, n=100)[98] * 1000 if len(per_call) >= 100 else max(per_call) * 1000
    verdict = "meets" if median_ms < TARGET_MS else "MISSES"
    print(f"token accounting: {len(per_call):,} estimate calls on histories growing to {args.steps} steps")
    print(
        f"  per step: median {median_ms:.4f} ms, p99 {p99_ms:.4f} ms, mean {statistics.fmean(per_call) * 1000:.4f} ms"
    )
    print(f"  full recount of a window-sized history (after a compaction): {recount * 1000:.3f} ms")
    print(
        f"summary: token accounting per step {median_ms:.4f} ms median, p99 {p99_ms:.4f} ms "
        f"({verdict} the < {TARGET_MS} ms target)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
