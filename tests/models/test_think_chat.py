"""Reasoning before an orphan ``</think>`` on the native Chat Completions path, through the emulator.

R1 distills and QwQ open ``<think>`` in the prompt, so a server without a reasoning parser sends
``reasoning</think>answer`` (emulator: ``Reply(think_tags="orphan")``, the close tag streamed cut in two).
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from agentkit import ModelSettings
from agentkit.events import ModelResponseEvent, ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, TextPart, UserPart
from agentkit.models.base import ModelStreamEvent, RequestParams, ResponseDone
from agentkit.models.openai_chat import OpenAIChatModel
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.models._helpers import assistant_call, opened, tool_message, weather_agent

R1 = "deepseek-r1-distill-qwen-7b"
ORPHAN_TURNS = (
    Reply(
        reasoning="I need Paris first.",
        tool_calls=[Call("get_weather", {"city": "Paris"}, call_id="call_p")],
        think_tags="orphan",
    ),
    Reply(
        reasoning="Now Rome.", tool_calls=[Call("get_weather", {"city": "Rome"}, call_id="call_r")], think_tags="orphan"
    ),
    Reply(reasoning="Paris is warmer.", text="\n\nParis is warmer.", think_tags="orphan"),
)
SYSTEM = {"role": "system", "content": "You compare the weather."}


def chat_model(emu: Emulator, name: str = R1, **options: Any) -> OpenAIChatModel:
    return opened(OpenAIChatModel(name, base_url=emu.base_url, **options))


def ask(text: str) -> list[ModelRequest | ModelResponse]:
    return [ModelRequest(parts=[UserPart(content=text)])]


def test_emulator_sends_orphan_close_cut_between_chunks(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="Two and two.", text="4", think_tags="orphan"))
    emulator.script(Reply(reasoning="Two and two.", text="4", think_tags="orphan"))
    client = openai.OpenAI(base_url=emulator.base_url, api_key="test")
    whole = client.chat.completions.create(model=R1, messages=[{"role": "user", "content": "2+2?"}])
    assert whole.choices[0].message.content == "Two and two.</think>4"
    chunks = client.chat.completions.create(model=R1, messages=[{"role": "user", "content": "2+2?"}], stream=True)
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    assert pieces == ["Two and two.</th", "ink>4"]
    client.close()
    emulator.assert_all_consumed()


TURNS = [
    assistant_call("call_p", "Paris"),
    tool_message("call_p", "sunny, 24 C"),
    assistant_call("call_r", "Rome"),
    tool_message("call_r", "cloudy, 19 C"),
]
USER = {"role": "user", "content": "Paris or Rome?"}


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_orphan_reasoning_is_split_off_over_three_turns(emulator: Emulator, stream: bool) -> None:
    emulator.script(*ORPHAN_TURNS)
    agent = weather_agent(chat_model(emulator))
    if stream:
        events = [e async for e in agent.stream("Paris or Rome?")]
        output = events[-1].output  # type: ignore[union-attr]
        responses = [e.response for e in events if isinstance(e, ModelResponseEvent)]
        assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Paris is warmer."
        assert [e.text for e in events if isinstance(e, ReasoningDelta)] == [
            "I need Paris first.",
            "Now Rome.",
            "Paris is warmer.",
        ]
    else:
        result = await agent.run("Paris or Rome?")
        output = result.output
        responses = [m for m in result.messages if isinstance(m, ModelResponse)]
    assert output == "Paris is warmer."
    assert [r.parts for r in responses] == [
        [ReasoningPart(content="I need Paris first."), *responses[0].tool_calls],
        [ReasoningPart(content="Now Rome."), *responses[1].tool_calls],
        [ReasoningPart(content="Paris is warmer."), TextPart(content="Paris is warmer.")],
    ]
    assert emulator.bodies()[2]["messages"] == [SYSTEM, USER, *TURNS]
    emulator.assert_all_consumed()


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_a_follow_up_turn_sends_the_answer_without_its_reasoning(emulator: Emulator, stream: bool) -> None:
    emulator.script(*ORPHAN_TURNS, Reply(reasoning="Still Paris.", text="Yes, Paris.", think_tags="orphan"))
    agent = weather_agent(chat_model(emulator))
    history = (await agent.run("Paris or Rome?")).messages
    if stream:
        events = [e async for e in agent.stream("Sure?", message_history=history)]
        output = events[-1].output  # type: ignore[union-attr]
        assert [e.text for e in events if isinstance(e, ReasoningDelta)] == ["Still Paris."]
    else:
        output = (await agent.run("Sure?", message_history=history)).output
    assert output == "Yes, Paris."
    answer = {"role": "assistant", "content": "Paris is warmer."}
    assert emulator.bodies()[3]["messages"] == [SYSTEM, USER, *TURNS, answer, {"role": "user", "content": "Sure?"}]
    emulator.assert_all_consumed()


async def stream_events(model: OpenAIChatModel) -> list[ModelStreamEvent]:
    return [e async for e in model.request_stream(ask("2+2?"), ModelSettings(), RequestParams())]


async def test_streamed_orphan_reasoning_is_held_until_its_close(emulator: Emulator) -> None:
    emulator.script(
        Reply(
            reasoning="Two and two make four, so the answer is 4.",
            text=" It is 4, as two and two make four.",
            think_tags="orphan",
        )
    )
    events = await stream_events(chat_model(emulator))
    deltas = [(type(e).__name__, e.text) for e in events if isinstance(e, ReasoningDelta | TextDelta)]
    assert deltas == [
        ("ReasoningDelta", "Two and two make four, so the answer is 4."),
        ("TextDelta", "It is 4, as"),
        ("TextDelta", " two and two mak"),
        ("TextDelta", "e four."),
    ]
    done = events[-1]
    assert isinstance(done, ResponseDone)
    assert done.response.parts == [
        ReasoningPart(content="Two and two make four, so the answer is 4."),
        TextPart(content="It is 4, as two and two make four."),
    ]


async def test_held_text_without_a_close_is_text_and_tool_calls_still_come(emulator: Emulator) -> None:
    emulator.script(Reply(text="Let me look.", tool_calls=[Call("get_weather", {"city": "Oslo"}, call_id="c1")]))
    events = await stream_events(chat_model(emulator))
    kinds = [type(e).__name__ for e in events if isinstance(e, TextDelta | ToolCallDelta)]
    assert kinds == ["ToolCallDelta", "ToolCallDelta", "TextDelta"]  # the text is known only at the end
    done = events[-1]
    assert isinstance(done, ResponseDone)
    assert done.response.parts[0] == TextPart(content="Let me look.")
    assert done.response.tool_calls[0].name == "get_weather"


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
@pytest.mark.parametrize(
    ("name", "options", "parts"),
    [
        (R1, {}, [ReasoningPart(content="hmm"), TextPart(content="Hi")]),
        ("QwQ-32B", {}, [ReasoningPart(content="hmm"), TextPart(content="Hi")]),
        ("qwen3-8b", {"think_tags": "orphan"}, [ReasoningPart(content="hmm"), TextPart(content="Hi")]),
        ("qwen3-8b", {}, [TextPart(content="hmm</think>Hi")]),
        (R1, {"think_tags": "leading"}, [TextPart(content="hmm</think>Hi")]),
        (R1, {"think_tags": False}, [TextPart(content="hmm</think>Hi")]),
        (R1, {"provider": "together", "api_key": "sk-test"}, [TextPart(content="hmm</think>Hi")]),
    ],
)
async def test_which_models_split_an_orphan_close(
    emulator: Emulator, stream: bool, name: str, options: dict[str, Any], parts: list[object]
) -> None:
    emulator.script(Reply(reasoning="hmm", text="Hi", think_tags="orphan"))
    model = chat_model(emulator, name, **options)
    if stream:
        done = (await stream_events(model))[-1]
        assert isinstance(done, ResponseDone)
        response = done.response
    else:
        response = await model.request(ask("x"), ModelSettings(), RequestParams())
    assert response.parts == parts


async def test_text_streams_at_once_for_a_model_without_an_opened_think(emulator: Emulator) -> None:
    emulator.script(Reply(text="A reply of more than one chunk, streamed as it comes."))
    events = await stream_events(chat_model(emulator, "qwen3-8b"))
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert texts == ["A reply of more ", "than one chunk, ", "streamed as it c", "omes."]
