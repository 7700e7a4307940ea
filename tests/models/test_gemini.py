"""Gemini ``generateContent`` in the emulator, and the litellm adapter keeping thought signatures.

The first half talks to the emulator's Gemini endpoint directly (its wire format and rules); the second
runs agents on ``LiteLLMModel("gemini/gemini-3-pro-preview")`` pointed at it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from agentkit import ModelSettings
from agentkit.events import ModelResponseEvent, ReasoningDelta
from agentkit.exceptions import ModelHTTPError
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, ToolResult, UserPart
from agentkit.models.base import RequestParams
from agentkit.models.litellm import LiteLLMModel
from tests.emulator import Emulator, Fault, Reply
from tests.emulator import ToolCall as Call
from tests.emulator import Usage as EmuUsage
from tests.emulator.rules_gemini import PLACEHOLDER_SIGNATURES
from tests.models._helpers import opened, reasoning_parts, responses_model, weather_agent

GEMINI_3 = "gemini-3-pro-preview"
PLACEHOLDER = "c2tpcF90aG91Z2h0X3NpZ25hdHVyZV92YWxpZGF0b3I="  # base64 of skip_thought_signature_validator
MISSING = (
    "Function call is missing a thought_signature in functionCall parts. This is required for tools to work "
    "correctly, and missing thought_signature may lead to degraded model performance. Additional data, function "
    "call `default_api:get_weather` , position {position}. Please refer to "
    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
)
USER = {"role": "user", "parts": [{"text": "Paris?"}]}
THINKING = {"generationConfig": {"thinkingConfig": {"includeThoughts": True, "thinkingLevel": "low"}}}


def post(emu: Emulator, model: str, body: dict[str, Any], method: str = "generateContent") -> httpx.Response:
    url = f"{emu.url}/v1beta/models/{model}:{method}" + ("?alt=sse" if method.startswith("stream") else "")
    return httpx.post(url, json=body, headers={"x-goog-api-key": "test-key"}, timeout=10)


def first_turn(emu: Emulator, model: str = GEMINI_3) -> dict[str, Any]:
    """The model content of a scripted function call, as the emulator answered it."""
    emu.script(Reply(reasoning="Look it up.", tool_calls=[Call("get_weather", {"city": "Paris"})]))
    answer = post(emu, model, {"contents": [USER]})
    assert answer.status_code == 200
    content: dict[str, Any] = answer.json()["candidates"][0]["content"]
    return content


def answered(content: dict[str, Any]) -> list[dict[str, Any]]:
    response = {"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}}
    return [USER, content, {"role": "user", "parts": [response]}]


def error(answer: httpx.Response) -> tuple[int, str, str]:
    body = answer.json()["error"]
    assert body["code"] == answer.status_code
    return answer.status_code, body["status"], body["message"]


# --- the emulator's wire format ----------------------------------------------------------------


def test_generate_content_renders_thoughts_text_calls_signature_and_usage(emulator: Emulator) -> None:
    emulator.script(
        Reply(
            reasoning="Paris first.",
            text="Checking.",
            tool_calls=[Call("get_weather", {"city": "Paris"}), Call("get_weather", {"city": "Rome"}, call_id="c2")],
        )
    )
    body = post(emulator, GEMINI_3, {"contents": [USER], **THINKING}).json()
    parts = body["candidates"][0]["content"]["parts"]
    signature = parts[2].pop("thoughtSignature")
    assert parts == [
        {"text": "Paris first.", "thought": True},
        {"text": "Checking."},
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}}},
        {"functionCall": {"name": "get_weather", "args": {"city": "Rome"}, "id": "c2"}},
    ]
    assert isinstance(signature, str) and signature not in PLACEHOLDER_SIGNATURES
    assert body["candidates"][0]["finishReason"] == "STOP"
    assert body["modelVersion"] == GEMINI_3
    # prompt: "user" + "Paris?" (10 chars) -> 3 tokens, + 4 per content; visible: "Checking." -> 3, each call's
    # JSON arguments (17 and 16 chars) -> 5 and 4, + 1 per call; thoughts: "Paris first." -> 3
    assert body["usageMetadata"] == {
        "promptTokenCount": 3 + 4,
        "candidatesTokenCount": 3 + (5 + 1) + (4 + 1),
        "totalTokenCount": 7 + 14 + 3,
        "thoughtsTokenCount": 3,
    }


def test_thoughts_stay_hidden_unless_asked_for_and_a_text_answer_is_signed_on_its_last_part(
    emulator: Emulator,
) -> None:
    emulator.script(Reply(reasoning="Hidden.", text="Sunny.", usage=EmuUsage(input_tokens=50, cached_tokens=20)))
    body = post(emulator, GEMINI_3, {"contents": [USER]}).json()
    [part] = body["candidates"][0]["content"]["parts"]
    assert part["text"] == "Sunny." and part["thoughtSignature"]
    assert body["usageMetadata"] == {
        "promptTokenCount": 50,
        "candidatesTokenCount": 2,
        "totalTokenCount": 54,
        "thoughtsTokenCount": 2,
        "cachedContentTokenCount": 20,
    }


def test_stream_generate_content_sends_partial_responses(emulator: Emulator) -> None:
    emulator.script(Reply(reasoning="Think " * 4, text="Sunny in Paris.", tool_calls=[Call("get_weather", {})]))
    answer = post(emulator, "gemini-2.5-flash", {"contents": [USER], **THINKING}, "streamGenerateContent")
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: ")]
    parts = [p for e in events for p in e["candidates"][0]["content"]["parts"]]
    assert "".join(p["text"] for p in parts if p.get("thought")) == "Think " * 4
    assert "".join(p["text"] for p in parts if "text" in p and not p.get("thought")) == "Sunny in Paris."
    assert parts[-1]["functionCall"] == {"name": "get_weather", "args": {}} and parts[-1]["thoughtSignature"]
    assert ["finishReason" in e["candidates"][0] for e in events] == [False] * (len(events) - 1) + [True]
    assert ["usageMetadata" in e for e in events] == [False] * (len(events) - 1) + [True]
    assert emulator.requests[0].path == "/v1beta/models/gemini-2.5-flash:streamGenerateContent"


def test_faults_use_googles_error_envelope(emulator: Emulator) -> None:
    emulator.script(Fault.rate_limit(retry_after=2), Fault.server_error(503))
    limited = post(emulator, GEMINI_3, {"contents": [USER]})
    assert error(limited) == (429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")
    assert limited.headers["retry-after"] == "2"
    overloaded = post(emulator, GEMINI_3, {"contents": [USER]})
    assert error(overloaded) == (503, "UNAVAILABLE", "The model is overloaded. Please try again later.")
    emulator.script(Fault.invalid_json())
    cut = post(emulator, GEMINI_3, {"contents": [USER]}, "streamGenerateContent")
    assert cut.status_code == 200 and cut.text.startswith("data: {")
    with pytest.raises(ValueError):
        json.loads(cut.text.removeprefix("data: "))


# --- the emulator's rules ----------------------------------------------------------------------


def test_gemini_3_rejects_a_function_call_without_its_signature(emulator: Emulator) -> None:
    content = first_turn(emulator)
    unsigned = {**content, "parts": [{k: v for k, v in p.items() if k != "thoughtSignature"} for p in content["parts"]]}
    emulator.script(Reply(text="unused"))
    answer = post(emulator, GEMINI_3, {"contents": answered(unsigned)})
    assert error(answer) == (400, "INVALID_ARGUMENT", MISSING.format(position=2))
    # Gemini 2.5 does not enforce it, and a finished turn (a user text since) is not checked either
    assert post(emulator, "gemini-2.5-pro", {"contents": answered(unsigned)}).status_code == 200
    emulator.script(Reply(text="ok"))
    later = [*answered(unsigned), {"role": "model", "parts": [{"text": "Sunny."}]}, USER]
    assert post(emulator, GEMINI_3, {"contents": later}).status_code == 200
    emulator.assert_all_consumed()


def test_a_changed_signature_is_corrupted_and_the_placeholder_skips_the_check(emulator: Emulator) -> None:
    content = first_turn(emulator)
    [call] = content["parts"]  # no thought summary: the request did not ask for one
    for changed in (
        {**call, "thoughtSignature": call["thoughtSignature"][:-4] + "AAA="},
        {**call, "functionCall": {"name": "get_weather", "args": {"city": "Rome"}}},  # signed for Paris
    ):
        answer = post(emulator, GEMINI_3, {"contents": answered({**content, "parts": [changed]})})
        assert error(answer) == (400, "INVALID_ARGUMENT", "Corrupted thought signature.")
    emulator.script(Reply(text="ok"), Reply(text="ok"))
    placeholder = {"function_call": call["functionCall"], "thought_signature": PLACEHOLDER}  # protobuf spelling
    assert post(emulator, GEMINI_3, {"contents": answered({**content, "parts": [placeholder]})}).status_code == 200
    assert post(emulator, GEMINI_3, {"contents": answered(content)}).status_code == 200
    emulator.assert_all_consumed()


@pytest.mark.parametrize(
    ("contents", "message"),
    [
        (
            "unanswered",
            "Please ensure that the number of function response parts is equal to the number of function call "
            "parts of the function call turn.",
        ),
        ("orphan response", "Please ensure that function response turn comes immediately after a function call turn."),
        (
            "call first",
            "Please ensure that function call turn comes immediately after a user turn or after a function "
            "response turn.",
        ),
    ],
)
def test_function_turn_rules(emulator: Emulator, contents: str, message: str) -> None:
    content = first_turn(emulator)
    history = answered(content)
    if contents == "unanswered":
        history[2]["parts"].append({"functionResponse": {"name": "get_weather", "response": {}}})
    elif contents == "orphan response":
        history = [USER, history[2]]
    else:
        history = history[1:]
    assert error(post(emulator, GEMINI_3, {"contents": history})) == (400, "INVALID_ARGUMENT", message)


# --- the litellm adapter -----------------------------------------------------------------------


def gemini_model(emu: Emulator, name: str = GEMINI_3) -> LiteLLMModel:
    return opened(LiteLLMModel(f"gemini/{name}", base_url=emu.url + "/v1beta", api_key="test-gemini-key"))


THREE_TURNS = (
    Reply(reasoning="Paris first.", tool_calls=[Call("get_weather", {"city": "Paris"})]),
    Reply(reasoning="Now Rome.", tool_calls=[Call("get_weather", {"city": "Rome"})]),
    Reply(reasoning="Paris is warmer.", text="Paris is warmer.", usage=EmuUsage(reasoning_tokens=7)),
)


def sent_signatures(emu: Emulator) -> list[list[str | None]]:
    """Per request, the signature sent on each function call of the history."""
    return [
        [
            part.get("thoughtSignature")
            for content in body["contents"]
            for part in content["parts"]
            if "function_call" in part
        ]
        for request in emu.requests
        if request.path.startswith("/v1beta/")
        for body in [request.json]
    ]


def issued_signatures(messages: list[ModelRequest | ModelResponse]) -> list[str]:
    """The signatures Gemini sent with each tool call, as the adapter kept them."""
    found = []
    for part in reasoning_parts(messages):
        for fields in part.data.get("tool_call_fields", {}).values():
            found.append(fields["thought_signature"])
    return found


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_gemini_3_tool_loop_keeps_thought_signatures(emulator: Emulator, stream: bool) -> None:
    emulator.script(*THREE_TURNS)
    agent = weather_agent(gemini_model(emulator), settings=ModelSettings(reasoning_effort="low"))
    history: list[ModelRequest | ModelResponse]
    if stream:
        events = [e async for e in agent.stream("Paris or Rome?")]
        output = events[-1].output  # type: ignore[union-attr]
        history = [e.response for e in events if isinstance(e, ModelResponseEvent)]
        assert "".join(e.text for e in events if isinstance(e, ReasoningDelta)) == (
            "Paris first.Now Rome.Paris is warmer."
        )
    else:
        result = await agent.run("Paris or Rome?")
        output, history = result.output, result.messages
        assert result.messages[-1].usage.reasoning_tokens == 7  # type: ignore[union-attr]
    assert output == "Paris is warmer."
    emulator.assert_all_consumed()
    issued = issued_signatures(history)
    assert len(issued) == 2 and not set(issued) & PLACEHOLDER_SIGNATURES
    assert sent_signatures(emulator) == [[], issued[:1], issued]
    ids = [c.id for m in history if isinstance(m, ModelResponse) for c in m.tool_calls]
    assert len(ids) == 2 and all(re.fullmatch(r"call_[0-9a-f]{28}", i) for i in ids)  # no signature in them
    method = "streamGenerateContent" if stream else "generateContent"
    assert [r.path for r in emulator.requests] == [f"/v1beta/models/{GEMINI_3}:{method}"] * 3
    assert emulator.bodies()[0]["generationConfig"] == {
        "thinkingConfig": {"thinkingLevel": "low", "includeThoughts": True}
    }


async def test_a_follow_up_run_on_the_messages_sends_every_signature_back(emulator: Emulator) -> None:
    emulator.script(
        *THREE_TURNS,
        Reply(reasoning="Oslo too.", tool_calls=[Call("get_weather", {"city": "Oslo"})]),
        Reply(text="Oslo is the coldest."),
    )
    agent = weather_agent(gemini_model(emulator), settings=ModelSettings(reasoning_effort="low"))
    first = await agent.run("Paris or Rome?")
    second = await agent.run("And Oslo?", message_history=first.messages)
    assert second.output == "Oslo is the coldest."
    emulator.assert_all_consumed()
    issued = issued_signatures(second.messages)
    assert len(issued) == 3
    assert sent_signatures(emulator)[-1] == issued
    last = emulator.bodies()[-1]["contents"]
    assert [c["role"] for c in last] == ["user", "model", "user", "model", "user", "model", "user", "model", "user"]
    assert last[5]["parts"][-1]["thoughtSignature"]  # the text answer's signature went back too


async def test_parallel_calls_send_the_signature_of_the_first_call_back(emulator: Emulator) -> None:
    """Gemini signs only the first call of a parallel step; the others go back without one."""
    emulator.script(
        Reply(tool_calls=[Call("get_weather", {"city": "Paris"}), Call("get_weather", {"city": "Rome"})]),
        Reply(text="Paris is warmer."),
    )
    result = await weather_agent(gemini_model(emulator)).run("Paris or Rome?")
    assert result.output == "Paris is warmer."
    [issued] = issued_signatures(result.messages)
    assert sent_signatures(emulator) == [[], [issued, None]]


async def test_history_from_another_provider_gets_googles_placeholder_signature(emulator: Emulator) -> None:
    """An OpenAI tool call has no Gemini signature: litellm sends Google's documented placeholder on it,
    which Gemini 3 accepts (the emulator too); nothing the adapter could do better."""
    emulator.script(Reply(tool_calls=[Call("get_weather", {"city": "Paris"})]))
    history: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="Paris?")])]
    openai_turn = await responses_model(emulator).request(history, ModelSettings(), RequestParams())
    call = openai_turn.tool_calls[0]
    history += [openai_turn, ModelRequest(parts=[ToolResult(call_id=call.id, name=call.name, content="sunny")])]
    emulator.script(Reply(text="Sunny."))
    answer = await gemini_model(emulator).request(history, ModelSettings(), RequestParams())
    assert answer.text == "Sunny."
    assert sent_signatures(emulator)[-1] == [PLACEHOLDER]


async def test_a_changed_signature_is_swapped_for_the_placeholder_by_litellm(emulator: Emulator) -> None:
    """litellm answers Gemini's "Corrupted thought signature." by resending the history with the placeholder
    in place of every signature: the request succeeds, the reasoning state is lost (one wasted request)."""
    model = gemini_model(emulator)
    emulator.script(THREE_TURNS[0])
    history: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="Paris?")])]
    first = await model.request(history, ModelSettings(reasoning_effort="low"), RequestParams())
    [call] = first.tool_calls
    tampered = [_tamper(p) if isinstance(p, ReasoningPart) else p for p in first.parts]
    history += [
        first.model_copy(update={"parts": tampered}),
        ModelRequest(parts=[ToolResult(call_id=call.id, name=call.name, content="sunny")]),
    ]
    emulator.script(Reply(text="Sunny."))
    answer = await model.request(history, ModelSettings(reasoning_effort="low"), RequestParams())
    assert answer.text == "Sunny."
    assert [(r.status, r.outcome) for r in emulator.requests] == [(200, "reply"), (400, "rule"), (200, "reply")]
    assert sent_signatures(emulator)[1:] == [[_TAMPERED], [PLACEHOLDER]]


_TAMPERED = "RWRpdGVk"  # base64 of "Edited"


def _tamper(part: ReasoningPart) -> ReasoningPart:
    fields = part.data.get("tool_call_fields")
    if not fields:
        return part
    changed = {call_id: {"thought_signature": _TAMPERED} for call_id in fields}
    return part.model_copy(update={"data": {**part.data, "tool_call_fields": changed}})


async def test_gemini_errors_reach_the_user_with_googles_message(emulator: Emulator) -> None:
    emulator.script(Fault.http_error(400, "Request contains an invalid argument."))
    with pytest.raises(ModelHTTPError) as info:
        await gemini_model(emulator).request(
            [ModelRequest(parts=[UserPart(content="x")])], ModelSettings(), RequestParams()
        )
    assert info.value.status_code == 400
    assert str(info.value) == (
        "Model 'gemini/gemini-3-pro-preview' answered HTTP 400: Request contains an invalid argument. The provider "
        "rejected the request; resending it unchanged would fail again, so it was not retried"
    )
