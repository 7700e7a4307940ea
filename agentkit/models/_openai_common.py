"""Helpers shared by the OpenAI-protocol adapters (and litellm, whose errors subclass openai's).

Client construction (credentials and base URL, kept apart from the wire protocol), error
classification, JSON access helpers, ``<think>`` splitting and tool-choice decisions. ``openai`` is
imported only inside functions: :mod:`agentkit.models.litellm` uses this module too.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from agentkit.exceptions import UserError
from agentkit.models._errors import Failure, IncompleteResponse, StreamReportedError, parse_retry_after
from agentkit.models.base import RequestParams

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
    "json_schema_response_format",
    "make_client",
    "provider_from_url",
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


KNOWN_SERVERS: dict[str, ServerInfo] = {
    "openai": ServerInfo(None, "OPENAI_API_KEY"),
    "deepseek": ServerInfo("https://api.deepseek.com", "DEEPSEEK_API_KEY"),
    "moonshot": ServerInfo("https://api.moonshot.ai/v1", "MOONSHOT_API_KEY"),
    "openrouter": ServerInfo("https://openrouter.ai/api/v1", "OPENROUTER_API_KEY"),
    "groq": ServerInfo("https://api.groq.com/openai/v1", "GROQ_API_KEY"),
    "together": ServerInfo("https://api.together.xyz/v1", "TOGETHER_API_KEY"),
    "fireworks": ServerInfo("https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY"),
    "xai": ServerInfo("https://api.x.ai/v1", "XAI_API_KEY"),
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

    The key comes from ``api_key``, else the provider's environment variable (``OPENAI_API_KEY`` for
    unknown servers). A custom ``base_url`` without any key gets a placeholder: local servers need none.
    """
    from openai import AsyncOpenAI

    if client is not None:
        return client.with_options(max_retries=0)
    server = KNOWN_SERVERS.get(provider, KNOWN_SERVERS["openai"])
    url = base_url or server.base_url or os.environ.get("OPENAI_BASE_URL")
    key = api_key or os.environ.get(server.key_env) or os.environ.get("OPENAI_API_KEY")
    if not key and url:
        key = "not-needed"
    if not key:
        raise UserError(
            f"No API key for provider {provider!r}: pass api_key=... to the model, or set {server.key_env}."
        )
    return AsyncOpenAI(api_key=key, base_url=url, max_retries=0)


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
        return Failure(str(exc))
    if isinstance(exc, StreamReportedError):
        return Failure(str(exc), status=exc.status, body=exc.body)
    return None


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


# --- <think> splitting ---------------------------------------------------------------------------

_OPEN, _CLOSE = "<think>", "</think>"
Piece = tuple[Literal["reasoning", "text"], str]


class ThinkSplitter:
    """Splits text that starts with ``<think>...</think>`` into reasoning and text, chunk by chunk.

    Servers that inline reasoning (llama.cpp, vLLM or Ollama without a reasoning parser) put it at the
    start of the content. Tags split across chunks are handled; text without a leading ``<think>`` is
    passed through unchanged.
    """

    def __init__(self) -> None:
        self._state: Literal["start", "thinking", "after", "text"] = "start"
        self._buffer = ""

    def feed(self, chunk: str) -> list[Piece]:
        """The reasoning/text pieces that ``chunk`` completes."""
        self._buffer += chunk
        if self._state == "start":
            return self._start()
        if self._state == "thinking":
            return self._thinking()
        if self._state == "after":
            return self._after()
        return self._flush("text")

    def finish(self) -> list[Piece]:
        """Whatever is still held back, at the end of the text."""
        kind: Literal["reasoning", "text"] = "reasoning" if self._state == "thinking" else "text"
        if self._state == "after":
            self._buffer = self._buffer.lstrip()
        return self._flush(kind)

    def _start(self) -> list[Piece]:
        stripped = self._buffer.lstrip()
        if not stripped or (len(stripped) < len(_OPEN) and _OPEN.startswith(stripped)):
            return []
        if stripped.startswith(_OPEN):
            self._state, self._buffer = "thinking", stripped[len(_OPEN) :]
            return self._thinking()
        self._state = "text"
        return self._flush("text")

    def _thinking(self) -> list[Piece]:
        end = self._buffer.find(_CLOSE)
        if end >= 0:
            reasoning, self._buffer = self._buffer[:end], self._buffer[end + len(_CLOSE) :]
            self._state = "after"
            return _piece("reasoning", reasoning) + self._after()
        keep = _partial_tag_length(self._buffer, _CLOSE)
        ready, self._buffer = self._buffer[: len(self._buffer) - keep], self._buffer[len(self._buffer) - keep :]
        return _piece("reasoning", ready)

    def _after(self) -> list[Piece]:
        self._buffer = self._buffer.lstrip()
        if not self._buffer:
            return []
        self._state = "text"
        return self._flush("text")

    def _flush(self, kind: Literal["reasoning", "text"]) -> list[Piece]:
        text, self._buffer = self._buffer, ""
        return _piece(kind, text)


def _piece(kind: Literal["reasoning", "text"], text: str) -> list[Piece]:
    return [(kind, text)] if text else []


def _partial_tag_length(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def split_think(text: str) -> tuple[str, str]:
    """(reasoning, text) of a whole content string; reasoning is ``""`` without a leading ``<think>``."""
    splitter = ThinkSplitter()
    pieces = splitter.feed(text) + splitter.finish()
    reasoning = "".join(t for kind, t in pieces if kind == "reasoning")
    answer = "".join(t for kind, t in pieces if kind == "text")
    return reasoning, answer
