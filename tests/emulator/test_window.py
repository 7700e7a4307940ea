"""Context windows: the token counter, each provider's overflow error, and usage from the same counter."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .script import Reply, Usage
from .server import Emulator
from .window import count_tokens

JSON = dict[str, Any]
BIG = "x" * 4000  # 1,000 tokens of content
CHAT_BODY: JSON = {"model": "gpt-4.1", "messages": [{"role": "user", "content": BIG}]}
RESPONSES_BODY: JSON = {"model": "o4-mini", "input": [{"role": "user", "content": BIG}]}
MESSAGES_BODY: JSON = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": [{"role": "user", "content": BIG}]}


@pytest.fixture
def small() -> Iterator[Emulator]:
    """An emulator whose every model has a 500-token window."""
    with Emulator(context_window=500) as emu:
        yield emu


def post(emu: Emulator, path: str, body: JSON) -> httpx.Response:
    return httpx.post(emu.url + path, json=body, timeout=5)


def sse_events(response: httpx.Response) -> list[JSON]:
    return [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]


# --- the counter ---------------------------------------------------------------------------------------
def test_counter_counts_string_values_of_prompt_fields_plus_item_overhead() -> None:
    body = {
        "model": "ignored-model-name",
        "temperature": 0.5,
        "system": "abcd" * 3,  # 12 chars
        "messages": [{"role": "user", "content": "x" * 20}, {"role": "assistant", "content": "y" * 3}],
    }
    chars = 12 + len("user") + 20 + len("assistant") + 3
    assert count_tokens(body) == math.ceil(chars / 4) + 2 * 4
    assert count_tokens({"model": "m"}) == 1  # never 0


def test_counter_is_independent_of_json_formatting_and_wire_format() -> None:
    chat = {"messages": [{"role": "user", "content": "héllo\n" * 50}]}
    responses = {"input": [{"role": "user", "content": "héllo\n" * 50}]}
    assert count_tokens(chat) == count_tokens(responses) == count_tokens(json.loads(json.dumps(chat, indent=2)))


# --- each wire format's overflow error -----------------------------------------------------------------
def test_chat_over_window_gets_openai_context_length_exceeded(small: Emulator) -> None:
    small.script(Reply(text="never sent"))
    tokens = count_tokens(CHAT_BODY)
    for stream in (False, True):
        response = post(small, "/v1/chat/completions", {**CHAT_BODY, "stream": stream})
        assert response.status_code == 400
        assert response.json() == {
            "error": {
                "message": f"This model's maximum context length is 500 tokens. However, your messages resulted in "
                f"{tokens} tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        }
    assert [r.outcome for r in small.requests] == ["context-window", "context-window"]
    assert small.requests[0].input_tokens == tokens == 1005
    assert (
        post(small, "/v1/chat/completions", {"model": "gpt-4.1", "messages": []}).json()["choices"][0]["message"][
            "content"
        ]
        == "never sent"
    )  # the refused requests did not consume the scripted reply
    small.assert_all_consumed()


def test_responses_over_window_gets_the_responses_text_without_a_window(small: Emulator) -> None:
    response = post(small, "/v1/responses", RESPONSES_BODY)
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "message": "Your input exceeds the context window of this model. Please adjust your input and try again.",
            "type": "invalid_request_error",
            "param": "input",
            "code": "context_length_exceeded",
        }
    }


def test_streamed_responses_over_window_fails_in_the_stream(small: Emulator) -> None:
    response = post(small, "/v1/responses", {**RESPONSES_BODY, "stream": True})
    assert response.status_code == 200
    events = sse_events(response)
    assert [e["type"] for e in events] == ["response.created", "response.in_progress", "response.failed"]
    assert [e["sequence_number"] for e in events] == [0, 1, 2]
    failed = events[-1]["response"]
    assert (failed["status"], failed["output"], failed["usage"]) == ("failed", [], None)
    assert failed["error"] == {
        "code": "context_length_exceeded",
        "message": "Your input exceeds the context window of this model. Please adjust your input and try again.",
    }
    assert "event: response.failed\n" in response.text


def test_anthropic_over_window_gets_prompt_is_too_long(small: Emulator) -> None:
    tokens = count_tokens(MESSAGES_BODY)
    for stream in (False, True):
        response = post(small, "/v1/messages", {**MESSAGES_BODY, "stream": stream})
        assert response.status_code == 400
        body = response.json()
        assert body["type"] == "error"
        assert body["error"] == {
            "type": "invalid_request_error",
            "message": f"prompt is too long: {tokens} tokens > 500 maximum",
        }
        assert body["request_id"].startswith("req_")


def test_deepseek_counts_max_tokens_like_deepseek() -> None:
    with Emulator(chat_mode="deepseek", context_window=1100) as emu:
        emu.script(Reply(text="fits"))
        body = {**CHAT_BODY, "model": "deepseek-chat"}
        assert post(emu, "/v1/chat/completions", body).status_code == 200  # 1,005 tokens, no max_tokens
        response = post(emu, "/v1/chat/completions", {**body, "max_tokens": 200})
        assert response.status_code == 400
        assert response.json()["error"] == {
            "message": "This model's maximum context length is 1100 tokens. However, you requested 1205 tokens "
            "(1005 in the messages, 200 in the completion). Please reduce the length of the messages or completion.",
            "type": "invalid_request_error",
            "param": None,
            "code": "invalid_request_error",
        }


# --- which window applies --------------------------------------------------------------------------------
def test_per_model_windows_override_the_default_and_can_change_while_running() -> None:
    with Emulator(model_windows={"small-model": 500}) as emu:
        emu.script(Reply(text="a"), Reply(text="b"))
        assert post(emu, "/v1/chat/completions", {**CHAT_BODY, "model": "small-model"}).status_code == 400
        assert post(emu, "/v1/chat/completions", CHAT_BODY).status_code == 200  # no window for gpt-4.1
        emu.windows.default = 100
        emu.windows.set("gpt-4.1", 2000)
        assert post(emu, "/v1/chat/completions", CHAT_BODY).status_code == 200
        emu.windows.set("gpt-4.1", None)  # back to the default (100)
        assert post(emu, "/v1/chat/completions", CHAT_BODY).status_code == 400


def test_a_request_exactly_at_the_window_is_answered() -> None:
    tokens = count_tokens(CHAT_BODY)
    with Emulator(context_window=tokens) as emu:
        emu.script(Reply(text="fits"))
        assert post(emu, "/v1/chat/completions", CHAT_BODY).status_code == 200
        emu.windows.default = tokens - 1
        assert post(emu, "/v1/chat/completions", CHAT_BODY).status_code == 400


@pytest.mark.parametrize("bad", [0, -5, 1.5, "16k", True])
def test_bad_window_is_refused_with_a_clear_error(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"^a context window is a positive number of tokens, got "):
        Emulator(context_window=bad)
    with pytest.raises(ValueError, match=r"^a context window is a positive number of tokens, got "):
        Emulator(model_windows={"m": bad})


def test_responses_count_includes_items_stored_under_previous_response_id() -> None:
    with Emulator(context_window=1500) as emu:
        emu.script(Reply(text="first"), Reply(text="never sent"))
        first = post(emu, "/v1/responses", RESPONSES_BODY).json()
        follow_up = {
            "model": "o4-mini",
            "previous_response_id": first["id"],
            "input": [{"role": "user", "content": BIG}],
        }
        response = post(emu, "/v1/responses", follow_up)
        assert response.status_code == 400  # 1,000 new tokens + 1,000 stored ones
        assert emu.requests[1].input_tokens > 2000


# --- usage reports the same count ------------------------------------------------------------------------
def test_usage_reports_the_counter_on_every_wire_format(emulator: Emulator) -> None:
    emulator.script(Reply(text="a"), Reply(text="b"), Reply(text="c"), Reply(text="d"))
    chat = post(emulator, "/v1/chat/completions", CHAT_BODY).json()
    assert chat["usage"]["prompt_tokens"] == count_tokens(CHAT_BODY)
    stream = post(
        emulator, "/v1/chat/completions", {**CHAT_BODY, "stream": True, "stream_options": {"include_usage": True}}
    )
    assert sse_events(stream)[-1]["usage"]["prompt_tokens"] == count_tokens(CHAT_BODY)
    responses = post(emulator, "/v1/responses", RESPONSES_BODY).json()
    assert responses["usage"]["input_tokens"] == count_tokens(RESPONSES_BODY)
    messages = post(emulator, "/v1/messages", MESSAGES_BODY).json()
    assert messages["usage"]["input_tokens"] == count_tokens(MESSAGES_BODY)
    assert [r.input_tokens for r in emulator.requests] == [
        count_tokens(b) for b in (CHAT_BODY, CHAT_BODY, RESPONSES_BODY, MESSAGES_BODY)
    ]


def test_scripted_usage_still_overrides_the_count(emulator: Emulator) -> None:
    emulator.script(Reply(text="a", usage=Usage(input_tokens=7)))
    assert post(emulator, "/v1/chat/completions", CHAT_BODY).json()["usage"]["prompt_tokens"] == 7
