"""What the two ``openai``-SDK adapters share: the model name, the provider tag and a lazy client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Sequence
from typing import TYPE_CHECKING

from agentkit.models._adapter import RetryingModel
from agentkit.models._loop_close import close_at_loop_end
from agentkit.models._openai_common import make_client, provider_from_url
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import Model

if TYPE_CHECKING:
    from openai import AsyncOpenAI

__all__ = ["OpenAIClientModel"]


class OpenAIClientModel(RetryingModel):
    """A retrying model that talks through an ``openai.AsyncOpenAI`` client created on first use."""

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | None,
        base_url: str | None,
        client: AsyncOpenAI | None,
        provider: str | None,
        retry: RetryPolicy | None,
        fallback_models: Sequence[Model | str],
    ) -> None:
        super().__init__(retry, fallback_models)
        self._model_name = model_name
        self._provider = provider or provider_from_url(base_url)
        self._api_key, self._base_url, self._given_client = api_key, base_url, client
        self._client: AsyncOpenAI | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._closer: AsyncGenerator[None, None] | None = None

    @property
    def model_name(self) -> str:
        """The model name sent to the server."""
        return self._model_name

    @property
    def provider(self) -> str:
        """The provider name tagging reasoning state (``"openai"`` for OpenAI)."""
        return self._provider

    @property
    def client(self) -> AsyncOpenAI:
        """The ``AsyncOpenAI`` client, created on first use in each event loop.

        An HTTP connection pool belongs to the loop that opened it, so a model used from a new loop
        (``run_sync`` twice, say) gets a new client instead of reusing dead connections, and a client
        this model created is closed when its loop shuts down (:func:`close_at_loop_end`).
        """
        loop = _running_loop()
        if self._client is None or (self._given_client is None and self._client_loop is not loop):
            self._client = make_client(
                provider=self._provider, api_key=self._api_key, base_url=self._base_url, client=self._given_client
            )
            self._client_loop = loop
            owned = self._given_client is None and loop is not None
            self._closer = close_at_loop_end(self._client.close) if owned else None
        return self._client

    def _where(self, path: str) -> str:
        """The endpoint ``path`` (e.g. ``"chat/completions"``) named for error messages."""
        return f"{self._provider} ({str(self.client.base_url).rstrip('/')}/{path})"

    async def close(self) -> None:
        """Close the HTTP client this model created, and fallback models it created."""
        closer, self._closer = self._closer, None
        if closer is not None:
            await closer.aclose()  # its ``finally`` closes the client (and nothing is left to finalize)
        elif self._client is not None and self._given_client is None:
            await self._client.close()
        self._client = None
        self._client_loop = None
        await super().close()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
