"""The same 3-turn tool-using conversation in each framework (tool call, tool call, final text).

The emulator (``tests.emulator``, ``ToolLoop(tool_turns=2)``) answers a request that declares tools
with a call to the first tool until the history holds two tool results, then with the text ``done``.
Every framework gets the same prompt, the same one tool, the default ``AsyncOpenAI`` client (same
SDK version, same connection limits) and no instructions. Each ``make_*`` function builds the
framework's agent once (as an application would) and returns ``run(prompt) -> output``.

Frameworks are imported inside their factory, so a worker process loads only the one it measures.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

MODEL = "bench-model"
API_KEY = "bench"
PROMPT = "What is the weather in Paris?"
FINAL_TEXT = "done"
MAX_TURNS = 10

Run = Callable[[str], Awaitable[str]]
_CLOSERS: list[Callable[[], Awaitable[None]]] = []
FRAMEWORKS = ("raw", "agentkit", "pydantic_ai", "openai_agents")
TRANSPORTS = ("httpx", "aiohttp")
"""The ``openai`` SDK's HTTP transports: its default (httpx2) or ``openai.DefaultAioHttpClient``."""


def get_weather(city: str) -> str:
    """Current weather for a city.

    Args:
        city: City name, e.g. "Paris".
    """
    return f"Sunny, 21 C in {city}"


RAW_TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "description": 'City name, e.g. "Paris".'}},
                "required": ["city"],
            },
        },
    }
]


def _call_dict(call_id: str, name: str, arguments: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


def openai_client(base_url: str, transport: str) -> Any:
    """An ``AsyncOpenAI`` with the SDK's defaults (1,000 connections) on the given transport."""
    from openai import AsyncOpenAI, DefaultAioHttpClient

    http_client = DefaultAioHttpClient() if transport == "aiohttp" else None
    client = AsyncOpenAI(base_url=base_url, api_key=API_KEY, http_client=http_client)
    _CLOSERS.append(client.close)
    return client


async def close_all() -> None:
    """Close every client the factories opened (the worker calls this before exiting)."""
    while _CLOSERS:
        await _CLOSERS.pop()()


def make_raw(base_url: str, transport: str) -> Run:
    """A hand-written loop on the bare ``openai`` client: the floor every framework is compared to."""
    client = openai_client(base_url, transport)
    functions = {"get_weather": get_weather}

    async def run(prompt: str) -> str:
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        for _ in range(MAX_TURNS):
            completion = await client.chat.completions.create(model=MODEL, messages=messages, tools=RAW_TOOLS)
            message = completion.choices[0].message
            if not message.tool_calls:
                return message.content or ""
            calls = [
                _call_dict(c.id, c.function.name, c.function.arguments)
                for c in message.tool_calls
                if c.type == "function"
            ]
            messages.append({"role": "assistant", "content": message.content, "tool_calls": calls})
            for call in calls:
                result = functions[call["function"]["name"]](**json.loads(call["function"]["arguments"]))
                messages.append({"role": "tool", "tool_call_id": call["id"], "content": result})
        raise RuntimeError("no final answer")

    return run


def make_agentkit(base_url: str, transport: str) -> Run:
    """agentkit with the ``"openai-chat:"`` model string, pointed at the emulator by ``OPENAI_BASE_URL``.

    Another transport needs a client: then the same adapter is built with ``OpenAIChatModel(client=...)``.
    """
    import os

    from agentkit import Agent
    from agentkit.models import Model
    from agentkit.models.openai_chat import OpenAIChatModel

    os.environ["OPENAI_BASE_URL"] = base_url
    os.environ["OPENAI_API_KEY"] = API_KEY
    model: Model | str = f"openai-chat:{MODEL}"
    if transport != "httpx":
        model = OpenAIChatModel(MODEL, client=openai_client(base_url, transport))
    agent: Agent[None, str] = Agent(model, tools=[get_weather])
    _CLOSERS.append(agent.model.close)

    async def run(prompt: str) -> str:
        return (await agent.run(prompt)).output

    return run


def make_pydantic_ai(base_url: str, transport: str) -> Run:
    """PydanticAI's Chat Completions model; its provider gets the same ``AsyncOpenAI`` client as the others.

    (Left to itself, ``OpenAIProvider(base_url=...)`` builds its own HTTP client with other limits.)
    """
    from pydantic_ai import Agent
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    provider = OpenAIProvider(openai_client=openai_client(base_url, transport))
    model = OpenAIChatModel(MODEL, provider=provider)
    agent = Agent(model, tools=[get_weather])

    async def run(prompt: str) -> str:
        return str((await agent.run(prompt)).output)

    return run


def make_openai_agents(base_url: str, transport: str) -> Run:
    """The OpenAI Agents SDK on its Chat Completions model (tracing off: it would export to OpenAI)."""
    from agents import Agent, OpenAIChatCompletionsModel, Runner, function_tool, set_tracing_disabled

    set_tracing_disabled(True)
    model = OpenAIChatCompletionsModel(model=MODEL, openai_client=openai_client(base_url, transport))
    agent: Agent[Any] = Agent(name="bench", model=model, tools=[function_tool(get_weather)])

    async def run(prompt: str) -> str:
        return str((await Runner.run(agent, prompt, max_turns=MAX_TURNS)).final_output)

    return run


FACTORIES: dict[str, Callable[[str, str], Run]] = {
    "raw": make_raw,
    "agentkit": make_agentkit,
    "pydantic_ai": make_pydantic_ai,
    "openai_agents": make_openai_agents,
}


def make(framework: str, base_url: str, transport: str = "httpx") -> Run:
    """The run function of ``framework`` (one of :data:`FRAMEWORKS`) over ``transport``."""
    return FACTORIES[framework](base_url, transport)


async def checked(run: Run, prompt: str = PROMPT) -> None:
    """Run once and fail loudly if the conversation did not end with the emulator's final text."""
    output = await run(prompt)
    if output != FINAL_TEXT:
        raise RuntimeError(f"unexpected output {output!r} (expected {FINAL_TEXT!r})")
