"""Model strings: each prefix builds its adapter with its provider's server and key, keys never cross
providers, Ollama and vLLM work end to end, and a bad string says what is allowed (issue 14, item 4)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from agentkit import Agent, AgentResult
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, UserPart
from agentkit.models import _PREFIXES, check_spec, infer_model
from agentkit.models._openai_common import KNOWN_SERVERS
from agentkit.models.base import RequestParams
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.settings import ModelSettings
from tests.emulator import Emulator, Reply

ROOT = Path(__file__).resolve().parents[2]
KEY_ENVS = sorted({server.key_env for server in KNOWN_SERVERS.values()})
URL_ENVS = ("OPENAI_BASE_URL", "OLLAMA_BASE_URL", "VLLM_BASE_URL")
LITELLM_WARNING = "ignore:Items? .* on TypedDict class .* (is|are) using the .ReadOnly. qualifier:UserWarning"
OPENAI_KEY = "sk-openai-key-that-must-stay-with-openai-0001"

# spec, adapter, model name sent, provider, server, environment variable of the key
CHAT_CASES = [
    ("openai:gpt-5", OpenAIResponsesModel, "gpt-5", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    ("openai-chat:gpt-4.1", OpenAIChatModel, "gpt-4.1", "openai", "https://api.openai.com/v1", "OPENAI_API_KEY"),
    (
        "deepseek:deepseek-reasoner",
        OpenAIChatModel,
        "deepseek-reasoner",
        "deepseek",
        "https://api.deepseek.com",
        "DEEPSEEK_API_KEY",
    ),
    (
        "openrouter:anthropic/claude-sonnet-4.5",
        OpenAIChatModel,
        "anthropic/claude-sonnet-4.5",
        "openrouter",
        "https://openrouter.ai/api/v1",
        "OPENROUTER_API_KEY",
    ),
    (
        "groq:qwen/qwen3-32b",
        OpenAIChatModel,
        "qwen/qwen3-32b",
        "groq",
        "https://api.groq.com/openai/v1",
        "GROQ_API_KEY",
    ),
    (
        "moonshot:kimi-k2-thinking",
        OpenAIChatModel,
        "kimi-k2-thinking",
        "moonshot",
        "https://api.moonshot.ai/v1",
        "MOONSHOT_API_KEY",
    ),
    (
        "together:deepseek-ai/DeepSeek-R1",
        OpenAIChatModel,
        "deepseek-ai/DeepSeek-R1",
        "together",
        "https://api.together.xyz/v1",
        "TOGETHER_API_KEY",
    ),
    (
        "fireworks:accounts/fireworks/models/qwen3-235b-a22b",
        OpenAIChatModel,
        "accounts/fireworks/models/qwen3-235b-a22b",
        "fireworks",
        "https://api.fireworks.ai/inference/v1",
        "FIREWORKS_API_KEY",
    ),
    ("xai:grok-4", OpenAIChatModel, "grok-4", "xai", "https://api.x.ai/v1", "XAI_API_KEY"),
    ("ollama:qwen3:8b", OpenAIChatModel, "qwen3:8b", "ollama", "http://localhost:11434/v1", "OLLAMA_API_KEY"),
    ("vllm:Qwen/Qwen3-8B", OpenAIChatModel, "Qwen/Qwen3-8B", "vllm", "http://localhost:8000/v1", "VLLM_API_KEY"),
]
LITELLM_CASES = [
    ("anthropic:claude-sonnet-4-5", "anthropic/claude-sonnet-4-5", "anthropic"),
    ("gemini:gemini-2.5-pro", "gemini/gemini-2.5-pro", "gemini"),
    ("litellm:mistral/mistral-large-latest", "mistral/mistral-large-latest", "mistral"),
]
HOSTED = [case for case in CHAT_CASES if case[3] not in ("openai", "ollama", "vllm")]
LOCAL_SERVERS = [case for case in CHAT_CASES if case[3] in ("ollama", "vllm")]

FORMATS = (
    '"openai:<model>", "openai-chat:<model>", "anthropic:<model>", "gemini:<model>", "deepseek:<model>", '
    '"openrouter:<vendor/model>", "groq:<model>", "moonshot:<model>", "together:<model>", "fireworks:<model>", '
    '"xai:<model>", "ollama:<model>", "vllm:<model>", "litellm:<provider/model>", "local", "local:<path.gguf>"'
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No provider key and no base-URL variable is set unless a test sets it."""
    for name in (*KEY_ENVS, *URL_ENVS):
        monkeypatch.delenv(name, raising=False)


def own_key(env: str) -> str:
    return f"{env.lower()}-value-0123456789"


def set_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    for env in KEY_ENVS:
        monkeypatch.setenv(env, own_key(env))


async def run_once(spec: str) -> AgentResult[str]:
    """One run of an agent built from ``spec``; its model's HTTP client is closed after."""
    agent = Agent(spec)
    try:
        return await agent.run("Say hello.")
    finally:
        await agent.model.close()


def test_every_prefix_is_tested() -> None:
    tested = {spec.partition(":")[0] for spec, *_ in CHAT_CASES + LITELLM_CASES}
    assert tested | {"local"} == set(_PREFIXES)


@pytest.mark.parametrize(("spec", "adapter", "name", "provider", "server", "key_env"), CHAT_CASES)
async def test_an_openai_protocol_prefix_builds_its_adapter_on_its_server_with_its_own_key(
    monkeypatch: pytest.MonkeyPatch, spec: str, adapter: type, name: str, provider: str, server: str, key_env: str
) -> None:
    set_every_key(monkeypatch)
    model = infer_model(spec)
    assert isinstance(model, adapter)
    assert (model.model_name, model.provider) == (name, provider)
    client = model.client
    assert str(client.base_url).rstrip("/") == server
    assert client.api_key == own_key(key_env)
    await model.close()


@pytest.mark.parametrize(("spec", "name", "provider"), LITELLM_CASES)
def test_a_litellm_prefix_builds_a_litellm_model_that_leaves_the_key_to_litellm(
    monkeypatch: pytest.MonkeyPatch, spec: str, name: str, provider: str
) -> None:
    set_every_key(monkeypatch)
    model = infer_model(spec)
    assert isinstance(model, LiteLLMModel)
    assert (model.model_name, model.provider) == (name, provider)
    kwargs = model.build_kwargs([ModelRequest(parts=[UserPart(content="hi")])], ModelSettings(), RequestParams())
    assert kwargs["model"] == name
    assert "api_key" not in kwargs  # litellm reads ANTHROPIC_API_KEY / GEMINI_API_KEY itself


@pytest.mark.parametrize(("spec", "adapter", "name", "provider", "server", "key_env"), HOSTED)
async def test_a_hosted_provider_never_gets_the_openai_key(
    monkeypatch: pytest.MonkeyPatch, spec: str, adapter: type, name: str, provider: str, server: str, key_env: str
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    model = infer_model(spec)
    with pytest.raises(UserError) as info:
        _ = model.client
    assert str(info.value) == (
        f"No API key for provider {provider!r}: set {key_env} or pass api_key=... to the model. "
        "OPENAI_API_KEY is sent only to OpenAI and to servers at a custom base_url, never to another provider."
    )


@pytest.mark.parametrize(("spec", "adapter", "name", "provider", "server", "key_env"), LOCAL_SERVERS)
async def test_a_local_server_needs_no_key_and_never_gets_another_providers(
    monkeypatch: pytest.MonkeyPatch, spec: str, adapter: type, name: str, provider: str, server: str, key_env: str
) -> None:
    set_every_key(monkeypatch)
    monkeypatch.delenv(key_env)
    model = infer_model(spec)
    assert model.client.api_key == "not-needed"
    await model.close()


async def test_ollama_runs_end_to_end_on_the_server_ollama_base_url_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    with Emulator() as emulator:
        monkeypatch.setenv("OLLAMA_BASE_URL", emulator.base_url)
        emulator.script(Reply(text="Hello from Ollama."))
        result = await run_once("ollama:qwen3:8b")
        emulator.assert_all_consumed()
    assert result.output == "Hello from Ollama."
    [request] = emulator.requests
    assert (request.path, request.json["model"]) == ("/v1/chat/completions", "qwen3:8b")
    assert request.used_key("not-needed") and not request.used_key(OPENAI_KEY)


async def test_vllm_runs_end_to_end_with_its_own_key(monkeypatch: pytest.MonkeyPatch) -> None:
    set_every_key(monkeypatch)
    with Emulator() as emulator:
        monkeypatch.setenv("VLLM_BASE_URL", emulator.base_url)
        emulator.script(Reply(text="Hello from vLLM."))
        result = await run_once("vllm:Qwen/Qwen3-8B")
        emulator.assert_all_consumed()
    assert result.output == "Hello from vLLM."
    [request] = emulator.requests
    assert request.json["model"] == "Qwen/Qwen3-8B"
    assert request.used_key(own_key("VLLM_API_KEY"))
    assert not any(request.used_key(own_key(env)) for env in KEY_ENVS if env != "VLLM_API_KEY")


# litellm 1.110 builds pydantic TypedDicts with ReadOnly items (a harmless UserWarning inside litellm).
@pytest.mark.filterwarnings(
    "ignore:Items? .* on TypedDict class .* (is|are) using the .ReadOnly. qualifier:UserWarning"
)
async def test_anthropic_runs_end_to_end_with_only_the_anthropic_key(monkeypatch: pytest.MonkeyPatch) -> None:
    set_every_key(monkeypatch)
    with Emulator() as emulator:
        monkeypatch.setenv("ANTHROPIC_API_BASE", emulator.url)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-own-key-0123456789")
        emulator.script(Reply(text="Hello from Claude."))
        result = await run_once("anthropic:claude-sonnet-4-5")
        emulator.assert_all_consumed()
    assert result.output == "Hello from Claude."
    [request] = emulator.requests
    assert (request.path, request.json["model"]) == ("/v1/messages", "claude-sonnet-4-5")
    assert request.used_key("sk-ant-own-key-0123456789")
    assert not any(request.used_key(own_key(env)) for env in KEY_ENVS)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("gpt-5", f"Unknown model 'gpt-5': the part before ':' must be one of {FORMATS}."),
        ("claude:sonnet", f"Unknown model 'claude:sonnet': the part before ':' must be one of {FORMATS}."),
        ("ollama:", "Model 'ollama:' names no model after 'ollama': write e.g. 'ollama:<model-name>'."),
        ("", f"Model must be a Model instance or a string like {FORMATS}; got ''."),
    ],
)
def test_a_bad_model_string_lists_every_prefix(spec: str, message: str) -> None:
    with pytest.raises(UserError) as info:
        check_spec(spec)
    assert str(info.value) == message


def test_the_reference_page_documents_every_prefix() -> None:
    page = (ROOT / "docs/reference/models.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z-]+)(?::<[^`]+>)?`", page, re.M))
    assert documented == set(_PREFIXES)
