"""Compaction against the emulator, which enforces each wire format's replay rules: what is dropped
or cleared never breaks them."""

from __future__ import annotations

from agentkit import Agent, ContextPolicy, tool
from agentkit.events import ContextCompacted
from agentkit.messages import ModelResponse, ReasoningPart
from tests.emulator import Emulator, ToolLoop
from tests.models._helpers import deepseek_model

THOUGHT = "Let me think this through step by step. " * 50  # 2,000 characters of reasoning per answer


@tool(side_effect="pure")
def lookup(key: str) -> str:
    """Look a key up.

    Args:
        key: The key.
    """
    return f"value of {key}"


async def test_deepseek_reasoning_of_finished_turns_is_dropped_and_tool_turns_keep_theirs() -> None:
    with Emulator(chat_mode="deepseek", responder=ToolLoop(tool_turns=1, reasoning=THOUGHT)) as emu:
        agent = Agent(deepseek_model(emu), tools=[lookup], context=ContextPolicy(window=2000, summarize=False))
        history: list = []
        events: list[ContextCompacted] = []
        for turn in range(6):
            result = await agent.run(f"Question {turn}: look something up.", message_history=history)
            history = result.messages
            events += [e for e in result.events if isinstance(e, ContextCompacted)]

        assert [r.outcome for r in emu.requests if r.outcome != "reply"] == []  # DeepSeek's rules all held
        emu.assert_all_consumed()

    dropped = [e for e in events if "drop_reasoning" in e.rungs]
    assert dropped and all(e.tokens_after < e.tokens_before for e in dropped)
    responses = [m for m in history if isinstance(m, ModelResponse)]
    with_calls = [m for m in responses if m.tool_calls]
    assert with_calls and all(isinstance(m.parts[0], ReasoningPart) for m in with_calls)
    finished = [m for m in responses[:-1] if not m.tool_calls]
    stripped = [m for m in finished if not any(isinstance(p, ReasoningPart) for p in m.parts)]
    assert len(stripped) >= sum(e.dropped_reasoning for e in dropped) > 0
