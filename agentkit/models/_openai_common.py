"""Helpers shared by the OpenAI-protocol adapters (and litellm, whose errors subclass openai's).

Client construction (credentials and base URL, kept apart from the wire protocol), error
classification, JSON access helpers and tool-choice decisions (``<think>`` splitting is re-exported from
:mod:`._think`). ``openai`` is imported only inside functions: :mod:`agentkit.models.litellm` uses this
module too.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from agentkit.exceptions import UserError
from agentkit.models._errors import (
    Failure,
    IncompleteResponse,
    InvalidResponseBody,
    StreamReportedError,
    parse_retry_after,
)
from agentkit.models._think import Piece, ThinkSplitter, split_think
from agentkit.models.base import RequestParams
from agentkit.redaction import add_secret

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = [
    "KNOWN_SERVERS",
    "Piece",
    "ServerInfo",
    "ThinkSplitter",
    "as_dict",
    "as_int",
    "as_list",
    "as_str",
    "classify_openai_error",
    "invalid_json_guard",
    "json_schema_response_format",
    "make_client",
    "parses_reasoning",
    "provider_from_url",
    "resolve_key",
    "server_url",
    "split_think",
    "tool_choice_mode",
]

JSON = dict[str, Any]


# --- servers and clients -------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerInfo:
    """Where a known OpenAI-compatible provider lives and which environment variable holds its key."""

    base_url: str | None
    key_env: str
    base_url_env: str | None = None
    """An environment variable that moves the server (a local one on another port or host)."""
    key_required: bool = True
    """``False`` for local servers (Ollama, vLLM): without ``key_env`` set, a placeholder key is sent."""


KNOWN_SERVERS: dict[str, ServerInfo] = {
    "openai": ServerInfo(None, "OPENAI_API_KEY"),
    "deepseek": ServerInfo("https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    "moonshot": ServerInfo("https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"),
    "openrouter": ServerInfo("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "groq": ServerInfo("https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "together": ServerInfo("https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    "fireworks": ServerInfo("https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
    "xai": ServerInfo("https://api.x.ai/v1", "XAI_API_KEY"),
    "ollama": ServerInfo("http://localhost:11434/v1", "OLLAMA_API_KEY", "OLLAMA_BASE_URL", key_required=False),
    "vllm": ServerInfo("http://localhost:8000/v1", "VLLM_API_KEY", "VLLM_BASE_URL", key_required=False),
}

_HOST_PROVIDERS = {
    "api.openai.com": "openai",
    "api.deepseek.com": "deepseek",
    "api.moonshot.ai": "moonshot",
    "api.moonshot.cn": "moonshot",
    "openrouter.ai": "openrouter",
    "api.groq.com": "groq",
    "api.together.xyz": "together",
    "api.fireworks.ai": "fireworks",
    "api.x.ai": "xai",
}


def parses_reasoning(provider: str) -> bool:
    """Whether ``provider``'s servers take inline ``<think>`` reasoning out of the content themselves
    (the hosted providers in :data:`KNOWN_SERVERS`; a local server may run without a reasoning parser)."""
    server = KNOWN_SERVERS.get(provider)
    return server is not None and server.key_required


NO_KEY = "not-needed"
"""The placeholder key sent to a server that is no known provider's when no key is configured."""


def provider_from_url(base_url: str | None) -> str:
    """A provider name for a server: a known provider's name, else the server's host name."""
    if not base_url:
        return "openai"
    host = urlsplit(base_url).hostname or base_url
    return _HOST_PROVIDERS.get(host, host)


def make_client(
    *,
    provider: str,
    api_key: str | None,
    base_url: str | None,
    client: AsyncOpenAI | None,
) -> AsyncOpenAI:
    """An ``AsyncOpenAI`` client with its own retries turned off (agentkit's retry policy decides).

    The key comes from :func:`resolve_key`. The key in use is registered with
    :func:`agentkit.redaction.add_secret`, so no error, event or log shows it.
    """
    from openai import AsyncOpenAI

    if client is not None:
        add_secret(client.api_key)
        return client.with_options(max_retries=0)
    key = resolve_key(provider, api_key, base_url)
    if key != NO_KEY:
        add_secret(key)
    return AsyncOpenAI(api_key=key, base_url=server_url(provider, base_url), max_retries=0)


def server_url(provider: str, base_url: str | None) -> str | None:
    """Where requests go: ``base_url``, else the named provider's server (its ``base_url_env`` if set),
    else ``OPENAI_BASE_URL`` (``None``: the ``openai`` SDK's default, OpenAI)."""
    server = KNOWN_SERVERS.get(provider, KNOWN_SERVERS["openai"])
    moved = os.environ.get(server.base_url_env) if server.base_url_env else None
    return base_url or moved or server.base_url or os.environ.get("OPENAI_BASE_URL")


def resolve_key(provider: str, api_key: str | None, base_url: str | None) -> str:
    """The API key to send: ``api_key``, else the environment variable of the key's owner.

    The owner is the provider whose host ``base_url`` names (``api.deepseek.com`` is DeepSeek's), else
    the named ``provider``. A known provider other than OpenAI gets only its own variable
    (``DEEPSEEK_API_KEY`` ...), never ``OPENAI_API_KEY``. OpenAI and an unknown server at a custom
    ``base_url`` get ``OPENAI_API_KEY`` (the ``openai`` SDK's convention). A server that is no known
    provider's, or a known local one (Ollama, vLLM), works without any key: a placeholder is sent.
    """
    if api_key:
        return api_key
    owner = _key_owner(provider, base_url)
    env_name = KNOWN_SERVERS[owner].key_env if owner in KNOWN_SERVERS else "OPENAI_API_KEY"
    key = os.environ.get(env_name)
    if key:
        return key
    if owner in KNOWN_SERVERS and not KNOWN_SERVERS[owner].key_required:
        return NO_KEY
    url = server_url(provider, base_url)
    if url and _custom_server(provider, url):
        return NO_KEY
    if owner == "openai":
        raise UserError(f"No API key for provider 'openai': pass api_key=... to the model, or set {env_name}.")
    raise UserError(
        f"No API key for provider {owner!r}: set {env_name} or pass api_key=... to the model. "
        "OPENAI_API_KEY is sent only to OpenAI and to servers at a custom base_url, never to another provider."
    )


def _custom_server(provider: str, url: str) -> bool:
    """Whether ``url`` is nobody's we know (a local server, a proxy): neither the named provider's own
    server nor a known provider's host."""
    default = KNOWN_SERVERS[provider].base_url if provider in KNOWN_SERVERS else None
    return url != default and provider_from_url(url) not in KNOWN_SERVERS


def _key_owner(provider: str, base_url: str | None) -> str:
    """Whose key a request carries: the known provider at ``base_url``'s host, else ``provider``
    (``"custom"`` for an unnamed server at a custom ``base_url``)."""
    if base_url:
        host_provider = provider_from_url(base_url)
        if host_provider in KNOWN_SERVERS:
            return host_provider
        return provider if provider in KNOWN_SERVERS and provider != "openai" else "custom"
    return provider if provider in KNOWN_SERVERS else "openai"


# --- errors --------------------------------------------------------------------------------------


def classify_openai_error(exc: BaseException) -> Failure | None:
    """Describe an ``openai`` SDK exception (litellm's subclass these) or a cut-off answer."""
    import openai

    if isinstance(exc, openai.APIStatusError):
        headers = _headers(getattr(exc, "response", None))
        message = error_message(exc.body, exc.message)
        return Failure(message, status=exc.status_code, retry_after=parse_retry_after(headers), body=exc.body)
    if isinstance(exc, openai.APITimeoutError):
        return Failure("the request timed out")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        return Failure(f"connection failed ({type(cause).__name__}: {cause})" if cause else str(exc))
    if isinstance(exc, openai.APIError):
        return Failure(f"the provider reported an error: {error_message(exc.body, exc.message)}", body=exc.body)
    if isinstance(exc, IncompleteResponse):
        return Failure(str(exc), invalid_body=isinstance(exc, InvalidResponseBody))
    if isinstance(exc, StreamReportedError):
        return Failure(str(exc), status=exc.status, body=exc.body)
    return None


@contextmanager
def invalid_json_guard(where: str) -> Iterator[None]:
    """Turn a ``json.JSONDecodeError`` (the ``openai`` SDK's own, for an HTTP 200 whose body or stream
    event is not JSON) into :class:`~agentkit.models._errors.InvalidResponseBody`, which is retried."""
    try:
        yield
    except json.JSONDecodeError as exc:
        raise InvalidResponseBody(where, exc) from exc


def error_message(body: object, default: str) -> str:
    """The human-readable message in a provider error body (OpenAI or Anthropic envelope)."""
    if isinstance(body, Mapping):
        inner = body.get("error")
        if isinstance(inner, Mapping):
            return error_message(inner, default)
        message = body.get("message")
        if isinstance(message, str) and message:
            return message
    return default


def _headers(response: object) -> Mapping[str, str] | None:
    headers = getattr(response, "headers", None)
    return headers if isinstance(headers, Mapping) else None


# --- JSON access ---------------------------------------------------------------------------------


def as_dict(value: object) -> JSON:
    """``value`` if it is a JSON object, else an empty dict."""
    return dict(value) if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[JSON]:
    """The JSON objects in ``value`` if it is a list, else an empty list."""
    return [dict(v) for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def as_str(value: object) -> str:
    """``value`` if it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def as_int(value: object) -> int:
    """``value`` if it is a number, else 0."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


# --- request helpers -----------------------------------------------------------------------------

ToolChoiceMode = Literal["auto", "none", "required", "output"]


def tool_choice_mode(params: RequestParams) -> ToolChoiceMode | None:
    """What ``tool_choice`` the request needs (``None``: no tools, send nothing).

    ``final_answer`` forbids function tools: force the output tool when the answer is structured, else
    ``none``. Without text output a tool call is required. Otherwise the model chooses.
    """
    if not params.all_tools:
        return None
    if params.final_answer:
        return "output" if params.output_tool is not None and not params.allow_text_output else "none"
    return "required" if not params.allow_text_output else "auto"


def json_schema_response_format(schema: dict[str, Any], name: str = "output", strict: bool = True) -> JSON:
    """A Chat Completions ``response_format`` constraining the answer to ``schema``.

    Pass it per request as ``ModelSettings(extra_body={"response_format": ...})`` (prompted mode does).
    """
    return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": strict}}
