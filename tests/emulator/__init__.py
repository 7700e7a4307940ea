"""Loopback provider emulator: OpenAI Chat Completions / Responses, DeepSeek, Anthropic Messages.

A real HTTP server on 127.0.0.1 that answers with scripted replies in each provider's
wire format, enforces the providers' reasoning-state rules with their real error texts,
injects faults, records every request, and measures concurrency::

    from tests.emulator import Emulator, Reply, ToolCall, Fault

    with Emulator() as emu:
        emu.script(Reply(reasoning="need weather", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
                   Reply(text="Sunny."))
        client = openai.OpenAI(base_url=emu.base_url, api_key="test")
        ...
        assert emu.bodies("/v1/responses")[1]["input"][1]["type"] == "reasoning"
        emu.assert_all_consumed()
"""

from .errors import ProviderError
from .process import EmulatorProcess
from .recording import RecordedRequest, Stats
from .responders import ToolLoop, example_arguments, tool_results
from .script import Fault, Reply, Responder, ToolCall, Usage
from .server import Emulator

__all__ = [
    "Emulator",
    "EmulatorProcess",
    "Fault",
    "ProviderError",
    "RecordedRequest",
    "Reply",
    "Responder",
    "Stats",
    "ToolCall",
    "ToolLoop",
    "Usage",
    "example_arguments",
    "tool_results",
]
