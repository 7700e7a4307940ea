"""Compaction of reasoning conversations against the emulator, on the wire formats whose reasoning
state must be replayed (Responses reasoning items, Anthropic thinking signatures, DeepSeek
``reasoning_content``): clearing tool results and summarizing older turns never break those rules."""

from __future__ import annotations

from typing import Any

import pytest

from agentkit import Agent, ContextPolicy, ModelSettings, tool
from agentkit.events import ContextCompacted
from agentkit.models.base import Model
from tests.emulator import Emulator, Reply, ToolCall
from tests.models._helpers import anthropic_model, close_models, deepseek_model, responses_model
from tests.models.conftest import LITELLM_WARNING

__all__ = ["close_models"]

pytestmark = pytest.mark.filterwarnings(LITELLM_WARNING)

THOUGHT = "Let me think this through step by step. " * 20
MODELS = {
    "responses": responses_model,
    "anthropic": anthropic_model,
    "anthropic-thinking-once": anthropic_model,
    "deepseek": deepseek_model,
}
SETTINGS = {
    "responses": ModelSettings(reasoning_effort="low"),
    "anthropic": ModelSettings(reasoning_effort="low"),
    "anthropic-thinking-once": ModelSettings(reasoning_effort="low"),
    "deepseek": ModelSettings(),
}


@tool(side_effect="pure")
def lookup(key: str) -> str:
    """Look a key up.

    Args:
        key: The key.
    """
    return f"value of {key}: " + "lorem ipsum dolor sit amet " * 40


class Steps:
    """Responder: ``calls`` tool calls, then a text answer, per run; a summary request (no tools) gets a
    summary. Answers carry reasoning (Responses reasoning items, Anthropic signed thinking, DeepSeek
    ``reasoning_content``): every one, or with ``thinking_once`` only the first of each run (Anthropic
    thinking without interleaving: the turn's first assistant message must keep its thinking)."""

    def __init__(self, calls: int, thinking_once: bool = False) -> None:
        self.calls = calls
        self.thinking_once = thinking_once
        self.issued = 0
        self.summaries = 0

    def __call__(self, request: dict[str, Any]) -> Reply:
        if not request.get("tools"):
            self.summaries += 1
            return Reply(reasoning=THOUGHT, text="Task: look keys up. Facts found: none. Open items: go on.")
        self.issued += 1
        position = self.issued % (self.calls + 1)
        reasoning = THOUGHT if position == 1 or not self.thinking_once else None
        if position == 0:
            return Reply(reasoning=reasoning, text="done")
        return Reply(reasoning=reasoning, tool_calls=[ToolCall("lookup", {"key": f"k{self.issued}"})])


@pytest.mark.parametrize("wire", MODELS)
async def test_clearing_and_summaries_keep_the_reasoning_replay_rules(wire: str) -> None:
    steps = Steps(calls=40, thinking_once=wire == "anthropic-thinking-once")
    with Emulator(chat_mode="deepseek", responder=steps) as emu:
        model: Model = MODELS[wire](emu)
        policy = ContextPolicy(window=3000, keep_tool_results=1, drop_reasoning=False)
        agent = Agent(model, tools=[lookup], settings=SETTINGS[wire], context=policy)
        history: list[Any] = []
        events: list[ContextCompacted] = []
        for turn in range(2):
            result = await agent.run(f"Question {turn}: look something up.", message_history=history)
            history = result.messages
            events += [e for e in result.events if isinstance(e, ContextCompacted)]

        assert [(r.index, r.outcome, r.status) for r in emu.requests if r.status != 200] == []
        if wire.startswith("anthropic"):  # a cut inside the turn would switch its thinking off, not fail
            assert all(r.json["thinking"]["type"] == "enabled" for r in emu.requests if r.json.get("tools"))
        emu.assert_all_consumed()

    rungs = {rung for e in events for rung in e.rungs}
    assert {"clear_tool_results", "summarize"} <= rungs
    assert steps.summaries >= 1
