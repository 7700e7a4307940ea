"""The emulator through real clients: wire formats, provider rules and their real error texts."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from .script import Fault, Reply, ToolCall, Usage
from .server import Emulator

WEATHER_TOOL_CHAT = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}
WEATHER_TOOL_RESPONSES = {"type": "function", **WEATHER_TOOL_CHAT["function"]}
WEATHER_TOOL_ANTHROPIC = {"name": "get_weather", "input_schema": WEATHER_TOOL_CHAT["function"]["parameters"]}
USER = {"role": "user", "content": "Weather in Paris?"}


@pytest.fixture
def client(emulator: Emulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=emulator.base_url, api_key="sk-secret", max_retries=0) as c:
        yield c


@pytest.fixture
def ds_client(deepseek_emulator: Emulator) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=deepseek_emulator.base_url, api_key="sk-secret", max_retries=0) as c:
        yield c


# --- Chat Completions (plain OpenAI-compatible) ---------------------------------------


def test_chat_non_stream_text_usage_and_recording(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(
        Reply(text="Sunny.", usage=Usage(input_tokens=11, output_tokens=7, reasoning_tokens=4, cached_tokens=3))
    )
    result = client.chat.completions.create(model="o4-mini", messages=[USER])
    assert result.choices[0].message.content == "Sunny."
    assert result.choices[0].finish_reason == "stop"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens, result.usage.total_tokens) == (11, 7, 18)
    assert result.usage.completion_tokens_details is not None
    assert result.usage.completion_tokens_details.reasoning_tokens == 4
    assert result.usage.prompt_tokens_details is not None
    assert result.usage.prompt_tokens_details.cached_tokens == 3
    [recorded] = emulator.requests
    assert (recorded.method, recorded.path, recorded.status) == ("POST", "/v1/chat/completions", 200)
    assert recorded.body == {"model": "o4-mini", "messages": [USER]}
    assert recorded.headers["authorization"] == "<redacted>"
    assert "sk-secret" not in json.dumps(recorded.headers)
    emulator.assert_all_consumed()


def test_chat_stream_splits_tool_call_arguments_across_chunks(emulator: Emulator, client: openai.OpenAI) -> None:
    args = {"city": "Paris", "unit": "celsius", "days": 3}
    emulator.script(
        Reply(tool_calls=[ToolCall("get_weather", args, call_id="call_1"), ToolCall("get_time", {"tz": "CET"})])
    )
    stream = client.chat.completions.create(
        model="gpt-4o", messages=[USER], tools=[WEATHER_TOOL_CHAT], stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    pieces: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for chunk in chunks[:-1]:
        for call in chunk.choices[0].delta.tool_calls or []:
            assert call.function is not None
            pieces.setdefault(call.index, []).append(call.function.arguments or "")
            if call.function.name:
                names[call.index] = call.function.name
    assert names == {0: "get_weather", 1: "get_time"}
    assert len([p for p in pieces[0] if p]) > 1, "arguments must arrive split across several chunks"
    assert json.loads("".join(pieces[0])) == args
    assert json.loads("".join(pieces[1])) == {"tz": "CET"}
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert all(c.usage is None for c in chunks[:-1])
    first_call = chunks[1].choices[0].delta.tool_calls
    assert first_call is not None and first_call[0].id == "call_1"


def test_chat_n_choices(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(text="A", extra_choices=[Reply(text="B")]))
    result = client.chat.completions.create(model="gpt-4o", messages=[USER], n=3)
    assert [c.message.content for c in result.choices] == ["A", "B", "A"]
    assert [c.index for c in result.choices] == [0, 1, 2]


def test_chat_plain_server_inlines_reasoning_as_think_tags(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(text="42", reasoning="6*7"))
    result = client.chat.completions.create(model="qwen3", messages=[USER])
    assert result.choices[0].message.content == "<think>6*7</think>42"


def test_chat_rejects_unanswered_tool_calls_with_openai_text(emulator: Emulator, client: openai.OpenAI) -> None:
    assistant = {"role": "assistant", "content": None, "tool_calls": [_chat_call("call_a")]}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[USER, assistant, {"role": "user", "content": "?"}])
    assert caught.value.status_code == 400
    assert _error(caught.value) == {
        "message": "An assistant message with 'tool_calls' must be followed by tool messages responding to each "
        "'tool_call_id'. The following tool_call_ids did not have response messages: call_a",
        "type": "invalid_request_error",
        "param": "messages.[1].role",
        "code": None,
    }
    tool = {"role": "tool", "tool_call_id": "call_zzz", "content": "x"}
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="gpt-4o", messages=[USER, tool])
    assert _error(caught.value)["message"] == (
        "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'."
    )


# --- DeepSeek ---------------------------------------------------------------------------


def test_deepseek_reasoning_content_non_stream_and_stream(
    deepseek_emulator: Emulator, ds_client: openai.OpenAI
) -> None:
    deepseek_emulator.script(
        Reply(reasoning="Need the weather tool.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
        Reply(reasoning="The tool said sunny, long explanation follows.", text="Sunny."),
    )
    first = ds_client.chat.completions.create(model="deepseek-reasoner", messages=[USER], tools=[WEATHER_TOOL_CHAT])
    message = first.choices[0].message
    assert getattr(message, "reasoning_content", None) == "Need the weather tool."
    assert message.tool_calls is not None
    assert first.usage is not None and first.usage.completion_tokens_details is not None
    assert first.usage.completion_tokens_details.reasoning_tokens > 0
    assert first.usage.model_extra is not None and "prompt_cache_hit_tokens" in first.usage.model_extra
    history = [USER, _sent_back(message.model_dump(exclude_none=True)), _tool_result(message.tool_calls[0].id)]
    stream = ds_client.chat.completions.create(model="deepseek-reasoner", messages=history, stream=True)
    reasoning, content = "", ""
    for chunk in stream:
        if chunk.choices:
            reasoning += getattr(chunk.choices[0].delta, "reasoning_content", None) or ""
            content += chunk.choices[0].delta.content or ""
    assert (reasoning, content) == ("The tool said sunny, long explanation follows.", "Sunny.")
    assert deepseek_emulator.bodies()[1]["messages"][1]["reasoning_content"] == "Need the weather tool."
    deepseek_emulator.assert_all_consumed()


def test_deepseek_rejects_tool_turn_without_reasoning_content(
    deepseek_emulator: Emulator, ds_client: openai.OpenAI
) -> None:
    deepseek_emulator.script(Reply(text="ok"))
    assistant = {"role": "assistant", "content": "", "tool_calls": [_chat_call("call_a")]}
    messages = [{"role": "system", "content": "s"}, USER, assistant, _tool_result("call_a")]
    with pytest.raises(openai.BadRequestError) as caught:
        ds_client.chat.completions.create(model="deepseek-reasoner", messages=messages)
    assert _error(caught.value) == {
        "message": "Missing `reasoning_content` field in the assistant message at message index 2. For more "
        "information, please refer to https://api-docs.deepseek.com/guides/thinking_mode#tool-calls",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_request_error",
    }
    with pytest.raises(openai.BadRequestError) as caught:
        ds_client.chat.completions.create(model="deepseek-v4-pro", messages=messages)
    assert (
        _error(caught.value)["message"] == "The reasoning_content in the thinking mode must be passed back to the API."
    )
    assert deepseek_emulator.requests[0].outcome == "rule"
    with pytest.raises(AssertionError, match="unused scripted item"):
        deepseek_emulator.assert_all_consumed()  # a rejected request consumes no reply
    assistant["reasoning_content"] = ""
    assert (
        ds_client.chat.completions.create(model="deepseek-reasoner", messages=messages).choices[0].message.content
        == "ok"
    )
    deepseek_emulator.assert_all_consumed()


def test_deepseek_rule_off_when_thinking_disabled(deepseek_emulator: Emulator, ds_client: openai.OpenAI) -> None:
    deepseek_emulator.script(Reply(text="ok", reasoning="hidden"))
    assistant = {"role": "assistant", "content": "", "tool_calls": [_chat_call("call_a")]}
    result = ds_client.chat.completions.create(
        model="deepseek-chat", messages=[USER, assistant, _tool_result("call_a")]
    )
    assert getattr(result.choices[0].message, "reasoning_content", None) is None


# --- OpenAI Responses -------------------------------------------------------------------


def _responses_args(**extra: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": "o4-mini",
        "store": False,
        "include": ["reasoning.encrypted_content"],
        "reasoning": {"effort": "medium", "summary": "auto"},
        "tools": [WEATHER_TOOL_RESPONSES],
    }
    return {**args, **extra}


def test_responses_non_stream_items_and_usage(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(
        Reply(
            reasoning="Call the tool.",
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, call_id="call_w")],
            usage=Usage(cached_tokens=5, reasoning_tokens=64),
        )
    )
    result = client.responses.create(input=[USER], **_responses_args())
    reasoning, call = result.output
    assert reasoning.type == "reasoning" and reasoning.id.startswith("rs_")
    assert [s.text for s in reasoning.summary] == ["Call the tool."]
    assert reasoning.encrypted_content and reasoning.encrypted_content.startswith("gAAAAA")
    assert call.type == "function_call"
    assert (call.call_id, call.name, json.loads(call.arguments)) == ("call_w", "get_weather", {"city": "Paris"})
    assert call.id is not None and call.id.startswith("fc_")
    assert result.usage is not None
    assert result.usage.output_tokens_details.reasoning_tokens == 64
    assert result.usage.input_tokens_details.cached_tokens == 5
    assert result.status == "completed"


def test_responses_summary_and_encrypted_content_only_when_asked(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(reasoning="secret thoughts", text="hi"))
    result = client.responses.create(model="o4-mini", input="hello")
    reasoning, message = result.output
    assert reasoning.type == "reasoning" and reasoning.summary == [] and reasoning.encrypted_content is None
    assert result.output_text == "hi"
    assert message.type == "message"


def test_responses_stream_events(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(
        Reply(
            reasoning="Thinking about the weather in Paris.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]
        ),
        Reply(text="It is sunny in Paris today, 21 degrees."),
    )
    events = list(client.responses.create(input=[USER], stream=True, **_responses_args()))
    types = [e.type for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert summary == "Thinking about the weather in Paris."
    arg_deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(arg_deltas) > 1 and json.loads("".join(arg_deltas)) == {"city": "Paris"}
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert [i.type for i in done] == ["reasoning", "function_call"]
    final = events[-1]
    assert final.type == "response.completed"
    assert [i.id for i in final.response.output] == [i.id for i in done]
    history = [USER, *(i.model_dump(exclude_none=True) for i in done), _call_output(done[1].call_id)]
    text_events = list(client.responses.create(input=history, stream=True, **_responses_args()))
    text = "".join(e.delta for e in text_events if e.type == "response.output_text.delta")
    assert text == "It is sunny in Paris today, 21 degrees."
    emulator.assert_all_consumed()


def test_responses_three_turn_round_trip_store_false(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(
        Reply(reasoning="first", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
        Reply(reasoning="second", tool_calls=[ToolCall("get_weather", {"city": "Lyon"})]),
        Reply(reasoning="third", text="Both sunny."),
    )
    history: list[dict[str, Any]] = [USER]
    for _ in range(2):
        result = client.responses.create(input=history, **_responses_args())
        history += [item.model_dump(exclude_none=True) for item in result.output]
        history.append(_call_output(result.output[-1].call_id))  # type: ignore[union-attr]
    final = client.responses.create(input=history, **_responses_args())
    assert final.output_text == "Both sunny."
    sent = emulator.bodies("/v1/responses")[2]["input"]
    assert [i.get("type", "message") for i in sent] == [
        "message", "reasoning", "function_call", "function_call_output",
        "reasoning", "function_call", "function_call_output",
    ]  # fmt: skip
    emulator.assert_all_consumed()


def _first_turn(emulator: Emulator, client: openai.OpenAI) -> list[dict[str, Any]]:
    emulator.script(Reply(reasoning="r", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="done"))
    result = client.responses.create(input=[USER], **_responses_args())
    return [item.model_dump(exclude_none=True) for item in result.output]


def test_responses_function_call_without_its_reasoning_item(emulator: Emulator, client: openai.OpenAI) -> None:
    reasoning, call = _first_turn(emulator, client)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(input=[USER, call, _call_output(call["call_id"])], **_responses_args())
    assert _error(caught.value) == {
        "message": f"Item '{call['id']}' of type 'function_call' was provided without its required "
        f"'reasoning' item: '{reasoning['id']}'.",
        "type": "invalid_request_error",
        "param": "input",
        "code": None,
    }


def test_responses_reasoning_without_its_following_item(emulator: Emulator, client: openai.OpenAI) -> None:
    reasoning, _call = _first_turn(emulator, client)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(input=[USER, reasoning, {"role": "user", "content": "and?"}], **_responses_args())
    assert _error(caught.value)["message"] == (
        f"Item '{reasoning['id']}' of type 'reasoning' was provided without its required following item."
    )
    assert _error(caught.value)["param"] == "input"


def test_responses_store_false_needs_encrypted_content(emulator: Emulator, client: openai.OpenAI) -> None:
    reasoning, call = _first_turn(emulator, client)
    bare = {k: v for k, v in reasoning.items() if k != "encrypted_content"}
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(input=[USER, bare, call, _call_output(call["call_id"])], **_responses_args())
    assert _error(caught.value)["message"] == (
        f"Item with id '{reasoning['id']}' not found. Items are not persisted when `store` is set to false. "
        "Try again with `store` set to true, or remove this item from your input."
    )
    token = reasoning["encrypted_content"]
    tampered = {**reasoning, "encrypted_content": token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")}
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(input=[USER, tampered, call, _call_output(call["call_id"])], **_responses_args())
    error = _error(caught.value)
    assert error["code"] == "invalid_encrypted_content"
    sealed = tampered["encrypted_content"]
    assert error["message"] == f"The encrypted content {sealed[:4]}...{sealed[-4:]} could not be verified."


def test_responses_function_call_needs_its_output(emulator: Emulator, client: openai.OpenAI) -> None:
    reasoning, call = _first_turn(emulator, client)
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(input=[USER, reasoning, call], **_responses_args())
    assert _error(caught.value)["message"] == f"No tool output found for function call {call['call_id']}."
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(input=[USER, _call_output("call_nope")], **_responses_args())
    assert _error(caught.value)["message"] == "No tool call found for function call output with call_id call_nope."
    result = client.responses.create(input=[USER, reasoning, call, _call_output(call["call_id"])], **_responses_args())
    assert result.output_text == "done"
    emulator.assert_all_consumed()


def test_responses_previous_response_id_with_store(emulator: Emulator, client: openai.OpenAI) -> None:
    emulator.script(Reply(reasoning="r", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]), Reply(text="ok"))
    first = client.responses.create(model="o4-mini", input=[USER], tools=[WEATHER_TOOL_RESPONSES])
    call_id = first.output[-1].call_id  # type: ignore[union-attr]
    second = client.responses.create(
        model="o4-mini", previous_response_id=first.id, input=[_call_output(call_id)], tools=[WEATHER_TOOL_RESPONSES]
    )
    assert second.output_text == "ok"
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="o4-mini", previous_response_id="resp_unknown", input="hi")
    assert _error(caught.value)["message"] == "Previous response with id 'resp_unknown' not found."


# --- Anthropic Messages (raw httpx) -----------------------------------------------------


def _anthropic(emulator: Emulator, messages: list[dict[str, Any]], stream: bool = False) -> httpx.Response:
    body = {
        "model": "claude-sonnet-4-5",
        "max_tokens": 2048,
        "thinking": {"type": "enabled", "budget_tokens": 1024},
        "tools": [WEATHER_TOOL_ANTHROPIC],
        "messages": messages,
        "stream": stream,
    }
    headers = {"x-api-key": "sk-ant-secret", "anthropic-version": "2023-06-01"}
    return httpx.post(emulator.url + "/v1/messages", json=body, headers=headers, timeout=10)


def _tool_turn(emulator: Emulator) -> dict[str, Any]:
    emulator.script(
        Reply(
            reasoning="I need the weather.",
            redacted_thinking=True,
            tool_calls=[ToolCall("get_weather", {"city": "Paris"}, call_id="toolu_1")],
        ),
        Reply(text="Sunny."),
    )
    response = _anthropic(emulator, [USER])
    assert response.status_code == 200
    return dict(response.json())


def test_anthropic_thinking_signature_and_tool_use(emulator: Emulator) -> None:
    message = _tool_turn(emulator)
    kinds = [b["type"] for b in message["content"]]
    assert kinds == ["thinking", "redacted_thinking", "tool_use"]
    assert message["content"][0]["signature"] and message["content"][1]["data"]
    assert message["content"][2] == {
        "type": "tool_use",
        "id": "toolu_1",
        "name": "get_weather",
        "input": {"city": "Paris"},
    }
    assert message["stop_reason"] == "tool_use" and message["usage"]["output_tokens"] > 0
    assert emulator.requests[0].headers["x-api-key"] == "<redacted>"
    follow_up = [USER, {"role": "assistant", "content": message["content"]}, _anthropic_result("toolu_1")]
    second = _anthropic(emulator, follow_up)
    assert second.status_code == 200 and second.json()["content"] == [{"type": "text", "text": "Sunny."}]
    emulator.assert_all_consumed()


def test_anthropic_stream_events(emulator: Emulator) -> None:
    emulator.script(
        Reply(reasoning="Let me think about Paris.", tool_calls=[ToolCall("get_weather", {"city": "Paris"})])
    )
    response = _anthropic(emulator, [USER], stream=True)
    events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
    names = [line[7:] for line in response.text.splitlines() if line.startswith("event: ")]
    assert names == [e["type"] for e in events]
    assert names[:2] == ["message_start", "ping"] and names[-2:] == ["message_delta", "message_stop"]
    deltas = [e["delta"] for e in events if e["type"] == "content_block_delta"]
    thinking = "".join(d.get("thinking", "") for d in deltas if d["type"] == "thinking_delta")
    assert thinking == "Let me think about Paris."
    [signature] = [d["signature"] for d in deltas if d["type"] == "signature_delta"]
    partial = "".join(d["partial_json"] for d in deltas if d["type"] == "input_json_delta")
    assert json.loads(partial) == {"city": "Paris"}
    assert events[-2]["delta"]["stop_reason"] == "tool_use"
    thinking_block = {"type": "thinking", "thinking": thinking, "signature": signature}
    tool_start = next(e["content_block"] for e in events if e["type"] == "content_block_start" and e["index"] == 1)
    assistant = {"role": "assistant", "content": [thinking_block, {**tool_start, "input": json.loads(partial)}]}
    emulator.script(Reply(text="ok"))
    assert _anthropic(emulator, [USER, assistant, _anthropic_result(tool_start["id"])]).status_code == 200


def test_anthropic_rejects_dropped_thinking_block(emulator: Emulator) -> None:
    message = _tool_turn(emulator)
    without = [b for b in message["content"] if b["type"] == "tool_use"]
    response = _anthropic(emulator, [USER, {"role": "assistant", "content": without}, _anthropic_result("toolu_1")])
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "error" and body["error"]["type"] == "invalid_request_error"
    assert body["error"]["message"] == (
        "messages.1.content.0.type: Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
        "`thinking` is enabled, a final `assistant` message must start with a thinking block (preceeding the "
        "lastmost set of `tool_use` and `tool_result` blocks). We recommend you include thinking blocks from "
        "previous turns. To avoid this requirement, disable `thinking`. Please consult our documentation at "
        "https://docs.claude.com/en/docs/build-with-claude/extended-thinking"
    )
    assert body["request_id"].startswith("req_")


def test_anthropic_detects_tampered_thinking(emulator: Emulator) -> None:
    message = _tool_turn(emulator)
    thinking, redacted, tool_use = message["content"]
    signature = "messages.1.content.0: Invalid `signature` in `thinking` block"
    cases = [
        (signature, [{**thinking, "signature": thinking["signature"][:-4] + "AAAA"}, redacted, tool_use]),
        (signature, [{**thinking, "thinking": thinking["thinking"] + " (edited)"}, redacted, tool_use]),
        (
            "messages.1.content.1: Invalid `data` in `redacted_thinking` block",
            [thinking, {**redacted, "data": "AAAA" + redacted["data"][4:]}, tool_use],
        ),
    ]
    for expected, content in cases:
        response = _anthropic(emulator, [USER, {"role": "assistant", "content": content}, _anthropic_result("toolu_1")])
        assert (response.status_code, response.json()["error"]["message"]) == (400, expected)


def test_anthropic_tool_use_needs_tool_result(emulator: Emulator) -> None:
    message = _tool_turn(emulator)
    response = _anthropic(emulator, [USER, {"role": "assistant", "content": message["content"]}, USER])
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_1. "
        "Each `tool_use` block must have a corresponding `tool_result` block in the next message."
    )


def test_anthropic_overloaded_fault_uses_anthropic_envelope(emulator: Emulator) -> None:
    emulator.script(Fault.server_error(529), Fault.rate_limit(retry_after=7))
    overloaded = _anthropic(emulator, [USER])
    assert overloaded.status_code == 529
    assert overloaded.json()["error"] == {"type": "overloaded_error", "message": "Overloaded"}
    limited = _anthropic(emulator, [USER])
    assert limited.status_code == 429 and limited.headers["retry-after"] == "7"
    assert limited.json()["error"]["type"] == "rate_limit_error"


# --- helpers ----------------------------------------------------------------------------


def _error(exc: openai.APIStatusError) -> dict[str, Any]:
    body = exc.response.json()
    return dict(body["error"])


def _chat_call(call_id: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}


def _tool_result(call_id: str) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": call_id, "content": "sunny"}


def _sent_back(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k in ("role", "content", "tool_calls", "reasoning_content")}


def _call_output(call_id: str) -> dict[str, Any]:
    return {"type": "function_call_output", "call_id": call_id, "output": "sunny"}


def _anthropic_result(tool_use_id: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_use_id, "content": "sunny"}]}


def test_responses_unknown_reasoning_item_and_message_without_reasoning(
    emulator: Emulator, client: openai.OpenAI
) -> None:
    with pytest.raises(openai.NotFoundError) as caught:
        client.responses.create(model="o4-mini", input=[USER, {"type": "reasoning", "id": "rs_bogus", "summary": []}])
    assert _error(caught.value)["message"] == "Item with id 'rs_bogus' not found."
    emulator.script(Reply(reasoning="r", text="first answer"), Reply(text="second"))
    reasoning, message = [
        i.model_dump(exclude_none=True) for i in client.responses.create(model="o4-mini", input="q").output
    ]
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model="o4-mini", input=[USER, message, USER])
    assert _error(caught.value)["message"] == (
        f"Item '{message['id']}' of type 'message' was provided without its required 'reasoning' item: "
        f"'{reasoning['id']}'."
    )
    assert client.responses.create(model="o4-mini", input=[USER, reasoning, message, USER]).output_text == "second"
