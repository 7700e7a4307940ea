"""Scripting, recording, latency, concurrency counting and the subprocess mode."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import openai
import pytest

from .process import EmulatorProcess
from .responders import ToolLoop, example_arguments, tool_results
from .script import Reply
from .server import Emulator

USER = {"role": "user", "content": "hi"}
TOOL = {
    "type": "function",
    "function": {
        "name": "lookup",
        "parameters": {
            "type": "object",
            "properties": {"q": {"type": "string"}, "n": {"type": "integer"}, "mode": {"enum": ["fast", "slow"]}},
            "required": ["q", "n", "mode"],
        },
    },
}


def test_assert_all_consumed_reports_unused_replies(emulator: Emulator) -> None:
    emulator.script(Reply(text="never asked for"))
    with pytest.raises(AssertionError, match="unused scripted item: Reply\\(text='never asked for'"):
        emulator.assert_all_consumed()


def test_exhausted_script_is_a_clear_non_retried_error(emulator: Emulator) -> None:
    with (
        openai.OpenAI(base_url=emulator.base_url, api_key="k") as client,
        pytest.raises(openai.BadRequestError, match="no scripted reply left for request #0"),
    ):
        client.chat.completions.create(model="m", messages=[USER])
    assert len(emulator.requests) == 1
    with pytest.raises(AssertionError, match="no scripted reply left"):
        emulator.assert_all_consumed()


def test_responder_callback_and_its_failures(emulator: Emulator) -> None:
    seen: list[dict[str, Any]] = []

    def responder(request: dict[str, Any]) -> Reply:
        seen.append(request)
        if request["model"] == "boom":
            raise RuntimeError("callback bug")
        return Reply(text=request["messages"][-1]["content"].upper())

    emulator.responder = responder
    with openai.OpenAI(base_url=emulator.base_url, api_key="k", max_retries=0) as client:
        assert client.chat.completions.create(model="m", messages=[USER]).choices[0].message.content == "HI"
        with pytest.raises(openai.BadRequestError, match="RuntimeError: callback bug"):
            client.chat.completions.create(model="boom", messages=[USER])
    assert [r["model"] for r in seen] == ["m", "boom"]
    with pytest.raises(AssertionError, match="responder failed on request #1"):
        emulator.assert_all_consumed()


def test_recordings_keep_exact_bodies_in_order(emulator: Emulator) -> None:
    emulator.responder = ToolLoop(tool_turns=0)
    with httpx.Client(base_url=emulator.base_url) as http:
        http.post("/chat/completions", json={"model": "a", "messages": [USER]})
        http.post("/responses", json={"model": "b", "input": "x"}, headers={"Authorization": "Bearer sk-1"})
        bad = http.post("/chat/completions", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and "could not parse the JSON body" in bad.json()["error"]["message"]
    assert [r.path for r in emulator.requests] == ["/v1/chat/completions", "/v1/responses", "/v1/chat/completions"]
    assert emulator.bodies("/v1/responses") == [{"model": "b", "input": "x"}]
    assert emulator.requests[1].headers["authorization"] == "<redacted>"
    assert emulator.requests[2].body == "{not json"
    assert emulator.last_body == {}
    emulator.reset()
    assert emulator.requests == [] and emulator.stats.requests == 0


def test_tool_loop_responder_drives_three_turns_in_every_format() -> None:
    loop = ToolLoop(tool_turns=2, reasoning="r")
    first = loop({"messages": [USER], "tools": [TOOL]})
    assert first.tool_calls[0].name == "lookup"
    assert first.tool_calls[0].arguments == {"q": "x", "n": 1, "mode": "fast"}
    chat_history = [USER, {"role": "tool"}, {"role": "tool"}]
    assert loop({"messages": chat_history, "tools": [TOOL]}).text == "done"
    responses_history = [USER, {"type": "function_call_output"}]
    assert loop({"input": responses_history, "tools": [{"type": "function", **TOOL["function"]}]}).tool_calls
    anthropic_history = [USER, {"role": "user", "content": [{"type": "tool_result"}, {"type": "tool_result"}]}]
    assert tool_results({"messages": anthropic_history}) == 2
    assert example_arguments({"properties": {"x": {"type": ["null", "number"]}}, "required": ["x"]}) == {"x": 1.5}


async def test_latency_overlaps_and_max_in_flight_is_exact() -> None:
    with Emulator(latency_ms=100, responder=ToolLoop(tool_turns=0)) as emu:
        async with openai.AsyncOpenAI(base_url=emu.base_url, api_key="k", max_retries=0) as client:

            async def one() -> None:
                await client.chat.completions.create(model="m", messages=[USER])

            started = time.monotonic()
            await asyncio.gather(*(one() for _ in range(20)))
            wall = time.monotonic() - started
            assert emu.max_in_flight == 20
            assert 0.1 <= wall < 0.6

            emu.reset()
            cap = asyncio.Semaphore(4)

            async def capped() -> None:
                async with cap:
                    await one()

            await asyncio.gather(*(capped() for _ in range(12)))
            assert emu.max_in_flight == 4
            assert emu.stats.requests == 12


def test_subprocess_mode_serves_a_tool_loop() -> None:
    with EmulatorProcess(latency_ms=5, tool_turns=1) as emu:
        with openai.OpenAI(base_url=emu.base_url, api_key="k", max_retries=0) as client:
            first = client.chat.completions.create(model="m", messages=[USER], tools=[TOOL])
            calls = first.choices[0].message.tool_calls
            assert calls is not None
            history = [USER, first.choices[0].message.model_dump(exclude_none=True)]
            history.append({"role": "tool", "tool_call_id": calls[0].id, "content": "42"})
            final = client.chat.completions.create(model="m", messages=history, tools=[TOOL])
            assert final.choices[0].message.content == "done"
        stats = emu.stats()
        assert stats["requests"] == 2 and stats["max_in_flight"] == 1 and stats["errors"] == []
        emu.reset()
        assert emu.stats()["requests"] == 0
