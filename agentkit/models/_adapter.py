"""The base of the HTTP adapters: retries (:mod:`._retry`) and fallback models around one attempt.

A subclass implements one attempt (:meth:`RetryingModel._request_once`, :meth:`RetryingModel._stream_once`)
and describes its SDK's exceptions (:meth:`RetryingModel._classify`). This class retries attempts under
the :class:`~agentkit.models._retry.RetryPolicy`, then tries the fallback models in order.

A stream is retried until its first event with content (text, reasoning, a tool call's id, name or
arguments) reaches the caller, the same rule for every adapter: empty deltas before it are held back
and dropped with a failed attempt. Deltas already delivered can't be taken back, so a stream that
breaks later raises :class:`~agentkit.models._errors.ModelStreamError`.
"""

from __future__ import annotations

import logging
from abc import abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Sequence

from agentkit._history import strip_foreign_reasoning
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.exceptions import AgentkitError, ModelHTTPError
from agentkit.messages import ModelRequest, ModelResponse
from agentkit.models._errors import Failure, ModelConnectionError, ModelStreamError, scrub_exception
from agentkit.models._retry import RetryPolicy, call_with_retry
from agentkit.models.base import Model, ModelStreamEvent, RequestParams
from agentkit.settings import ModelSettings

__all__ = ["Messages", "RetryingModel", "has_content"]

Messages = list[ModelRequest | ModelResponse]
logger = logging.getLogger("agentkit.models")

_FALLBACK_ERRORS = (ModelHTTPError, ModelConnectionError)


class RetryingModel(Model):
    """A :class:`Model` whose attempts are retried and that falls back to other models."""

    def __init__(self, retry: RetryPolicy | None, fallback_models: Sequence[Model | str]) -> None:
        self.retry_policy = retry or RetryPolicy()
        self._fallback_specs = list(fallback_models)
        self._fallbacks: list[Model] | None = None

    @property
    def fallback_models(self) -> list[Model]:
        """The models tried, in order, when this one fails for good (strings are resolved on first use)."""
        if self._fallbacks is None:
            from agentkit.models import infer_model

            self._fallbacks = [infer_model(spec) for spec in self._fallback_specs]
        return self._fallbacks

    async def close(self) -> None:
        """Close the fallback models this model created from strings (given models belong to the caller)."""
        if self._fallbacks is not None:
            for spec, model in zip(self._fallback_specs, self._fallbacks, strict=True):
                if isinstance(spec, str):
                    await model.close()

    # --- what subclasses implement ---------------------------------------------------------------

    @abstractmethod
    async def _request_once(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        """One attempt at a whole response."""

    @abstractmethod
    def _stream_once(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncGenerator[ModelStreamEvent, None]:
        """One attempt at a stream: deltas, then ``ResponseDone``."""

    @abstractmethod
    def _classify(self, exc: BaseException) -> Failure | None:
        """Describe an exception of one attempt, or ``None`` when it is not a provider failure."""

    # --- the Model interface ---------------------------------------------------------------------

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        """Send the conversation, retrying and falling back as configured."""
        try:
            return await call_with_retry(
                lambda: self._request_once(messages, settings, params),
                self._classify,
                self.retry_policy,
                self.model_name,
            )
        except _FALLBACK_ERRORS as error:
            return await self._request_fallbacks(error, messages, settings, params)

    async def request_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        """Stream the answer; the opening of the stream is retried and falls back like :meth:`request`."""
        try:
            head, stream = await call_with_retry(
                lambda: self._open_stream(messages, settings, params),
                self._classify,
                self.retry_policy,
                self.model_name,
            )
        except _FALLBACK_ERRORS as error:
            async for event in self._stream_fallbacks(error, messages, settings, params):
                yield event
            return
        try:
            for event in head:
                yield event
            async for event in self._rest_of_stream(stream):
                yield event
        finally:
            await stream.aclose()

    async def _open_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> tuple[list[ModelStreamEvent], AsyncGenerator[ModelStreamEvent, None]]:
        """Start a stream and read up to its first event with content (the part that may be retried)."""
        stream = self._stream_once(messages, settings, params)
        head: list[ModelStreamEvent] = []
        async for event in stream:
            head.append(event)
            if has_content(event):
                break
        return head, stream

    async def _rest_of_stream(self, stream: AsyncIterator[ModelStreamEvent]) -> AsyncIterator[ModelStreamEvent]:
        try:
            async for event in stream:
                yield event
        except Exception as exc:
            failure = self._classify(exc)
            if failure is None:
                raise
            raise ModelStreamError(self.model_name, failure.message) from scrub_exception(exc)

    # --- fallbacks -------------------------------------------------------------------------------

    async def _request_fallbacks(
        self, error: AgentkitError, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> ModelResponse:
        failures: list[str] = []
        for fallback in self.fallback_models:
            logger.warning("model %r failed (%s); falling back to %r", self.model_name, error, fallback)
            history, _ = strip_foreign_reasoning(messages, fallback.provider)
            try:
                return await fallback.request(history, settings, params)
            except _FALLBACK_ERRORS as fallback_error:
                failures.append(f"fallback {fallback!r} failed too: {fallback_error}")
        raise _with_notes(error, failures)

    async def _stream_fallbacks(
        self, error: AgentkitError, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        failures: list[str] = []
        for fallback in self.fallback_models:
            logger.warning("model %r failed (%s); falling back to %r", self.model_name, error, fallback)
            history, _ = strip_foreign_reasoning(messages, fallback.provider)
            delivered = False
            try:
                async for event in fallback.request_stream(history, settings, params):
                    delivered = True
                    yield event
                return
            except _FALLBACK_ERRORS as fallback_error:
                if delivered or isinstance(fallback_error, ModelStreamError):
                    raise
                failures.append(f"fallback {fallback!r} failed too: {fallback_error}")
        raise _with_notes(error, failures)


def has_content(event: ModelStreamEvent) -> bool:
    """Whether ``event`` shows the user anything (an empty delta does not; ``ResponseDone`` does)."""
    if isinstance(event, TextDelta | ReasoningDelta):
        return bool(event.text)
    if isinstance(event, ToolCallDelta):
        return bool(event.call_id or event.name or event.args_delta)
    return True


def _with_notes(error: AgentkitError, notes: list[str]) -> AgentkitError:
    for note in notes:
        error.add_note(note)
    return error
