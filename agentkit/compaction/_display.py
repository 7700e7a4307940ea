"""One line describing a compaction, for the live CLI view and the HTML report."""

from __future__ import annotations

from agentkit.events import ContextCompacted

__all__ = ["describe"]


def describe(event: ContextCompacted) -> str:
    """E.g. ``context compacted (threshold): 13,100 → 5,200 of 16,000 tokens; cleared 9 tool results``."""
    done = []
    if event.cleared_tool_results:
        done.append(f"cleared {event.cleared_tool_results} tool result{_s(event.cleared_tool_results)}")
    if event.dropped_reasoning:
        done.append(f"dropped {event.dropped_reasoning} reasoning part{_s(event.dropped_reasoning)}")
    if event.summarized_messages:
        done.append(f"summarized {event.summarized_messages} message{_s(event.summarized_messages)}")
    sizes = f"{event.tokens_before:,} → {event.tokens_after:,} of {event.window:,} tokens"
    return f"context compacted ({event.reason}): {sizes}" + (f"; {', '.join(done)}" if done else "")


def _s(count: int) -> str:
    return "" if count == 1 else "s"
