"""Chat Completions (``"openai-chat:<model>"``): OpenAI and any OpenAI-compatible server.

Point it at another server with ``base_url`` (DeepSeek, Kimi/Moonshot, vLLM, llama.cpp, Ollama ...);
known providers can be named instead (``provider="deepseek"`` uses ``https://api.deepseek.com`` and
``DEEPSEEK_API_KEY``, and never sends ``OPENAI_API_KEY`` there).

Reasoning:

- ``reasoning_content`` (DeepSeek, Kimi, vLLM) or ``reasoning`` (OpenRouter) is read into a reasoning
  part and sent back, under the same field, on the assistant turn it belongs to. DeepSeek and Kimi
  answer 400 when an assistant turn with tool calls lacks it; for them an empty ``reasoning_content`` is
  sent where none is known (e.g. after switching models mid-conversation).
- Servers that inline reasoning in the content get it split into a reasoning part: a leading
  ``<think>...</think>`` block, and with ``think_tags="orphan"`` also ``reasoning</think>answer``, which
  servers without a reasoning parser (llama.cpp, vLLM, Ollama) send for models whose chat template
  opens ``<think>`` in the prompt. Streamed, content that does not start with a tag is then held back
  until a ``</think>`` or the end shows whether it is reasoning (see :mod:`._think`). The default
  (``think_tags=True``) is ``"orphan"`` for such models (DeepSeek-R1 and distills, QwQ, ``-Thinking``
  models: :func:`._think.template_opens_think`) on a server that is no hosted provider's, else
  ``"leading"``; ``think_tags=False`` keeps the content as it is. Inline reasoning is not sent back.
- ``ModelSettings.reasoning_effort`` is sent as ``reasoning_effort``; ``usage.completion_tokens``
  (reasoning included) becomes ``output_tokens``, ``completion_tokens_details.reasoning_tokens``
  ``reasoning_tokens``.

Structured output without tools (prompted mode): pass a JSON-schema ``response_format`` per request in
``ModelSettings(extra_body={"response_format": json_schema_response_format(schema)})``; extra_body is
merged into the request body as given.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any, Literal

from openai import AsyncOpenAI

from agentkit.exceptions import UserError
from agentkit.messages import ModelResponse, ReasoningPart
from agentkit.models._adapter import Messages
from agentkit.models._chat_format import (
    REASONING_FIELDS,
    ChatStream,
    assistant_message,
    chat_messages,
    chat_tool_fields,
    parse_chat_usage,
    parse_message,
)
from agentkit.models._errors import Failure, IncompleteResponse
from agentkit.models._openai_client import OpenAIClientModel
from agentkit.models._openai_common import (
    as_dict,
    as_list,
    as_str,
    classify_openai_error,
    invalid_json_guard,
    json_schema_response_format,
    parses_reasoning,
)
from agentkit.models._pricing import cost_usd
from agentkit.models._retry import RetryPolicy, call_with_retry
from agentkit.models._sdk_body import sdk_kwargs
from agentkit.models._think import template_opens_think
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone
from agentkit.models.profiles import ModelProfile, fit_settings, profile_for
from agentkit.settings import ModelSettings
from agentkit.usage import Usage

__all__ = ["REASONING_CONTENT_PROVIDERS", "OpenAIChatModel", "json_schema_response_format"]

JSON = dict[str, Any]

REASONING_CONTENT_PROVIDERS = frozenset({"deepseek", "moonshot", "kimi"})
"""Providers that reject an assistant tool-call turn without ``reasoning_content``."""


class OpenAIChatModel(OpenAIClientModel):
    """A model behind the Chat Completions API.

    Args:
        model_name: e.g. ``"gpt-4.1"``, ``"deepseek-reasoner"``, ``"qwen3-8b"``.
        api_key: Defaults to the key owner's variable: a named provider's own (``DEEPSEEK_API_KEY`` ...,
            never ``OPENAI_API_KEY``; missing is a ``UserError``), else ``OPENAI_API_KEY`` (OpenAI, and
            any other server at a custom ``base_url``, as the ``openai`` SDK does). A server that is no
            known provider's works without a key. Errors never show the key.
        base_url: The server (default: the named provider's, else OpenAI / ``OPENAI_BASE_URL``).
        client: A ready ``openai.AsyncOpenAI`` (its own retries are turned off; the policy decides).
        provider: Provider name tagging reasoning state (default: derived from ``base_url``).
        think_tags: Split inline ``<think>`` reasoning off the content: ``"leading"`` a leading block,
            ``"orphan"`` also the text before an orphan ``</think>`` (streamed text is held back until
            decided), ``True`` one of these chosen from the model and server, ``False`` none.
        reasoning_content: Send ``reasoning_content`` back on assistant tool-call turns even when none is
            known (``None``: only for :data:`REASONING_CONTENT_PROVIDERS`). Known reasoning is always
            sent back to the server that produced it.
        retry: The retry policy.
        fallback_models: Models (or model strings) tried in order when this one fails for good.
        profile: What the model accepts (default: :func:`~agentkit.models.profiles.profile_for` its name);
            settings it does not take are dropped, or refused with ``ModelSettings(strict=True)``.
    """

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        client: AsyncOpenAI | None = None,
        provider: str | None = None,
        think_tags: bool | Literal["leading", "orphan"] = True,
        reasoning_content: bool | None = None,
        retry: RetryPolicy | None = None,
        fallback_models: Sequence[Model | str] = (),
        profile: ModelProfile | None = None,
    ) -> None:
        super().__init__(
            model_name,
            api_key=api_key,
            base_url=base_url,
            client=client,
            provider=provider,
            retry=retry,
            fallback_models=fallback_models,
        )
        self.think_tags = think_tags
        self._orphan_think = think_tags == "orphan" or (
            think_tags is True and not parses_reasoning(self._provider) and template_opens_think(model_name)
        )
        self._profile = profile
        self.require_reasoning_content = (
            reasoning_content if reasoning_content is not None else self._provider in REASONING_CONTENT_PROVIDERS
        )

    @property
    def profile(self) -> ModelProfile:
        """What the model accepts (the ``profile`` given, else its family's)."""
        return self._profile or profile_for(self._provider, self._model_name)

    # --- requests --------------------------------------------------------------------------------

    def build_body(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> JSON:
        """The JSON body of a ``POST /chat/completions`` request (without streaming fields)."""
        settings = fit_settings(self.profile, self._model_name, settings).settings
        body: JSON = {"model": self._model_name, "messages": chat_messages(messages, self._assistant)}
        tool_fields = chat_tool_fields(params)
        body.update(tool_fields)
        body.update(self._setting_fields(settings, bool(tool_fields)))
        return body

    def _assistant(self, response: ModelResponse) -> JSON:
        message = assistant_message(response)
        for part in response.parts:
            if isinstance(part, ReasoningPart) and part.provider == self._provider:
                name = part.data.get("field")
                if name in REASONING_FIELDS:
                    message[str(name)] = part.content
        known = any(name in message for name in REASONING_FIELDS)
        if self.require_reasoning_content and "tool_calls" in message and not known:
            message["reasoning_content"] = ""
        return message

    def _setting_fields(self, settings: ModelSettings, has_tools: bool) -> JSON:
        if settings.thinking_budget is not None:
            raise UserError(
                "Chat Completions has no thinking-budget parameter: use ModelSettings(reasoning_effort=...), "
                "or the server's own field through ModelSettings(extra_body={...})."
            )
        default_key = "max_completion_tokens" if self._provider == "openai" else "max_tokens"
        max_tokens_key = self.profile.max_tokens_param or default_key
        fields: JSON = {
            "reasoning_effort": settings.reasoning_effort,
            max_tokens_key: settings.max_tokens,
            "temperature": settings.temperature,
            "top_p": settings.top_p,
            "seed": settings.seed,
            "stop": settings.stop,
            "parallel_tool_calls": settings.parallel_tool_calls if has_tools else None,
        }
        return {key: value for key, value in fields.items() if value is not None}

    def _options(self, settings: ModelSettings) -> JSON:
        options: JSON = {}
        if settings.extra_body:
            options["extra_body"] = dict(settings.extra_body)
        if settings.timeout_s is not None:
            options["timeout"] = settings.timeout_s
        return options

    async def _request_once(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        return (await self._choices_once(messages, settings, params, None))[0]

    async def _choices_once(
        self, messages: Messages, settings: ModelSettings, params: RequestParams, n: int | None
    ) -> list[ModelResponse]:
        body = self.build_body(messages, settings, params)
        if n is not None:
            body["n"] = n
        with invalid_json_guard(self._where("chat/completions")):
            completion = await self.client.chat.completions.create(
                **sdk_kwargs(body, "messages", self._options(settings))
            )
        return self._parse_completion(completion.to_dict())

    async def request_choices(
        self, messages: Messages, settings: ModelSettings, params: RequestParams, n: int
    ) -> list[ModelResponse]:
        """``n`` answers to one request (Chat Completions ``n``), e.g. for best-of-n sampling.

        The request's usage (all choices together) is reported on the first response; the others
        report zero tokens, so summing usage never counts a request twice.
        """
        return await call_with_retry(
            lambda: self._choices_once(messages, settings, params, n),
            self._classify,
            self.retry_policy,
            self.model_name,
        )

    def _parse_completion(self, data: JSON) -> list[ModelResponse]:
        choices = as_list(data.get("choices"))
        if not choices:
            raise IncompleteResponse("the completion has no choices")
        usage = self._with_cost(parse_chat_usage(as_dict(data.get("usage"))))
        responses: list[ModelResponse] = []
        for index, choice in enumerate(choices):
            message = as_dict(choice.get("message"))
            responses.append(
                ModelResponse(
                    parts=parse_message(
                        message, self._provider, bool(self.think_tags), orphan_think=self._orphan_think
                    ),
                    model_name=as_str(data.get("model")) or None,
                    provider=self._provider,
                    usage=usage if index == 0 else Usage(requests=0),
                    finish_reason=as_str(choice.get("finish_reason")) or None,
                    id=as_str(data.get("id")) or None,
                )
            )
        return responses

    def _with_cost(self, usage: Usage) -> Usage:
        return usage.model_copy(update={"cost_usd": cost_usd(self._model_name, usage, self._provider)})

    async def _stream_once(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncGenerator[ModelStreamEvent, None]:
        body = self.build_body(messages, settings, params)
        where = self._where("chat/completions")
        with invalid_json_guard(where):
            stream = await self.client.chat.completions.create(
                **sdk_kwargs(body, "messages", self._options(settings)),
                stream=True,
                stream_options={"include_usage": True},
            )
        state = ChatStream(self._provider, think_tags=bool(self.think_tags), orphan_think=self._orphan_think)
        try:
            with invalid_json_guard(where):
                async for chunk in stream:
                    for event in state.feed(chunk.to_dict()):
                        yield event
        finally:
            await stream.close()
        for event in state.flush():
            yield event
        if state.finish_reason is None:
            raise IncompleteResponse("the stream ended before the answer was complete (no finish_reason)")
        yield ResponseDone(self._streamed_response(state))

    def _streamed_response(self, state: ChatStream) -> ModelResponse:
        usage = self._with_cost(parse_chat_usage(state.usage)) if state.usage else Usage(requests=1)
        return ModelResponse(
            parts=state.parts(),
            model_name=state.model or None,
            provider=self._provider,
            usage=usage,
            finish_reason=state.finish_reason,
            id=state.id or None,
        )

    def _classify(self, exc: BaseException) -> Failure | None:
        return classify_openai_error(exc)
