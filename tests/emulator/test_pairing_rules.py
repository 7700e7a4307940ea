"""Anthropic's pairing rule the other way round: a ``tool_result`` needs the ``tool_use`` right before it.

(Unanswered calls on all three wire formats, and orphan results on Chat Completions and Responses, are
tested in ``test_emulator.py``; agentkit's histories against all of them in ``tests/core/test_conversations.py``.)
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .script import Reply
from .server import Emulator

USER = {"role": "user", "content": "Weather in Paris?"}
USE = {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}
ORPHAN_TEXT = (
    "messages.{index}.content.{block}: unexpected `tool_use_id` found in `tool_result` blocks: {ids}. "
    "Each `tool_result` block must have a corresponding `tool_use` block in the previous message."
)


def _result(tool_use_id: str) -> dict[str, Any]:
    return {"type": "tool_result", "tool_use_id": tool_use_id, "content": "sunny"}


def _post(emulator: Emulator, messages: list[dict[str, Any]]) -> httpx.Response:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "messages": messages}
    headers = {"x-api-key": "sk-ant-secret", "anthropic-version": "2023-06-01"}
    return httpx.post(emulator.url + "/v1/messages", json=body, headers=headers, timeout=10)


@pytest.mark.parametrize(
    ("messages", "index", "block", "ids"),
    [
        pytest.param([{"role": "user", "content": [_result("toolu_9")]}], 0, 0, "toolu_9", id="no-tool-use-at-all"),
        pytest.param(
            [
                USER,
                {"role": "assistant", "content": [USE]},
                {"role": "user", "content": [_result("toolu_1"), _result("toolu_2")]},
            ],
            2,
            1,
            "toolu_2",
            id="one-result-too-many",
        ),
        pytest.param(
            [
                USER,
                {"role": "assistant", "content": [USE]},
                {"role": "user", "content": [_result("toolu_1")]},
                {"role": "assistant", "content": [{"type": "text", "text": "Sunny."}]},
                {"role": "user", "content": [{"type": "text", "text": "Again?"}, _result("toolu_1")]},
            ],
            4,
            1,
            "toolu_1",
            id="answers-an-older-turn",
        ),
    ],
)
def test_a_tool_result_without_its_tool_use_gets_anthropics_400(
    emulator: Emulator, messages: list[dict[str, Any]], index: int, block: int, ids: str
) -> None:
    response = _post(emulator, messages)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": ORPHAN_TEXT.format(index=index, block=block, ids=ids),
    }


def test_results_answering_the_previous_tool_use_are_accepted(emulator: Emulator) -> None:
    emulator.script(Reply(text="Sunny."))
    messages: list[dict[str, Any]] = [
        USER,
        {"role": "assistant", "content": [USE]},
        {"role": "user", "content": [_result("toolu_1")]},
    ]
    response = _post(emulator, messages)
    assert response.status_code == 200
    emulator.assert_all_consumed()
