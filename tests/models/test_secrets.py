"""API keys go only where they belong, and no error agentkit raises shows one (issue 12, item 4)."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable

import pytest

from agentkit import ModelSettings
from agentkit.exceptions import ModelConnectionError, ModelHTTPError, ModelStreamError, UserError
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.models._adapter import RetryingModel
from agentkit.models._errors import Failure, final_error
from agentkit.models._openai_common import KNOWN_SERVERS, ServerInfo
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import Model, RequestParams
from agentkit.models.litellm import LiteLLMModel
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.redaction import REDACTED
from tests.emulator import Emulator, Fault, Reply
from tests.models._helpers import opened

OPENAI_KEY = "sk-openai-key-that-must-stay-with-openai-0001"
HELLO: list[ModelRequest | ModelResponse] = [ModelRequest(parts=[UserPart(content="Say hello.")])]
NAMED = sorted(name for name, server in KNOWN_SERVERS.items() if name != "openai" and server.key_required)
"""Hosted providers; the local servers (Ollama, vLLM) need no key: tests/core/test_model_strings.py."""


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The OpenAI key is set; no other provider's key is, unless a test sets it."""
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    for server in KNOWN_SERVERS.values():
        if server.key_env != "OPENAI_API_KEY":
            monkeypatch.delenv(server.key_env, raising=False)


def serve_as(monkeypatch: pytest.MonkeyPatch, provider: str, emulator: Emulator) -> str:
    """Make the emulator the provider's own server (as if it were ``api.deepseek.com`` ...); its key's name."""
    env = KNOWN_SERVERS[provider].key_env
    monkeypatch.setitem(KNOWN_SERVERS, provider, ServerInfo(emulator.base_url, env))
    return env


async def ask(model: Model) -> str:
    return (await model.request(HELLO, ModelSettings(), RequestParams())).text


def missing_key_text(provider: str, env: str) -> str:
    return (
        f"No API key for provider {provider!r}: set {env} or pass api_key=... to the model. "
        "OPENAI_API_KEY is sent only to OpenAI and to servers at a custom base_url, never to another provider."
    )


# --- which key goes where -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", NAMED)
@pytest.mark.parametrize("model_class", [OpenAIChatModel, OpenAIResponsesModel])
async def test_named_provider_without_its_key_is_an_error_not_the_openai_key(
    monkeypatch: pytest.MonkeyPatch,
    emulator: Emulator,
    provider: str,
    model_class: type[OpenAIChatModel | OpenAIResponsesModel],
) -> None:
    env = serve_as(monkeypatch, provider, emulator)
    model = opened(model_class("m", provider=provider))
    with pytest.raises(UserError) as info:
        await ask(model)
    assert str(info.value) == missing_key_text(provider, env)
    assert emulator.requests == []  # nothing was sent, so the OpenAI key went nowhere


@pytest.mark.parametrize("provider", NAMED)
async def test_provider_host_as_base_url_needs_that_providers_key(provider: str) -> None:
    server = KNOWN_SERVERS[provider]
    assert server.base_url is not None
    model = opened(OpenAIChatModel("m", base_url=server.base_url))
    with pytest.raises(UserError) as info:
        await ask(model)
    assert str(info.value) == missing_key_text(provider, server.key_env)


@pytest.mark.parametrize("provider", NAMED)
async def test_named_provider_gets_its_own_key(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator, provider: str
) -> None:
    own_key = f"{provider}-own-key-0123456789"
    monkeypatch.setenv(serve_as(monkeypatch, provider, emulator), own_key)
    emulator.script(Reply(text="hi"))
    assert await ask(opened(OpenAIChatModel("m", provider=provider))) == "hi"
    assert emulator.requests[0].used_key(own_key) and not emulator.requests[0].used_key(OPENAI_KEY)


@pytest.mark.parametrize("provider", NAMED)
async def test_named_provider_through_a_custom_server_never_gets_the_openai_key(
    emulator: Emulator, provider: str
) -> None:
    emulator.script(Reply(text="hi"))
    assert await ask(opened(OpenAIChatModel("m", provider=provider, base_url=emulator.base_url))) == "hi"
    assert not emulator.requests[0].used_key(OPENAI_KEY)
    assert emulator.requests[0].used_key("not-needed")


async def test_openai_key_goes_to_openai_and_to_a_custom_base_url(
    monkeypatch: pytest.MonkeyPatch, emulator: Emulator
) -> None:
    """The ``openai`` SDK's convention: ``OPENAI_API_KEY`` is used for any server at a custom base_url."""
    emulator.script(Reply(text="hi"), Reply(text="hi"))
    assert await ask(opened(OpenAIChatModel("m", base_url=emulator.base_url))) == "hi"
    serve_as(monkeypatch, "openai", emulator)
    assert await ask(opened(OpenAIChatModel("m"))) == "hi"
    assert emulator.requests[0].used_key(OPENAI_KEY) and emulator.requests[1].used_key(OPENAI_KEY)


async def test_litellm_provider_without_its_key_is_an_error() -> None:
    model = opened(LiteLLMModel("moonshot/kimi-k2"))
    with pytest.raises(UserError) as info:
        await ask(model)
    assert str(info.value) == (
        "No API key for litellm provider 'moonshot' (model 'moonshot/kimi-k2'): set MOONSHOT_API_KEY or pass "
        "api_key=... to the model. OPENAI_API_KEY is never sent to another provider."
    )


async def test_litellm_never_sends_the_openai_key_to_another_provider(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """litellm itself falls back to OPENAI_API_KEY for some OpenAI-compatible providers (Moonshot)."""
    emulator.script(Reply(text="hi"), Reply(text="hi"))
    assert await ask(opened(LiteLLMModel("moonshot/kimi-k2", base_url=emulator.base_url))) == "hi"
    assert not emulator.requests[0].used_key(OPENAI_KEY)
    monkeypatch.setenv("MOONSHOT_API_KEY", "moonshot-own-key-0123456789")
    assert await ask(opened(LiteLLMModel("moonshot/kimi-k2", base_url=emulator.base_url))) == "hi"
    assert emulator.requests[1].used_key("moonshot-own-key-0123456789")


# --- no key in error texts ------------------------------------------------------------------------

KEY = "emulator-key-4f9a1c2e7b5d"  # no well-known key shape: only knowing the key in use can hide it


def _chat(emu: Emulator) -> Model:
    return opened(OpenAIChatModel("qwen3-8b", base_url=emu.base_url, api_key=KEY))


def _responses(emu: Emulator) -> Model:
    return opened(OpenAIResponsesModel("o4-mini", base_url=emu.base_url, api_key=KEY))


def _anthropic(emu: Emulator) -> Model:
    return opened(LiteLLMModel("anthropic/claude-sonnet-4-5", base_url=emu.url, api_key=KEY))


MAKERS: dict[str, Callable[[Emulator], Model]] = {"chat": _chat, "responses": _responses, "anthropic": _anthropic}


def _everything_shown(error: BaseException) -> str:
    shown = [str(error), repr(error), repr(error.args), repr(getattr(error, "body", None))]
    shown += traceback.format_exception(error)  # the chained SDK error included
    return "\n".join(shown)


@pytest.mark.parametrize("mode", ["request", "stream"])
@pytest.mark.parametrize("adapter", list(MAKERS))
async def test_an_echoed_key_never_reaches_the_error(emulator: Emulator, adapter: str, mode: str) -> None:
    emulator.script(Fault.echo_credentials(401))
    model = MAKERS[adapter](emulator)
    with pytest.raises(ModelHTTPError) as info:
        if mode == "request":
            await ask(model)
        else:
            _ = [event async for event in model.request_stream(HELLO, ModelSettings(), RequestParams())]
    shown = _everything_shown(info.value)
    assert KEY not in shown
    assert f"Incorrect API key provided: {REDACTED}" in str(info.value)
    assert info.value.status_code == 401 and len(emulator.requests) == 1


def test_bearer_tokens_and_provider_keys_are_redacted_from_model_errors() -> None:
    token = "sk-proj-abcdefghijklmnop0123456789"
    failure = Failure(f"bad header Authorization: Bearer {token}", status=400, body={"authorization": token})
    http_error = final_error("m", failure, 1)
    assert isinstance(http_error, ModelHTTPError)
    connection = final_error("m", Failure(f"proxy said key={token}"), 2)
    stream = ModelStreamError("m", f"reset after Bearer {token}")
    for error in (http_error, connection, stream, ModelConnectionError("m", token)):
        assert token not in _everything_shown(error)
    assert failure.body == {"authorization": REDACTED}


@pytest.mark.parametrize("adapter", list(MAKERS))
async def test_an_echoed_key_never_reaches_retry_logs(
    emulator: Emulator, adapter: str, retry_policy: RetryPolicy, caplog: pytest.LogCaptureFixture
) -> None:
    emulator.script(*[Fault.echo_credentials(503)] * 3)
    model = MAKERS[adapter](emulator)
    assert isinstance(model, RetryingModel)
    model.retry_policy = retry_policy
    with caplog.at_level(logging.WARNING, logger="agentkit.models"), pytest.raises(ModelHTTPError) as info:
        await ask(model)
    assert len(emulator.requests) == 3 and len(caplog.records) == 2
    assert KEY not in caplog.text and KEY not in _everything_shown(info.value)
    assert f"Incorrect API key provided: {REDACTED}" in caplog.text
