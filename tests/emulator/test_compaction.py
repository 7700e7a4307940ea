"""The emulator's provider-native compaction: Responses compaction items, Anthropic context editing."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from .compaction import COMPACTION_NOT_REPLAYED, EXTRA_INPUTS, visible_input
from .script import Reply, ToolCall
from .server import Emulator
from .window import count_tokens

BETA = {"anthropic-beta": "interleaved-thinking-2025-05-14,context-management-2025-06-27"}
LONG = "x" * 2000  # 500 tokens


def _responses(emulator: Emulator, body: dict[str, Any]) -> httpx.Response:
    base = {"model": "o4-mini", "store": False}
    return httpx.post(emulator.base_url + "/responses", json={**base, **body}, timeout=10)


def _events(response: httpx.Response) -> list[dict[str, Any]]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]


# --- Responses ---------------------------------------------------------------------------------------


def test_under_the_threshold_nothing_is_compacted(emulator: Emulator) -> None:
    emulator.script(Reply(text="Hi."))
    cm = [{"type": "compaction", "compact_threshold": 1000}]
    body = _responses(emulator, {"input": "hello", "context_management": cm}).json()
    assert [i["type"] for i in body["output"]] == ["message"]


def test_without_a_threshold_the_emulator_never_compacts(emulator: Emulator) -> None:
    emulator.script(Reply(text="Hi."))
    body = _responses(emulator, {"input": LONG, "context_management": [{"type": "compaction"}]}).json()
    assert [i["type"] for i in body["output"]] == ["message"]


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
def test_over_the_threshold_a_compaction_item_leads_the_output(emulator: Emulator, stream: bool) -> None:
    emulator.script(Reply(text="Done."))
    cm = [{"type": "compaction", "compact_threshold": 100}]
    response = _responses(
        emulator, {"input": [{"role": "user", "content": LONG}], "context_management": cm, "stream": stream}
    )
    if stream:
        events = _events(response)
        done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
        added = [e["item"] for e in events if e["type"] == "response.output_item.added"]
        assert added[0] == done[0]
        body = events[-1]["response"]
        assert body["output"] == done
    else:
        body = response.json()
    item, message = body["output"]
    assert set(item) == {"id", "type", "encrypted_content", "created_by"} and item["type"] == "compaction"
    assert item["id"].startswith("cmp_") and message["type"] == "message"
    # what the model saw: the compaction item instead of the long input
    assert emulator.requests[0].input_tokens > 500 > body["usage"]["input_tokens"]


def test_the_item_replaces_what_came_before_it(emulator: Emulator) -> None:
    emulator.script(Reply(tool_calls=[ToolCall("f", {}, call_id="call_1")]), Reply(text="ok"))
    cm = [{"type": "compaction", "compact_threshold": 100}]
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object", "properties": {}}}]
    first = _responses(
        emulator, {"input": [{"role": "user", "content": LONG}], "context_management": cm, "tools": tools}
    )
    item, call = first.json()["output"]
    follow = [
        {"role": "user", "content": LONG},
        item,
        call,
        {"type": "function_call_output", "call_id": "call_1", "output": "1"},
    ]
    second = _responses(emulator, {"input": follow, "context_management": cm, "tools": tools})
    assert second.status_code == 200, second.text
    assert [i["type"] for i in second.json()["output"]] == ["message"]  # under the threshold now
    assert emulator.requests[1].input_tokens == count_tokens({"input": follow[1:], "tools": tools})
    assert visible_input({"input": follow}) == follow[1:]


def test_leaving_the_item_out_breaks_the_emulator_rule(emulator: Emulator) -> None:
    emulator.script(Reply(tool_calls=[ToolCall("f", {}, call_id="call_1")]))
    cm = [{"type": "compaction", "compact_threshold": 100}]
    first = _responses(emulator, {"input": [{"role": "user", "content": LONG}], "context_management": cm})
    item, call = first.json()["output"]
    emulator.script(Reply(tool_calls=[ToolCall("f", {}, call_id="call_2")]))
    # call_1 was produced after the compaction: not covered by it yet, so this one passes and compacts
    second_input = [item, call, {"type": "function_call_output", "call_id": "call_1", "output": LONG}]
    second = _responses(emulator, {"input": second_input, "context_management": cm})
    newer, call_2 = second.json()["output"]
    dropped = [*second_input, call_2, {"type": "function_call_output", "call_id": "call_2", "output": "2"}]
    response = _responses(emulator, {"input": dropped, "context_management": cm})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["message"] == COMPACTION_NOT_REPLAYED.format(key="call_id 'call_1'", compaction_id=newer["id"])
    assert (error["param"], error["code"]) == ("input", "emulator_rule")
    emulator.script(Reply(text="ok"))
    kept = [*second_input, newer, call_2, {"type": "function_call_output", "call_id": "call_2", "output": "2"}]
    assert _responses(emulator, {"input": kept, "context_management": cm}).status_code == 200


def test_a_changed_item_gets_the_real_error(emulator: Emulator) -> None:
    emulator.script(Reply(text="Done."))
    cm = [{"type": "compaction", "compact_threshold": 100}]
    item = _responses(emulator, {"input": LONG, "context_management": cm}).json()["output"][0]
    for changed in ({**item, "encrypted_content": item["encrypted_content"][:-4] + "AAAA"}, {**item, "id": "cmp_x"}):
        response = _responses(emulator, {"input": [changed, {"role": "user", "content": "hi"}]})
        assert response.status_code == 400
        token = changed["encrypted_content"]
        assert response.json()["error"]["message"] == (
            f"The encrypted content {token[:4]}...{token[-4:]} could not be verified."
        )


def test_openai_sdk_parses_the_compaction_item(emulator: Emulator) -> None:
    emulator.script(Reply(text="Done."))
    with openai.OpenAI(base_url=emulator.base_url, api_key="sk-test", max_retries=0) as client:
        response = client.responses.create(
            model="o4-mini",
            input=LONG,
            store=False,
            context_management=[{"type": "compaction", "compact_threshold": 100}],
        )
    assert response.output[0].type == "compaction"
    assert emulator.last_body["context_management"] == [{"type": "compaction", "compact_threshold": 100}]


# --- Anthropic -------------------------------------------------------------------------------------


def _claude(
    emulator: Emulator,
    messages: list[dict[str, Any]],
    edits: list[dict[str, Any]],
    *,
    headers: dict[str, str] | None = None,
    thinking: bool = True,
    stream: bool = False,
) -> httpx.Response:
    body: dict[str, Any] = {"model": "claude-sonnet-4-5", "max_tokens": 2048, "messages": messages, "stream": stream}
    body["context_management"] = {"edits": edits}
    if thinking:
        body["thinking"] = {"type": "enabled", "budget_tokens": 1024}
    sent = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", **(BETA if headers is None else headers)}
    return httpx.post(emulator.url + "/v1/messages", json=body, headers=sent, timeout=10)


def _tool_history(emulator: Emulator, results: list[tuple[str, str, str]]) -> list[dict[str, Any]]:
    """A conversation with one signed thinking turn per tool use (made by the emulator itself)."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": "go"}]
    for call_id, name, result in results:
        emulator.script(Reply(reasoning=f"use {name}", tool_calls=[ToolCall(name, {}, call_id=call_id)]))
        reply = _claude(emulator, messages, [])
        assert reply.status_code == 200, reply.text
        messages.append({"role": "assistant", "content": reply.json()["content"]})
        messages.append(
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": result}]}
        )
    return messages


@pytest.mark.parametrize("headers", [{}, {"anthropic-beta": "interleaved-thinking-2025-05-14"}])
def test_context_management_without_the_beta_header_gets_the_real_error(
    emulator: Emulator, headers: dict[str, str]
) -> None:
    emulator.script(Reply(text="unused"))
    response = _claude(emulator, [{"role": "user", "content": "hi"}], [], headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == {"type": "invalid_request_error", "message": EXTRA_INPUTS}
    emulator.clear_script()


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
def test_applied_edits_are_reported_and_counted(emulator: Emulator, stream: bool) -> None:
    messages = _tool_history(emulator, [("toolu_a", "a", LONG), ("toolu_b", "b", LONG), ("toolu_c", "c", "short")])
    edits = [
        {"type": "clear_thinking_20251015", "keep": {"type": "thinking_turns", "value": 1}},
        {
            "type": "clear_tool_uses_20250919",
            "trigger": {"type": "input_tokens", "value": 500},
            "keep": {"type": "tool_uses", "value": 1},
        },
    ]
    emulator.script(Reply(reasoning="done", text="Done."))
    response = _claude(emulator, messages, edits, stream=stream)
    if stream:
        events = _events(response)
        (delta,) = [e for e in events if e["type"] == "message_delta"]
        applied = delta["context_management"]["applied_edits"]
        tokens = events[0]["message"]["usage"]["input_tokens"]
    else:
        applied = response.json()["context_management"]["applied_edits"]
        tokens = response.json()["usage"]["input_tokens"]
    assert applied == [
        {"type": "clear_thinking_20251015", "cleared_thinking_turns": 2, "cleared_input_tokens": 4},
        {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 2, "cleared_input_tokens": 1000},
    ]
    assert tokens == emulator.requests[-1].input_tokens - 1004


def test_exclude_tools_clear_at_least_and_the_default_trigger(emulator: Emulator) -> None:
    messages = _tool_history(emulator, [("toolu_a", "a", LONG), ("toolu_b", "memory", LONG), ("toolu_c", "c", "ok")])
    base: dict[str, Any] = {
        "type": "clear_tool_uses_20250919",
        "trigger": {"type": "input_tokens", "value": 500},
        "keep": {"type": "tool_uses", "value": 0},
    }
    cases = [
        (
            {**base, "exclude_tools": ["memory"]},
            [{"type": "clear_tool_uses_20250919", "cleared_tool_uses": 2, "cleared_input_tokens": 501}],
        ),
        ({**base, "clear_at_least": {"type": "input_tokens", "value": 2000}}, []),
        ({"type": "clear_tool_uses_20250919"}, []),  # 100,000 tokens by default
    ]
    # thinking off: the tool loop in progress may not carry thinking blocks (Anthropic's 400 otherwise)
    plain = [{**m, "content": [b for b in m["content"] if b["type"] != "thinking"]} for m in messages[1:]]
    for edit, expected in cases:
        emulator.script(Reply(text="Done."))
        response = _claude(emulator, messages[:1] + plain, [edit], thinking=False)
        assert response.json()["context_management"] == {"applied_edits": expected}


def test_without_context_management_no_field_comes_back(emulator: Emulator) -> None:
    emulator.script(Reply(text="Hi."))
    body = {"model": "claude-sonnet-4-5", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    response = httpx.post(emulator.url + "/v1/messages", json=body, headers={"x-api-key": "k"}, timeout=10)
    assert "context_management" not in response.json()
