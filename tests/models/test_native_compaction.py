"""Provider-native compaction (``ModelSettings.native_compaction``) through the emulator: OpenAI Responses
server-side compaction (the opaque item kept and replayed) and Anthropic context editing via litellm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import ValidationError

from agentkit import Agent, ModelSettings, tool
from agentkit.events import AgentEvent, FinalResultEvent, ModelResponseEvent, ModelSwitched, ProviderCompacted
from agentkit.exceptions import ModelHTTPError
from agentkit.messages import (
    CompactionPart,
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    UserPart,
    dump_messages,
    load_messages,
)
from agentkit.models.base import RequestParams
from agentkit.models.litellm import LiteLLMModel
from agentkit.settings import NativeCompaction
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.emulator.compaction import COMPACTION_NOT_REPLAYED
from tests.models._helpers import anthropic_model, opened, responses_model

LONG_REPORT = "Paris archive: " + "the river level was normal that day; " * 60  # about 560 tokens
THRESHOLD = 300


@tool(side_effect="pure")
def read_report(city: str) -> str:
    """The weather report archive of a city.

    Args:
        city: City name.
    """
    return LONG_REPORT if city == "Paris" else f"{city}: sunny."


def compaction_agent(model: Any, settings: ModelSettings) -> Agent[None, str]:
    return Agent(model, instructions="Answer from the archives.", tools=[read_report], settings=settings)


OPENAI_TURNS = (
    Reply(reasoning="Paris first.", tool_calls=[Call("read_report", {"city": "Paris"})]),
    Reply(reasoning="Now Rome.", tool_calls=[Call("read_report", {"city": "Rome"})]),
    Reply(reasoning="Done.", text="Both were calm."),
)
COMPACTING = ModelSettings(native_compaction=NativeCompaction(threshold=THRESHOLD))


async def run_collecting(
    agent: Agent[None, str], prompt: str, stream: bool
) -> tuple[Any, list[ModelRequest | ModelResponse], list[AgentEvent]]:
    """The output, the model's responses and the events of a run (or of a stream)."""
    if stream:
        events = [event async for event in agent.stream(prompt)]
        assert isinstance(events[-1], FinalResultEvent)
        responses: list[ModelRequest | ModelResponse] = [
            e.response for e in events if isinstance(e, ModelResponseEvent)
        ]
        return events[-1].output, responses, events
    result = await agent.run(prompt)
    return result.output, list(result.messages), list(result.events)


def compaction_parts(messages: Sequence[ModelRequest | ModelResponse]) -> list[CompactionPart]:
    return [p for m in messages if isinstance(m, ModelResponse) for p in m.parts if isinstance(p, CompactionPart)]


# --- OpenAI Responses ------------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_responses_compaction_item_is_kept_and_replayed_in_its_place(emulator: Emulator, stream: bool) -> None:
    emulator.script(*OPENAI_TURNS)
    agent = compaction_agent(responses_model(emulator), COMPACTING)
    output, messages, events = await run_collecting(agent, "Were the rivers calm?", stream)
    assert output == "Both were calm."
    emulator.assert_all_consumed()

    bodies = emulator.bodies("/v1/responses")
    assert [b["context_management"] for b in bodies] == [[{"type": "compaction", "compact_threshold": THRESHOLD}]] * 3
    (part,) = compaction_parts(messages)
    assert part.provider == "openai" and part.id and part.id.startswith("cmp_") and part.encrypted_content
    second = [m for m in messages if isinstance(m, ModelResponse)][1]
    assert second.parts[0] == part  # the item came first in the second response's output
    # the third request carries it unchanged, right where it came (before the Rome call)
    third = bodies[2]["input"]
    at = third.index({"type": "compaction", "encrypted_content": part.encrypted_content, "id": part.id})
    assert third[at + 1]["type"] == "reasoning" and third[at + 2]["call_id"] == second.tool_calls[0].id
    # the server rendered the compacted context: small input counts after the compaction, none again
    usages = [m.usage.input_tokens for m in messages if isinstance(m, ModelResponse)]
    assert emulator.requests[1].input_tokens > THRESHOLD > usages[1]
    assert usages[2] < THRESHOLD
    (compacted,) = [e for e in events if isinstance(e, ProviderCompacted)]
    assert (compacted.step, compacted.provider, compacted.compaction_id) == (1, "openai", part.id)
    assert compacted.input_tokens == usages[1] and compacted.run_id


async def test_a_conversation_continues_with_the_compaction_item_after_a_json_round_trip(emulator: Emulator) -> None:
    emulator.script(*OPENAI_TURNS, Reply(reasoning="Easy.", text="Rome was sunny."))
    agent = compaction_agent(responses_model(emulator), COMPACTING)
    first = await agent.run("Were the rivers calm?")
    history = load_messages(dump_messages(first.messages))
    second = await agent.run("And Rome?", message_history=history)
    assert second.output == "Rome was sunny."
    (part,) = compaction_parts(second.messages)
    sent = emulator.bodies("/v1/responses")[3]["input"]
    assert {"type": "compaction", "encrypted_content": part.encrypted_content, "id": part.id} in sent
    emulator.assert_all_consumed()


async def _compacted_history(emulator: Emulator) -> list[ModelRequest | ModelResponse]:
    emulator.script(*OPENAI_TURNS)
    result = await compaction_agent(responses_model(emulator), COMPACTING).run("Were the rivers calm?")
    return list(result.messages)


def _replace_compaction(
    messages: list[ModelRequest | ModelResponse], new: CompactionPart | None
) -> list[ModelRequest | ModelResponse]:
    out: list[ModelRequest | ModelResponse] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            parts = [(new if isinstance(p, CompactionPart) else p) for p in message.parts]
            out.append(message.model_copy(update={"parts": [p for p in parts if p is not None]}))
        else:
            out.append(message)
    return out


async def test_dropping_the_compaction_item_is_caught_by_the_emulator(emulator: Emulator) -> None:
    """The regression this guards: an adapter that loses the item (the emulator enforces the replay)."""
    messages = await _compacted_history(emulator)
    (part,) = compaction_parts(messages)
    model = responses_model(emulator)
    emulator.script(Reply(text="unused"))
    with pytest.raises(ModelHTTPError) as info:
        await model.request(
            [*_replace_compaction(messages, None), ModelRequest(parts=[UserPart(content="And Rome?")])],
            COMPACTING,
            RequestParams(),
        )
    assert info.value.status_code == 400
    expected = COMPACTION_NOT_REPLAYED.split("{key}")[1].format(compaction_id=part.id)
    assert expected in str(info.value)
    emulator.clear_script()


async def test_a_changed_compaction_item_gets_the_real_error(emulator: Emulator) -> None:
    messages = await _compacted_history(emulator)
    (part,) = compaction_parts(messages)
    assert part.encrypted_content
    tampered = part.model_copy(update={"encrypted_content": part.encrypted_content[:-4] + "AAAA"})
    emulator.script(Reply(text="unused"))
    with pytest.raises(ModelHTTPError, match=r"HTTP 400: The encrypted content gAAA\.\.\.AAAA could not be verified"):
        await responses_model(emulator).request(
            [*_replace_compaction(messages, tampered), ModelRequest(parts=[UserPart(content="And Rome?")])],
            COMPACTING,
            RequestParams(),
        )
    emulator.clear_script()


async def test_the_compaction_item_is_dropped_for_another_provider_and_replayed_on_return(emulator: Emulator) -> None:
    messages = await _compacted_history(emulator)
    (part,) = compaction_parts(messages)
    emulator.script(Reply(text="Calm, as far as I can see."), Reply(reasoning="Same.", text="Still calm."))
    agent = compaction_agent(responses_model(emulator), COMPACTING)
    switched = await agent.run("Sure?", message_history=messages, model=anthropic_model(emulator))
    notice = [e for e in switched.events if isinstance(e, ModelSwitched)]
    assert notice and notice[0].stripped_parts == 3 + 1  # three reasoning items and the compaction item
    claude = emulator.bodies("/v1/messages")[0]
    assert part.encrypted_content and part.encrypted_content not in str(claude)
    assert "'type': 'compaction'" not in str(claude["messages"])
    back = await agent.run("Really?", message_history=switched.messages)
    assert back.output == "Still calm."
    sent = emulator.bodies("/v1/responses")[-1]["input"]
    assert {"type": "compaction", "encrypted_content": part.encrypted_content, "id": part.id} in sent
    emulator.assert_all_consumed()


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, None),
        (False, None),
        (True, [{"type": "compaction"}]),
        (NativeCompaction(threshold=150_000), [{"type": "compaction", "compact_threshold": 150_000}]),
    ],
)
def test_responses_context_management_field(
    emulator: Emulator, setting: bool | NativeCompaction | None, expected: Any
) -> None:
    model = responses_model(emulator)
    body = model.build_body(
        [ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(native_compaction=setting), RequestParams()
    )
    assert body.get("context_management") == expected


# --- Anthropic context editing through litellm -----------------------------------------------------

ANTHROPIC_TURNS = (
    Reply(reasoning="Paris first.", tool_calls=[Call("read_report", {"city": "Paris"}, call_id="toolu_01paris")]),
    Reply(reasoning="Rome now.", tool_calls=[Call("read_report", {"city": "Rome"}, call_id="toolu_01rome")]),
    Reply(reasoning="Done.", text="Both were calm."),
)
EDITING = NativeCompaction(threshold=THRESHOLD, keep_tool_uses=1, clear_at_least=100, keep_thinking_turns=1)


async def test_anthropic_context_editing_request_header_and_applied_edits(emulator: Emulator) -> None:
    emulator.script(*ANTHROPIC_TURNS)
    settings = ModelSettings(reasoning_effort="low", native_compaction=EDITING)
    result = await compaction_agent(anthropic_model(emulator), settings).run("Were the rivers calm?")
    assert result.output == "Both were calm."
    emulator.assert_all_consumed()

    for request in emulator.requests:
        assert "context-management-2025-06-27" in [b.strip() for b in request.headers["anthropic-beta"].split(",")]
        assert request.body["context_management"] == {
            "edits": [
                {"type": "clear_thinking_20251015", "keep": {"type": "thinking_turns", "value": 1}},
                {
                    "type": "clear_tool_uses_20250919",
                    "trigger": {"type": "input_tokens", "value": THRESHOLD},
                    "keep": {"type": "tool_uses", "value": 1},
                    "clear_at_least": {"type": "input_tokens", "value": 100},
                },
            ]
        }
    # the third request (two tool results, one long, two thinking turns) is over the trigger: the
    # Paris result and the first turn's thinking were cleared, and the usage says so
    responses = [m for m in result.messages if isinstance(m, ModelResponse)]
    assert compaction_parts(responses[:2]) == []
    (part,) = compaction_parts(responses[2:])
    assert responses[2].parts[0] == part and part.provider == "anthropic"
    edits = part.data["applied_edits"]
    assert [(e["type"], e.get("cleared_tool_uses"), e.get("cleared_thinking_turns")) for e in edits] == [
        ("clear_thinking_20251015", None, 1),
        ("clear_tool_uses_20250919", 1, None),
    ]
    cleared = sum(e["cleared_input_tokens"] for e in edits)
    assert part.cleared_input_tokens == cleared > 0
    assert emulator.requests[2].input_tokens - cleared == responses[2].usage.input_tokens
    (event,) = [e for e in result.events if isinstance(e, ProviderCompacted)]
    assert (event.step, event.provider, event.cleared_input_tokens, event.edits) == (
        2,
        "anthropic",
        part.cleared_input_tokens,
        edits,
    )
    assert event.compaction_id is None


async def test_anthropic_edits_are_not_sent_back_and_the_conversation_continues(emulator: Emulator) -> None:
    emulator.script(*ANTHROPIC_TURNS, Reply(reasoning="Easy.", text="Rome was sunny."))
    settings = ModelSettings(reasoning_effort="low", native_compaction=EDITING)
    agent = compaction_agent(anthropic_model(emulator), settings)
    first = await agent.run("Were the rivers calm?")
    second = await agent.run("And Rome?", message_history=first.messages)
    assert second.output == "Rome was sunny."
    last = emulator.bodies("/v1/messages")[-1]
    assistant = [m for m in last["messages"] if m["role"] == "assistant"]
    assert "applied_edits" not in str(assistant)
    no_state = [p for p in second.messages[-1].parts if isinstance(p, ReasoningPart) and p.data.get("message_fields")]
    assert no_state == []
    emulator.assert_all_consumed()


async def test_anthropic_without_thinking_sends_only_tool_clearing(emulator: Emulator) -> None:
    emulator.script(Reply(text="Hello."))
    model = anthropic_model(emulator)
    response = await model.request(
        [ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(native_compaction=True), RequestParams()
    )
    assert response.text == "Hello."
    assert emulator.last_body["context_management"] == {"edits": [{"type": "clear_tool_uses_20250919"}]}
    assert compaction_parts([response]) == []  # the emulator applied nothing: under the default trigger


def test_anthropic_options_map_to_edits(emulator: Emulator) -> None:
    options = NativeCompaction(exclude_tools=("memory",), clear_tool_inputs=True, keep_thinking_turns="all")
    kwargs = anthropic_model(emulator).build_kwargs(
        [ModelRequest(parts=[UserPart(content="hi")])],
        ModelSettings(thinking_budget=2048, native_compaction=options),
        RequestParams(),
    )
    assert kwargs["context_management"] == {
        "edits": [
            {"type": "clear_thinking_20251015", "keep": "all"},
            {"type": "clear_tool_uses_20250919", "exclude_tools": ["memory"], "clear_tool_inputs": True},
        ]
    }
    no_thinking_clearing = NativeCompaction(clear_thinking=False)
    kwargs = anthropic_model(emulator).build_kwargs(
        [ModelRequest(parts=[UserPart(content="hi")])],
        ModelSettings(thinking_budget=2048, native_compaction=no_thinking_clearing),
        RequestParams(),
    )
    assert kwargs["context_management"] == {"edits": [{"type": "clear_tool_uses_20250919"}]}


def test_other_litellm_providers_get_no_context_management() -> None:
    model = opened(LiteLLMModel("gemini/gemini-2.5-flash", api_key="test-key"))
    kwargs = model.build_kwargs(
        [ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(native_compaction=True), RequestParams()
    )
    assert "context_management" not in kwargs


# --- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"threshold": 0}, "threshold\n  Input should be greater than or equal to 1"),
        ({"keep_tool_uses": -1}, "keep_tool_uses\n  Input should be greater than or equal to 0"),
        ({"keep_thinking_turns": 0}, "Input should be greater than or equal to 1"),
        ({"keep_thinking_turns": "some"}, "Input should be 'all'"),
        ({"clear_older": 3}, "clear_older\n  Extra inputs are not permitted"),
    ],
)
def test_bad_native_compaction_options_are_refused(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        NativeCompaction(**options)
    assert message in str(info.value)


def test_native_compaction_merges_like_other_settings() -> None:
    base = ModelSettings(temperature=0.2, native_compaction=True)
    merged = base.merge(ModelSettings(native_compaction=NativeCompaction(threshold=1000)))
    assert merged.native_compaction == NativeCompaction(threshold=1000) and merged.temperature == 0.2
    assert base.merge(ModelSettings(native_compaction=False)).native_compaction is False


async def test_anthropic_streamed_requests_carry_the_edits_but_litellm_drops_the_report(emulator: Emulator) -> None:
    """litellm's stream assembly leaves out the final message_delta's context_management: a streamed run
    sends the edits (the provider clears) but gets no CompactionPart and no event. Documented."""
    emulator.script(*ANTHROPIC_TURNS)
    settings = ModelSettings(reasoning_effort="low", native_compaction=EDITING)
    output, messages, events = await run_collecting(compaction_agent(anthropic_model(emulator), settings), "Go", True)
    assert output == "Both were calm."
    assert all("context_management" in body for body in emulator.bodies("/v1/messages"))
    assert compaction_parts(messages) == [] and not [e for e in events if isinstance(e, ProviderCompacted)]
    emulator.assert_all_consumed()
