"""Acceptance (issue 13): 300-step runs far past a 16k window finish on every wire format.

The emulator enforces the window (``tests/emulator/window.py``: each provider's real overflow error)
and reports input tokens from the same counter; :class:`~tests.emulator.long_run.LongRun` plays a
model reading 300 pages (tool results totalling 10x the window), that notes a fact early on, writes
compaction summaries from the transcript it is given, and finally answers from what its context holds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from agentkit import Agent, ContextPolicy, tool
from agentkit.compaction import context_window
from agentkit.events import ContextCompacted, FinalResultEvent
from agentkit.models.base import Model
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.result import AgentResult
from tests.emulator import Emulator
from tests.emulator.long_run import FACT, PLANTED, LongRun, page_text
from tests.emulator.window import count_tokens

WINDOW = 16_000
STEPS = 300
PAGE_CHARS = 2140  # 535 tokens a page: 300 pages are 10x the window
INSTRUCTIONS = "Read every page with read_page, one at a time, then answer the question."
PROMPT = "Read pages 0 to 299, then tell me the vault code."

# litellm 1.110 builds pydantic TypedDicts with ReadOnly items (a harmless UserWarning inside litellm).
pytestmark = pytest.mark.filterwarnings(
    "ignore:Items? .* on TypedDict class .* (is|are) using the .ReadOnly. qualifier:UserWarning"
)


@tool(side_effect="pure")
def read_page(page: int) -> str:
    """One page of the document.

    Args:
        page: Page number, from 0.
    """
    return page_text(page, PAGE_CHARS)


ModelFactory = Callable[[Emulator], Model]
_OPEN: list[Model] = []


def _opened(model: Model) -> Model:
    _OPEN.append(model)
    return model


def chat(emu: Emulator, name: str = "qwen3-8b") -> Model:
    return _opened(OpenAIChatModel(name, base_url=emu.base_url, api_key="sk-test"))


def responses(emu: Emulator, name: str = "o4-mini") -> Model:
    return _opened(OpenAIResponsesModel(name, base_url=emu.base_url, api_key="sk-test", provider="openai"))


def anthropic(emu: Emulator, name: str = "claude-sonnet-4-5") -> Model:
    return _opened(LiteLLMModel(f"anthropic/{name}", base_url=emu.url, api_key="sk-ant-test"))


WIRE_FORMATS = {"chat": chat, "responses": responses, "anthropic": anthropic}


@pytest.fixture(autouse=True)
async def _close_models() -> AsyncIterator[None]:
    yield
    while _OPEN:
        await _OPEN.pop().close()


def _agent(model: Model, policy: ContextPolicy) -> Agent[None, str]:
    return Agent(model, instructions=INSTRUCTIONS, tools=[read_page], context=policy)


def _compactions(result: AgentResult[Any]) -> list[ContextCompacted]:
    return [e for e in result.events if isinstance(e, ContextCompacted)]


def _answered(emu: Emulator) -> list[int]:
    """The counted input tokens of every request the emulator answered (not refused)."""
    return [r.input_tokens for r in emu.requests if r.status == 200]


def test_pages_total_ten_times_the_window() -> None:
    page_tokens = count_tokens({"input": [page_text(n, PAGE_CHARS) for n in range(STEPS)]}) - STEPS * 4
    assert page_tokens >= 10 * WINDOW


@pytest.mark.parametrize("wire", WIRE_FORMATS)
async def test_300_step_run_past_a_known_window_finishes(wire: str) -> None:
    script = LongRun(steps=STEPS, page_chars=PAGE_CHARS)
    with Emulator(context_window=WINDOW, responder=script) as emu:
        result = await _agent(WIRE_FORMATS[wire](emu), ContextPolicy(window=WINDOW)).run(PROMPT)

        assert result.output == "The vault code is 4417."
        assert [r.outcome for r in emu.requests if r.outcome != "reply"] == []  # no request passed the window
        assert max(_answered(emu)) <= WINDOW
        assert script.issued == STEPS
        assert script.problems == []  # the newest tool result always reached the model whole
        emu.assert_all_consumed()

    compactions = _compactions(result)
    assert compactions, "a 160k-token run in a 16k window compacted"
    assert all(c.reason == "threshold" and c.window == WINDOW for c in compactions)
    assert all(c.tokens_after < c.tokens_before for c in compactions)
    summaries = [c for c in compactions if "summarize" in c.rungs]
    assert summaries and script.summaries == len(summaries)
    # the fact survived only through the compaction summaries: the turn that planted it is gone
    assert script.final_request is not None
    final = str(script.final_request)
    assert PLANTED not in final and FACT.removeprefix("the ") in final
    assert FACT.removeprefix("the ") in summaries[-1].summary
    # the summarize calls are counted in usage, with the tokens the server counted
    assert result.usage.requests == len(emu.requests) == STEPS + 1 + script.summaries
    assert result.usage.input_tokens == sum(_answered(emu))
    assert sum(c.usage.requests for c in summaries) == script.summaries


@pytest.mark.parametrize("wire", WIRE_FORMATS)
async def test_server_with_a_smaller_window_than_the_models_public_one(wire: str) -> None:
    """The model's public window (litellm's table) is far larger than this server's 16k: the server's
    overflow 400 triggers compaction and a retry, the window is remembered, and the run finishes."""
    names = {"chat": "gpt-4.1", "responses": "gpt-4.1", "anthropic": "claude-sonnet-4-5"}
    factory: Any = WIRE_FORMATS[wire]
    script = LongRun(steps=STEPS, page_chars=PAGE_CHARS)
    with Emulator(context_window=WINDOW, responder=script) as emu:
        model = factory(emu, names[wire])
        public = context_window(model)
        assert public is not None and public >= 10 * WINDOW  # the public window (200k, 1M) the run starts from
        result = await _agent(model, ContextPolicy()).run(PROMPT)

        refused = [r for r in emu.requests if r.outcome == "context-window"]
        assert len(refused) == 1, "one overflow, then the window is remembered for the rest of the run"
        assert refused[0].status == 400
        after = [r.input_tokens for r in emu.requests if r.index > refused[0].index and r.status == 200]
        assert after and max(after) <= WINDOW
        assert script.problems == []
        assert script.issued == STEPS
        emu.assert_all_consumed()

    assert result.output.startswith("The vault code is ")
    overflow = [c for c in _compactions(result) if c.reason == "overflow"]
    assert len(overflow) == 1
    assert overflow[0].tokens_after < overflow[0].tokens_before
    if wire != "responses":  # the Responses overflow text does not name the window
        assert overflow[0].window == WINDOW


@pytest.mark.parametrize("wire", WIRE_FORMATS)
async def test_streamed_run_recovers_from_the_servers_overflow(wire: str) -> None:
    """Streamed, the overflow arrives as a 400 before the stream (Chat, Anthropic) or, on Responses, as a
    ``response.failed`` event after HTTP 200: either way the run compacts, retries and finishes."""
    names = {"chat": "gpt-4.1", "responses": "gpt-4.1", "anthropic": "claude-sonnet-4-5"}
    factory: Any = WIRE_FORMATS[wire]
    script = LongRun(steps=60, page_chars=PAGE_CHARS)  # the window is passed around step 30
    with Emulator(context_window=WINDOW, responder=script) as emu:
        events = [e async for e in _agent(factory(emu, names[wire]), ContextPolicy()).stream(PROMPT)]

        refused = [r for r in emu.requests if r.outcome == "context-window"]
        assert [r.status for r in refused] == [200 if wire == "responses" else 400]
        assert all(r.json.get("stream") is True for r in emu.requests)
        assert script.problems == []
        assert script.issued == 60
        emu.assert_all_consumed()

    assert next(e.reason for e in events if isinstance(e, ContextCompacted)) == "overflow"
    final = events[-1]
    assert isinstance(final, FinalResultEvent)
    assert final.output.startswith("The vault code is ")
