"""The emulator's rules for images and documents in message content (``rules_files.py``), with each
provider's own error text; agentkit's requests against them are in ``tests/models/test_multimodal_wire.py``."""

from __future__ import annotations

from typing import Any

import httpx

from .script import Reply
from .server import Emulator

PNG_URL = "data:image/png;base64,iVBORw0KGgo="
CALL = {"id": "call_1", "type": "function", "function": {"name": "shot", "arguments": "{}"}}


def _post(emulator: Emulator, path: str, body: dict[str, Any]) -> httpx.Response:
    headers = {"authorization": "Bearer sk-test", "x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01"}
    return httpx.post(emulator.url + path, json=body, headers=headers, timeout=10)


def test_chat_refuses_an_image_in_a_tool_message() -> None:
    image = {"type": "image_url", "image_url": {"url": PNG_URL}}
    messages = [
        {"role": "user", "content": "Take a screenshot."},
        {"role": "assistant", "content": None, "tool_calls": [CALL]},
        {"role": "tool", "tool_call_id": "call_1", "content": [{"type": "text", "text": "done"}, image]},
    ]
    with Emulator() as emu:
        answer = _post(emu, "/v1/chat/completions", {"model": "gpt-4.1", "messages": messages})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "Invalid 'messages[2]'. Image URLs are only allowed for messages with role 'user', but this message "
        "with role 'tool' contains an image URL."
    )


def test_chat_takes_an_image_in_a_user_message() -> None:
    content = [{"type": "text", "text": "What is this?"}, {"type": "image_url", "image_url": {"url": PNG_URL}}]
    with Emulator() as emu:
        emu.script(Reply(text="A cat."))
        answer = _post(
            emu, "/v1/chat/completions", {"model": "gpt-4.1", "messages": [{"role": "user", "content": content}]}
        )
    assert answer.status_code == 200


def test_responses_refuses_an_output_part_in_a_function_call_output() -> None:
    items = [
        {"role": "user", "content": "Take a screenshot."},
        {"type": "function_call", "call_id": "call_1", "name": "shot", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "call_1", "output": [{"type": "output_text", "text": "done"}]},
    ]
    with Emulator() as emu:
        answer = _post(emu, "/v1/responses", {"model": "gpt-4.1", "input": items})
    assert answer.status_code == 400
    assert answer.json()["error"] == {
        "message": "Invalid value: 'output_text'. Supported values are: 'input_text', 'input_image', 'input_file', "
        "and 'scoped_content'.",
        "type": "invalid_request_error",
        "param": "input[2].output[0]",
        "code": "invalid_value",
    }


def test_anthropic_refuses_an_image_type_it_does_not_read_even_in_a_tool_result() -> None:
    bmp = {"type": "image", "source": {"type": "base64", "media_type": "image/bmp", "data": "Qk0="}}
    messages = [
        {"role": "user", "content": "Take a screenshot."},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "shot", "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [bmp]}]},
    ]
    with Emulator() as emu:
        answer = _post(emu, "/v1/messages", {"model": "claude-sonnet-4-5", "max_tokens": 64, "messages": messages})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == (
        "messages.2.content.0.tool_result.content.0.image.source.base64.media_type: Input should be "
        "'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
    )
