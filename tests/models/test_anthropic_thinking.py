"""Claude's thinking rules (one configuration per turn, adaptive and interleaved thinking, effort, forced
tool choice, budget below max_tokens): the emulator enforces them with Anthropic's real error texts, and
the litellm adapter keeps to them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from agentkit import ModelSettings
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, ToolResult, UserPart
from agentkit.models.base import RequestParams
from agentkit.models.litellm import LiteLLMModel
from agentkit.tools import ToolDefinition
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.emulator.errors import (
    FINAL_ASSISTANT_NEEDS_THINKING,
    MAX_TOKENS_NOT_ABOVE_BUDGET,
    THINKING_DISABLED_IN_TURN,
    THINKING_WITH_FORCED_TOOL,
)
from tests.models._helpers import WEATHER_SCHEMA, opened, weather_agent

INTERLEAVED = "interleaved-thinking-2025-05-14"
ADAPTIVE = {"type": "adaptive", "display": "summarized"}
MANUAL = {"type": "enabled", "budget_tokens": 2048}
TOOL = {"name": "get_weather", "input_schema": WEATHER_SCHEMA}
WEATHER = ToolDefinition("get_weather", "Current weather for a city.", WEATHER_SCHEMA)
ANSWER = ToolDefinition("final_result", "The final answer.", {"type": "object", "properties": {"city": {}}})
PARIS_ID, ROME_ID = "toolu_01paris", "toolu_01rome"
PARIS = Call("get_weather", {"city": "Paris"}, call_id=PARIS_ID)
ROME = Call("get_weather", {"city": "Rome"}, call_id=ROME_ID)
Messages = list[ModelRequest | ModelResponse]


def claude(emulator: Emulator, name: str = "anthropic/claude-sonnet-4-5") -> LiteLLMModel:
    return opened(LiteLLMModel(name, base_url=emulator.url, api_key="sk-ant-test"))


def post(
    emulator: Emulator, messages: list[dict[str, Any]], headers: dict[str, str] | None = None, **fields: Any
) -> httpx.Response:
    body = {"model": "claude-sonnet-4-5", "max_tokens": 4096, "tools": [TOOL], "messages": messages, **fields}
    sent = {"x-api-key": "sk-ant-test", "anthropic-version": "2023-06-01", **(headers or {})}
    return httpx.post(emulator.url + "/v1/messages", json=body, headers=sent, timeout=10)


def user(text: str) -> dict[str, Any]:
    return {"role": "user", "content": text}


def result(call_id: str) -> dict[str, Any]:
    return {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call_id, "content": "sunny"}]}


def step(emulator: Emulator, messages: list[dict[str, Any]], reply: Reply, **fields: Any) -> dict[str, Any]:
    """One request the emulator answers; its answer as the assistant message to send back."""
    emulator.script(reply)
    response = post(emulator, messages, **fields)
    assert response.status_code == 200, response.text
    return {"role": "assistant", "content": response.json()["content"]}


def error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, str(response.json()["error"]["message"])


# --- the emulator learns the rules -----------------------------------------------------------------


def test_emulator_one_thinking_configuration_per_turn(emulator: Emulator) -> None:
    first = step(emulator, [user("Paris?")], Reply(reasoning="Paris.", tool_calls=[PARIS]), thinking=MANUAL)
    second = step(emulator, [user("Paris?"), first, result(PARIS_ID)], Reply(tool_calls=[ROME]), thinking=MANUAL)
    assert [b["type"] for b in second["content"]] == ["tool_use"]  # no thinking after the tool result
    loop = [user("Paris?"), first, result(PARIS_ID), second, result(ROME_ID)]

    emulator.script(Reply(text="Both sunny."))
    assert post(emulator, loop, thinking=MANUAL).status_code == 200  # the turn began with thinking: fine
    switched_off = post(emulator, loop)
    assert error(switched_off) == (400, THINKING_DISABLED_IN_TURN.format(index=1, block=0))
    assert error(switched_off)[1] == (
        "messages.1.content.0: When thinking is disabled, an `assistant` message in the final position cannot "
        "contain `thinking`. To use thinking blocks, enable `thinking` in your request."
    )
    emulator.script(Reply(text="Bye."))
    assert post(emulator, [*loop, {"role": "assistant", "content": "Sunny."}, user("thanks")]).status_code == 200


def test_emulator_refuses_manual_thinking_switched_on_in_the_middle_of_a_turn(emulator: Emulator) -> None:
    first = step(emulator, [user("Paris?")], Reply(reasoning="unseen", tool_calls=[PARIS]))
    assert [b["type"] for b in first["content"]] == ["tool_use"]
    loop = [user("Paris?"), first, result(PARIS_ID)]
    expected = FINAL_ASSISTANT_NEEDS_THINKING.format(index=1, found="tool_use")
    assert error(post(emulator, loop, thinking=MANUAL)) == (400, expected)
    emulator.script(Reply(text="Sunny."))  # adaptive thinking: Claude may skip thinking in any step
    assert post(emulator, loop, thinking=ADAPTIVE, model="claude-opus-4-6").status_code == 200


@pytest.mark.parametrize("choice", [{"type": "any"}, {"type": "tool", "name": "get_weather"}])
def test_emulator_refuses_forced_tool_use_with_manual_thinking(emulator: Emulator, choice: dict[str, Any]) -> None:
    refused = post(emulator, [user("Paris?")], thinking=MANUAL, tool_choice=choice)
    assert error(refused) == (400, "Thinking may not be enabled when tool_choice forces tool use.")
    assert error(refused)[1] == THINKING_WITH_FORCED_TOOL
    emulator.script(Reply(tool_calls=[PARIS]), Reply(tool_calls=[PARIS]), Reply(tool_calls=[PARIS]))
    assert post(emulator, [user("Paris?")], thinking=ADAPTIVE, tool_choice=choice).status_code == 200
    assert post(emulator, [user("Paris?")], tool_choice=choice).status_code == 200
    assert post(emulator, [user("Paris?")], thinking=MANUAL, tool_choice={"type": "auto"}).status_code == 200


def test_emulator_refuses_a_budget_not_below_max_tokens_unless_interleaved(emulator: Emulator) -> None:
    budget = {"type": "enabled", "budget_tokens": 4096}
    refused = post(emulator, [user("Paris?")], thinking=budget, max_tokens=4096)
    assert error(refused) == (400, MAX_TOKENS_NOT_ABOVE_BUDGET)
    assert error(refused)[1].startswith("`max_tokens` must be greater than `thinking.budget_tokens`.")
    emulator.script(Reply(text="Sunny."))
    beta = {"anthropic-beta": f"context-management-2025-06-27, {INTERLEAVED}"}
    assert post(emulator, [user("Paris?")], beta, thinking=budget, max_tokens=1024).status_code == 200


# --- the adapter keeps to them ---------------------------------------------------------------------

LOOP = (
    Reply(reasoning="Paris first, then Rome.", tool_calls=[PARIS]),
    Reply(tool_calls=[ROME]),  # Claude 4 without interleaved thinking: no thinking after a tool result
    Reply(text="Paris is warmer."),
)


@pytest.mark.parametrize("stream", [False, True], ids=["request", "stream"])
async def test_thinking_stays_on_for_every_request_of_the_tool_loop(emulator: Emulator, stream: bool) -> None:
    emulator.script(*LOOP)
    agent = weather_agent(claude(emulator), settings=ModelSettings(thinking_budget=2048, max_tokens=8000))
    if stream:
        events = [e async for e in agent.stream("Paris or Rome?")]
        output = events[-1].output  # type: ignore[union-attr]
    else:
        output = (await agent.run("Paris or Rome?")).output
    assert output == "Paris is warmer."
    emulator.assert_all_consumed()
    bodies = emulator.bodies("/v1/messages")
    assert [b.get("thinking") for b in bodies] == [MANUAL, MANUAL, MANUAL]
    last = bodies[2]["messages"]
    assert [[b["type"] for b in m["content"]] for m in last if m["role"] == "assistant"] == [
        ["thinking", "tool_use"],
        ["tool_use"],
    ]


async def test_without_thinking_the_turns_thinking_blocks_are_left_out(emulator: Emulator) -> None:
    model = claude(emulator)
    emulator.script(LOOP[0], Reply(text="Sunny."))
    history: Messages = [ModelRequest(parts=[UserPart(content="Paris?")])]
    first = await model.request(history, ModelSettings(thinking_budget=2048), RequestParams(tools=[WEATHER]))
    history += [first, ModelRequest(parts=[ToolResult(call_id=PARIS_ID, name="get_weather", content="sunny")])]
    answer = await model.request(history, ModelSettings(), RequestParams(tools=[WEATHER]))
    assert answer.text == "Sunny."
    assert "thinking" not in emulator.last_body
    assert [b["type"] for b in emulator.last_body["messages"][1]["content"]] == ["tool_use"]
    assert [type(p).__name__ for p in first.parts] == ["ReasoningPart", "ToolCall"]  # the history keeps it


@pytest.mark.parametrize(
    ("name", "settings", "thinking", "output_config"),
    [
        ("claude-opus-4-6", ModelSettings(thinking_budget="adaptive", reasoning_effort="medium"), ADAPTIVE, "medium"),
        ("claude-opus-4-6", ModelSettings(reasoning_effort="low", interleaved_thinking=True), ADAPTIVE, "low"),
        ("claude-sonnet-4-6", ModelSettings(thinking_budget="adaptive"), ADAPTIVE, None),
        ("claude-opus-4-5-20251101", ModelSettings(thinking_budget=2048, reasoning_effort="high"), MANUAL, "high"),
        ("claude-sonnet-4-5", ModelSettings(thinking_budget=2048, reasoning_effort="high"), MANUAL, None),
    ],
)
async def test_adaptive_thinking_and_effort(
    emulator: Emulator, name: str, settings: ModelSettings, thinking: dict[str, Any], output_config: str | None
) -> None:
    emulator.script(Reply(reasoning="Think.", text="Sunny."))
    model = claude(emulator, f"anthropic/{name}")
    request: Messages = [ModelRequest(parts=[UserPart(content="Paris?")])]
    response = await model.request(request, settings, RequestParams())
    assert response.text == "Sunny."
    body = emulator.last_body
    assert body["thinking"] == thinking
    assert body.get("output_config") == ({"effort": output_config} if output_config else None)
    assert INTERLEAVED not in emulator.requests[-1].headers.get("anthropic-beta", "")  # adaptive interleaves itself


async def test_interleaved_thinking_sends_the_beta_header_and_allows_a_larger_budget(emulator: Emulator) -> None:
    emulator.script(*LOOP)
    settings = ModelSettings(thinking_budget=8000, max_tokens=4000, interleaved_thinking=True)
    assert (await weather_agent(claude(emulator), settings=settings).run("Paris or Rome?")).output == "Paris is warmer."
    assert [r.headers["anthropic-beta"] for r in emulator.requests] == [INTERLEAVED] * 3
    assert [(b["thinking"]["budget_tokens"], b["max_tokens"]) for b in emulator.bodies()] == [(8000, 4000)] * 3


async def test_a_budget_not_below_max_tokens_is_refused_before_any_request(emulator: Emulator) -> None:
    settings = ModelSettings(thinking_budget=4096, max_tokens=4096)
    with pytest.raises(UserError) as info:
        await weather_agent(claude(emulator), settings=settings).run("Paris or Rome?")
    assert str(info.value) == (
        "ModelSettings(thinking_budget=4096) must be below max_tokens=4096: Anthropic counts thinking against "
        "max_tokens and refuses such a request. Raise max_tokens above 4096, lower thinking_budget below 4096, "
        "or set interleaved_thinking=True (Claude 4 models; the budget then covers the whole tool loop and may "
        "exceed max_tokens)."
    )
    assert emulator.requests == []


async def test_adaptive_thinking_is_refused_where_there_is_none(emulator: Emulator) -> None:
    request: Messages = [ModelRequest(parts=[UserPart(content="Paris?")])]
    with pytest.raises(UserError) as info:
        await claude(emulator).request(request, ModelSettings(thinking_budget="adaptive"), RequestParams())
    assert str(info.value) == (
        "ModelSettings(thinking_budget='adaptive'): 'anthropic/claude-sonnet-4-5' has no adaptive thinking "
        "(Claude Opus 4.6, Sonnet 4.6 and later have it). Set thinking_budget=N (a number of tokens) or "
        "reasoning_effort=... for this model."
    )
    gemini = LiteLLMModel("gemini/gemini-2.5-pro", api_key="k")
    with pytest.raises(UserError) as info:
        gemini.build_kwargs(request, ModelSettings(thinking_budget="adaptive"), RequestParams())
    assert str(info.value) == (
        "ModelSettings(thinking_budget='adaptive') is Anthropic's adaptive thinking, for Claude models; "
        "'gemini/gemini-2.5-pro' takes a number of thinking tokens (thinking_budget=N) or reasoning_effort=...."
    )
    assert emulator.requests == []


FORCED = [
    pytest.param(RequestParams(tools=[WEATHER], allow_text_output=False), {"type": "any"}, id="required"),
    pytest.param(
        RequestParams(tools=[WEATHER], output_tool=ANSWER, allow_text_output=False, final_answer=True),
        {"type": "tool", "name": "final_result"},
        id="output-tool",
    ),
]


@pytest.mark.parametrize(("params", "forced"), FORCED)
async def test_manual_thinking_never_forces_a_tool(
    emulator: Emulator, params: RequestParams, forced: dict[str, Any]
) -> None:
    request: Messages = [ModelRequest(parts=[UserPart(content="Paris?")])]
    emulator.script(*[Reply(tool_calls=[Call("final_result", {"city": "Paris"})])] * 3)
    await claude(emulator).request(request, ModelSettings(thinking_budget=2048), params)
    assert emulator.last_body["thinking"] == MANUAL
    assert emulator.last_body["tool_choice"] == {"type": "auto"}
    await claude(emulator).request(request, ModelSettings(), params)
    assert emulator.last_body["tool_choice"] == forced  # without thinking the tool stays forced
    await claude(emulator, "anthropic/claude-opus-4-6").request(request, ModelSettings(reasoning_effort="low"), params)
    assert (emulator.last_body["thinking"], emulator.last_body["tool_choice"]) == (ADAPTIVE, forced)
    emulator.assert_all_consumed()
