"""Every other provider through litellm: ``"litellm:<provider/model>"`` (``"litellm:anthropic/claude-sonnet-4-5"``).

litellm speaks Chat Completions to us and each provider's own API to the provider. This adapter keeps
the reasoning state those APIs need:

- Anthropic extended thinking: ``thinking`` blocks (with their ``signature``) and ``redacted_thinking``
  blocks become reasoning parts and go back unchanged, in order, on the assistant turn they came with
  (``thinking_blocks``), as Anthropic requires on tool-use turns. Claude's thinking rules (one thinking
  configuration per assistant turn, adaptive and interleaved thinking, ``output_config.effort``, no
  forced tool use with manual thinking, budget below ``max_tokens``) are in
  :mod:`agentkit.models._anthropic_thinking`: ``ModelSettings(thinking_budget=N | "adaptive",
  interleaved_thinking=True, reasoning_effort=...)``.
- Gemini thought signatures: litellm exposes them as ``provider_specific_fields`` of tool calls (and
  of the message); they are kept and sent back on the same calls. Tool call ids stay litellm's short
  ``call_<hex>`` ones (:mod:`agentkit.models._gemini_state`), so the conversation can move to another
  provider.
- ``reasoning_content`` of other providers (DeepSeek through litellm) is sent back as it came.

``ModelSettings.reasoning_effort`` goes to litellm's ``reasoning_effort``, which litellm maps per
provider (Anthropic: a thinking budget of 1024/2048/4096 tokens for low/medium/high, adaptive thinking
with ``output_config.effort`` on Claude 4.6 and later; Gemini: a thinking
budget; OpenAI: ``reasoning_effort``). ``ModelSettings.thinking_budget`` sets the budget explicitly
(``thinking={"type": "enabled", "budget_tokens": N}``). ``extra_body`` entries are passed to
``litellm.acompletion`` as keyword arguments (litellm maps known ones such as ``response_format``
per provider and forwards the rest).

litellm is imported on first use (it takes seconds). Unless ``LITELLM_LOCAL_MODEL_COST_MAP`` is set,
it is set to ``True`` first, so importing litellm does not download its price table (and
``LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS`` likewise, so a request with a beta header does not fetch litellm's
beta-header table from GitHub).
``ModelSettings(native_compaction=...)`` turns on Anthropic context editing (``context_management``;
litellm adds the ``context-management-2025-06-27`` beta header); the edits Anthropic reports applied
become a :class:`~agentkit.messages.CompactionPart` at the start of the response (non-streamed
requests: litellm's stream assembly drops the field).
Tool-call arguments that are not a JSON object are sent back as ``{}``: Anthropic and Gemini accept only
objects (the model already got the error about them through the tool result).
"""

from __future__ import annotations

import ast
import json
import os
from collections.abc import AsyncGenerator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from agentkit._extras import require
from agentkit.exceptions import UserError
from agentkit.messages import ModelResponse, ReasoningPart, ResponsePart, ToolCall
from agentkit.models._adapter import Messages, RetryingModel
from agentkit.models._anthropic_thinking import claude_thinking_fields, is_claude, no_adaptive_thinking
from agentkit.models._chat_format import (
    REASONING_FIELDS,
    ChatStream,
    assistant_message,
    chat_messages,
    chat_tool_fields,
    parse_chat_usage,
    parse_message,
    parse_tool_calls,
)
from agentkit.models._errors import Failure, IncompleteResponse, invalid_json_cause, parse_retry_after
from agentkit.models._gemini_state import gemini_request_fields
from agentkit.models._litellm_clients import close_loop_clients, loop_token, using_loop
from agentkit.models._loop_close import close_at_loop_end
from agentkit.models._native_compaction import anthropic_context_management, applied_edits_part
from agentkit.models._openai_common import (
    NO_KEY,
    as_dict,
    as_list,
    as_str,
    classify_openai_error,
    error_message,
)
from agentkit.models._pricing import cost_usd
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone
from agentkit.models.profiles import ModelProfile, fit_settings, profile_for
from agentkit.redaction import add_secret
from agentkit.settings import ModelSettings

__all__ = ["LiteLLMModel", "classify_litellm_error", "import_litellm", "provider_message"]

JSON = dict[str, Any]
THINKING_BLOCKS = ("thinking", "redacted_thinking")
_MESSAGE_FIELDS_SKIPPED = frozenset({"thinking_blocks", "citations", "context_management", *REASONING_FIELDS})


_FEATURE = "LiteLLMModel (model strings 'litellm:...', 'anthropic:...', 'gemini:...')"


def import_litellm() -> Any:
    """Import litellm without letting it download its price table at import time, or its Anthropic
    beta-header table on the first request with a beta header (it ships both).

    Without litellm: :class:`~agentkit.exceptions.MissingExtra`, at the first request (building the
    model needs no litellm, so its price is known from agentkit's table)."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS", "True")
    litellm: Any = require("litellm", "litellm", _FEATURE)
    litellm.suppress_debug_info = True  # no "Give Feedback / Get Help" banner printed on every error
    return litellm


class LiteLLMModel(RetryingModel):
    """A model reached through litellm.

    Args:
        model_name: litellm's model name, ``"<provider>/<model>"`` (e.g. ``"anthropic/claude-sonnet-4-5"``,
            ``"gemini/gemini-2.5-pro"``).
        api_key: The provider's key (default: the provider's environment variable; for OpenAI-compatible
            providers a missing one is a ``UserError``, where litellm would send ``OPENAI_API_KEY``).
        base_url: The provider's endpoint (litellm's ``api_base``), e.g. a proxy or a local emulator.
        provider: Provider name tagging reasoning state (default: the part before ``/``, or litellm's guess).
        retry: The retry policy (litellm's own retries are turned off).
        fallback_models: Models (or model strings) tried in order when this one fails for good.
        litellm_kwargs: More keyword arguments for every ``litellm.acompletion`` call.
        profile: What the model accepts (default: :func:`~agentkit.models.profiles.profile_for` its name);
            settings it does not take are dropped, or refused with ``ModelSettings(strict=True)``.
    """

    def __init__(
        self,
        model_name: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        provider: str | None = None,
        retry: RetryPolicy | None = None,
        fallback_models: Sequence[Model | str] = (),
        litellm_kwargs: dict[str, Any] | None = None,
        profile: ModelProfile | None = None,
    ) -> None:
        super().__init__(retry, fallback_models)
        self._model_name = model_name
        self._provider = provider or (model_name.split("/", 1)[0] if "/" in model_name else None)
        self._api_key, self._base_url = api_key, base_url
        self.litellm_kwargs = dict(litellm_kwargs or {})
        self._loop_closers: dict[object, AsyncGenerator[None, None]] = {}
        self._profile = profile

    @property
    def model_name(self) -> str:
        """litellm's model name."""
        return self._model_name

    @property
    def provider(self) -> str:
        """The provider name tagging reasoning state (``"anthropic"``, ``"gemini"`` ...)."""
        if self._provider is None:
            self._provider = str(import_litellm().get_llm_provider(self._model_name)[1])
        return self._provider

    @property
    def profile(self) -> ModelProfile:
        """What the model accepts (the ``profile`` given, else its family's)."""
        return self._profile or profile_for(self._provider, self._model_name)

    # --- requests --------------------------------------------------------------------------------

    def build_kwargs(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> JSON:
        """The keyword arguments of ``litellm.acompletion`` (without streaming ones)."""
        settings = fit_settings(self.profile, self._model_name, settings).settings
        chat = chat_messages(messages, self._assistant, tool_files=is_claude(self._model_name))
        kwargs: JSON = {"model": self._model_name, "messages": chat}
        kwargs.update(chat_tool_fields(params))
        if is_claude(self._model_name):
            kwargs.update(claude_thinking_fields(chat, settings, self._model_name, kwargs.get("tool_choice")))
        else:
            no_adaptive_thinking(settings, self._model_name)
            kwargs.update(_reasoning_fields(settings))
        kwargs.update(_setting_fields(settings, "tools" in kwargs))
        kwargs.update(self._context_editing(settings, kwargs))
        connection = {"api_key": self._connection_key(), "api_base": self._base_url, "timeout": settings.timeout_s}
        kwargs.update({key: value for key, value in connection.items() if value is not None})
        kwargs["num_retries"] = 0
        kwargs.update(gemini_request_fields(self.provider, self._model_name))
        kwargs.update(self.litellm_kwargs)
        kwargs.update(settings.extra_body or {})
        return kwargs

    def _context_editing(self, settings: ModelSettings, kwargs: JSON) -> JSON:
        """Anthropic's ``context_management`` when native compaction is asked for (others have none)."""
        if self.provider != "anthropic":
            return {}
        thinking = "thinking" in kwargs or "reasoning_effort" in kwargs
        edits = anthropic_context_management(settings, thinking)
        return {} if edits is None else {"context_management": edits}

    def _connection_key(self) -> str | None:
        """The key passed to litellm (``None``: litellm reads the provider's variable itself).

        For OpenAI-compatible providers litellm falls back to ``OPENAI_API_KEY`` when the provider's own
        variable is unset, sending the OpenAI key to another company: the provider's key is resolved
        here instead, and a missing one is an error (a placeholder through a custom ``base_url``).
        """
        if self._api_key:
            add_secret(self._api_key)
            return self._api_key
        litellm = import_litellm()
        try:
            _, provider, key, _ = litellm.get_llm_provider(self._model_name, api_base=self._base_url)
        except Exception:  # litellm reports an unknown provider itself, on the request
            return None
        if provider not in litellm.openai_compatible_providers:
            return None
        if key:
            return str(key)
        missing = [str(name) for name in litellm.validate_environment(self._model_name).get("missing_keys") or []]
        if not missing:
            return None
        if self._base_url:
            return NO_KEY
        raise UserError(
            f"No API key for litellm provider {provider!r} (model {self._model_name!r}): set "
            f"{' or '.join(missing)} or pass api_key=... to the model. OPENAI_API_KEY is never sent to "
            "another provider."
        )

    def _assistant(self, response: ModelResponse) -> JSON:
        message = assistant_message(response, _object_arguments)
        own = [p for p in response.parts if isinstance(p, ReasoningPart) and p.provider == self.provider]
        blocks = [_thinking_block(p) for p in own if p.data.get("block") in THINKING_BLOCKS]
        if blocks:
            message["thinking_blocks"] = blocks
        for part in own:
            field = part.data.get("field")
            if field in REASONING_FIELDS:
                message[str(field)] = part.content
            _restore_provider_fields(message, part.data)
        return message

    def _litellm(self) -> Any:
        """litellm, with its HTTP clients of the running loop closed when the loop ends."""
        litellm = import_litellm()
        token = loop_token(litellm)
        if token is not None and token not in self._loop_closers:
            using_loop(token)
            self._loop_closers[token] = close_at_loop_end(lambda: self._loop_ended(litellm, token))
        return litellm

    async def _loop_ended(self, litellm: Any, token: object) -> None:
        self._loop_closers.pop(token, None)
        await close_loop_clients(litellm, token)

    async def _request_once(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        litellm = self._litellm()
        response = await litellm.acompletion(**self.build_kwargs(messages, settings, params))
        return self._parse(_dump(response))

    async def _stream_once(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncGenerator[ModelStreamEvent, None]:
        litellm = self._litellm()
        kwargs = self.build_kwargs(messages, settings, params)
        stream = await litellm.acompletion(**kwargs, stream=True, stream_options={"include_usage": True})
        state = ChatStream(self.provider)
        chunks: list[Any] = []
        try:
            async for chunk in stream:
                chunks.append(chunk)
                for event in state.feed(_dump(chunk)):
                    yield event
        finally:
            await stream.aclose()  # a stream left early keeps its connection otherwise
        for event in state.flush():
            yield event
        if state.finish_reason is None:
            raise IncompleteResponse("the stream ended before the answer was complete (no finish_reason)")
        if not (state.usage or state.parts()):
            # litellm skips events it can't parse and still reports finish_reason "stop"
            raise IncompleteResponse("the stream ended without any content or usage (cut off, or not parseable)")
        built = litellm.stream_chunk_builder(chunks, messages=kwargs["messages"])
        yield ResponseDone(self._parse(_dump(built)))

    def _parse(self, data: JSON) -> ModelResponse:
        choices = as_list(data.get("choices"))
        if not choices:
            raise IncompleteResponse("the completion has no choices")
        message = as_dict(choices[0].get("message"))
        usage = parse_chat_usage(as_dict(data.get("usage")))
        table = import_litellm().model_cost
        usage = usage.model_copy(update={"cost_usd": cost_usd(self._model_name, usage, self.provider, table)})
        return ModelResponse(
            parts=self._parts(message),
            model_name=as_str(data.get("model")) or None,
            provider=self.provider,
            usage=usage,
            finish_reason=as_str(choices[0].get("finish_reason")) or None,
            id=as_str(data.get("id")) or None,
        )

    def _parts(self, message: JSON) -> list[ResponsePart]:
        edits = as_dict(message.get("provider_specific_fields")).get("context_management")
        compaction = applied_edits_part(edits, self.provider)
        return ([compaction] if compaction else []) + self._content_parts(message)

    def _content_parts(self, message: JSON) -> list[ResponsePart]:
        blocks = [b for b in as_list(message.get("thinking_blocks")) if b.get("type") in THINKING_BLOCKS]
        if not blocks:
            return _with_provider_state(parse_message(message, self.provider, think_tags=True), message, self.provider)
        parts: list[ResponsePart] = [_block_part(b, self.provider) for b in blocks]
        content = as_str(message.get("content"))
        if content:
            parts += parse_message({"content": content}, self.provider, think_tags=False)
        return _with_provider_state(parts + parse_tool_calls(message), message, self.provider)

    def _classify(self, exc: BaseException) -> Failure | None:
        where = f"{self.provider} via litellm" + (f" ({self._base_url})" if self._base_url else "")
        return classify_litellm_error(exc, where)


_INVALID_BODY_STATUSES = (None, 200, 500)
"""Statuses litellm gives an HTTP 200 whose body was not JSON (500 when it maps the openai SDK's error)."""


def classify_litellm_error(exc: BaseException, where: str = "the provider") -> Failure | None:
    """Like the ``openai`` classification (litellm's exceptions subclass openai's), plus the provider's
    message out of litellm's wording and ``Retry-After`` out of ``litellm_response_headers``.

    litellm wraps a body that is not JSON in one of its errors, with the ``json.JSONDecodeError`` in
    the chain: that becomes an invalid-body failure, retried like a dropped connection."""
    failure = classify_openai_error(exc)
    decode_error = invalid_json_cause(exc) if failure is not None else None
    if failure is not None and decode_error is not None and failure.status in _INVALID_BODY_STATUSES:
        return Failure(
            f"{where} answered HTTP 200 with a body that is not valid JSON ({decode_error})", invalid_body=True
        )
    if failure is None or failure.status is None:
        return failure
    headers = getattr(exc, "litellm_response_headers", None)
    retry_after = failure.retry_after
    if retry_after is None and isinstance(headers, Mapping):
        retry_after = parse_retry_after(headers)
    return replace(failure, message=provider_message(failure.message), retry_after=retry_after)


def provider_message(text: str) -> str:
    """The provider's own message inside litellm's ``"litellm.XError: ProviderException - {json}"``
    (the JSON may be shown as a ``b'...'`` bytes literal); ``text`` itself when there is none."""
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end < start:
        return text
    raw = text[start : end + 1]
    try:
        if text[max(0, start - 2) : start] == "b'":
            raw = ast.literal_eval(f"b'{raw}'").decode()
        body = json.loads(raw)
    except (ValueError, SyntaxError, UnicodeDecodeError):
        return text
    return error_message(body, text)


# --- request helpers -----------------------------------------------------------------------------


def _reasoning_fields(settings: ModelSettings) -> JSON:
    if settings.thinking_budget is not None:
        return {"thinking": {"type": "enabled", "budget_tokens": settings.thinking_budget}}
    if settings.reasoning_effort is not None:
        return {"reasoning_effort": settings.reasoning_effort}
    return {}


def _setting_fields(settings: ModelSettings, has_tools: bool) -> JSON:
    fields: JSON = {
        "max_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "seed": settings.seed,
        "stop": settings.stop,
        "parallel_tool_calls": settings.parallel_tool_calls if has_tools else None,
    }
    return {key: value for key, value in fields.items() if value is not None}


def _object_arguments(arguments: str) -> str:
    try:
        parsed = json.loads(arguments)
    except ValueError:
        return "{}"
    return arguments if isinstance(parsed, dict) else "{}"


def _thinking_block(part: ReasoningPart) -> JSON:
    if part.data.get("block") == "redacted_thinking":
        return {"type": "redacted_thinking", "data": part.encrypted_content}
    return {"type": "thinking", "thinking": part.content, "signature": part.signature}


def _restore_provider_fields(message: JSON, data: dict[str, Any]) -> None:
    message_fields = as_dict(data.get("message_fields"))
    if message_fields:
        message["provider_specific_fields"] = message_fields
    call_fields = as_dict(data.get("tool_call_fields"))
    for call in message.get("tool_calls", []):
        fields = call_fields.get(call["id"])
        if fields:
            call["provider_specific_fields"] = fields


# --- response helpers ----------------------------------------------------------------------------


def _dump(obj: Any) -> JSON:
    dumped = obj.model_dump(warnings=False) if hasattr(obj, "model_dump") else obj
    return as_dict(dumped)


def _block_part(block: JSON, provider: str) -> ReasoningPart:
    if block.get("type") == "redacted_thinking":
        return ReasoningPart(
            provider=provider, redacted=True, encrypted_content=as_str(block.get("data")), data={"block": block["type"]}
        )
    return ReasoningPart(
        content=as_str(block.get("thinking")),
        provider=provider,
        signature=as_str(block.get("signature")) or None,
        data={"block": "thinking"},
    )


def _with_provider_state(parts: list[ResponsePart], message: JSON, provider: str) -> list[ResponsePart]:
    """``parts`` plus a reasoning part holding provider fields (Gemini thought signatures), if any."""
    message_fields = {
        key: value
        for key, value in as_dict(message.get("provider_specific_fields")).items()
        if key not in _MESSAGE_FIELDS_SKIPPED and value is not None
    }
    call_fields = {
        as_str(call.get("id")): as_dict(call.get("provider_specific_fields"))
        for call in as_list(message.get("tool_calls"))
        if as_dict(call.get("provider_specific_fields"))
    }
    if not message_fields and not call_fields:
        return parts
    state = ReasoningPart(provider=provider, data={"message_fields": message_fields, "tool_call_fields": call_fields})
    first_call = next((i for i, p in enumerate(parts) if isinstance(p, ToolCall)), len(parts))
    return [*parts[:first_call], state, *parts[first_call:]]
