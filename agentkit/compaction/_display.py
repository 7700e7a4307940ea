"""One line describing a compaction, for the live CLI view and the HTML report."""

from __future__ import annotations

from agentkit.events import ContextCompacted, ProviderCompacted

__all__ = ["describe", "describe_provider"]


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


def describe_provider(event: ProviderCompacted) -> str:
    """E.g. ``anthropic cleared the context itself: 3 tool uses, 1 thinking turn (9,500 tokens); 4,100 input
    tokens sent`` or ``openai compacted the context itself (item cmp_1); 5,300 input tokens sent``."""
    who = event.provider or "the provider"
    sent = f"{event.input_tokens:,} input tokens sent"
    if event.compaction_id is not None:
        return f"{who} compacted the context itself (item {event.compaction_id}); {sent}"
    uses = sum(int(edit.get("cleared_tool_uses") or 0) for edit in event.edits)
    turns = sum(int(edit.get("cleared_thinking_turns") or 0) for edit in event.edits)
    done = [f"{uses} tool use{_s(uses)}"] if uses else []
    done += [f"{turns} thinking turn{_s(turns)}"] if turns else []
    tokens = f" ({event.cleared_input_tokens:,} tokens)" if event.cleared_input_tokens else ""
    return f"{who} cleared the context itself: {', '.join(done) or 'nothing'}{tokens}; {sent}"


def _s(count: int) -> str:
    return "" if count == 1 else "s"
