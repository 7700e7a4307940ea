"""The OpenAI Responses API (``"openai:<model>"``).

Reasoning models return ``reasoning`` output items. With ``store=False`` (the default: nothing is kept
on OpenAI's side) the request asks for ``include=["reasoning.encrypted_content"]``, and every reasoning
item goes back on the next turns with its id and encrypted content, directly followed by the item that
followed it (a function call, or the assistant message with its id), as the API requires. Reasoning
summaries (``reasoning.summary``) become the readable reasoning text and stream as reasoning deltas.

Function calls map to :class:`~agentkit.messages.ToolCall` (``call_id`` as the id, the ``fc_`` item id
as ``provider_id``); tool results go back as ``function_call_output`` items. A
:class:`~agentkit.messages.RetryPrompt` answering a call goes back as that call's output (the Responses
API has no error flag). ``usage.output_tokens`` already includes
``output_tokens_details.reasoning_tokens``.

With ``ModelSettings(native_compaction=...)`` the request asks for server-side compaction
(``context_management``); a ``compaction`` output item becomes a :class:`~agentkit.messages.CompactionPart`
that goes back unchanged, in its place, on later requests to the same provider.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Sequence
from typing import Any, Literal

from openai import AsyncOpenAI

from agentkit.attachments import Document, Image
from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.exceptions import UserError
from agentkit.messages import (
    CompactionPart,
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    ResponsePart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.models._adapter import Messages
from agentkit.models._errors import Failure, IncompleteResponse, StreamReportedError
from agentkit.models._file_parts import attach, responses_file_part
from agentkit.models._native_compaction import compaction_item, parse_compaction_item, responses_context_management
from agentkit.models._openai_client import OpenAIClientModel
from agentkit.models._openai_common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    classify_openai_error,
    error_message,
    invalid_json_guard,
    tool_choice_mode,
)
from agentkit.models._pricing import cost_usd, price_entry
from agentkit.models._retry import RetryPolicy
from agentkit.models._sdk_body import sdk_kwargs
from agentkit.models._wire_ids import RESPONSES_CALL_ID_LIMIT, fit_call_id
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone
from agentkit.models.profiles import ModelProfile, fit_settings, profile_for
from agentkit.settings import ModelSettings
from agentkit.tools import ToolDefinition
from agentkit.usage import Usage

__all__ = ["OpenAIResponsesModel", "build_input", "parse_response"]

JSON = dict[str, Any]
ReasoningSummary = Literal["auto", "concise", "detailed"]
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "codex", "gpt-oss", "computer-use")


class OpenAIResponsesModel(OpenAIClientModel):
    """A model behind the OpenAI Responses API (or a server implementing it).

    Args:
        model_name: e.g. ``"o4-mini"``, ``"gpt-5"``.
        api_key: Defaults to ``OPENAI_API_KEY`` (for OpenAI and a custom ``base_url``; a named provider's
            own variable for a known provider, see :class:`~agentkit.models.openai_chat.OpenAIChatModel`).
        base_url: Another server speaking the Responses API (default: OpenAI, or ``OPENAI_BASE_URL``).
        client: A ready ``openai.AsyncOpenAI`` (its own retries are turned off; the policy decides).
        provider: The provider name that tags reasoning state (default: from ``base_url``, ``"openai"``).
        store: Let OpenAI store responses. ``False`` sends encrypted reasoning back inline instead.
        reasoning: Whether the model reasons (sends ``reasoning``/``include``); ``None`` guesses from the
            name and litellm's price table.
        reasoning_summary: ``reasoning.summary`` to ask for (``None``: none, e.g. for organisations that
            are not verified for summaries).
        retry: The retry policy (default :class:`~agentkit.models._retry.RetryPolicy()`).
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
        store: bool = False,
        reasoning: bool | None = None,
        reasoning_summary: ReasoningSummary | None = "auto",
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
        self.store = store
        self.reasoning = reasoning if reasoning is not None else _guess_reasoning(model_name)
        self.reasoning_summary = reasoning_summary
        self._profile = profile

    @property
    def profile(self) -> ModelProfile:
        """What the model accepts (the ``profile`` given, else its family's)."""
        return self._profile or profile_for(self._provider, self._model_name)

    # --- requests --------------------------------------------------------------------------------

    def build_body(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> JSON:
        """The JSON body of a ``POST /responses`` request (without ``stream``)."""
        settings = fit_settings(self.profile, self._model_name, settings).settings
        body: JSON = {"model": self._model_name, "input": build_input(messages, self._provider, self.store)}
        body["store"] = self.store
        body.update(_tool_fields(params))
        reasoning = self.reasoning or settings.reasoning_effort is not None
        if reasoning:
            body.update(_reasoning_fields(settings, self.reasoning_summary, self.store))
        body.update(_setting_fields(settings))
        context_management = responses_context_management(settings)
        if context_management is not None:
            body["context_management"] = context_management
        return body

    def _options(self, settings: ModelSettings) -> JSON:
        options: JSON = {}
        if settings.extra_body:
            options["extra_body"] = dict(settings.extra_body)
        if settings.timeout_s is not None:
            options["timeout"] = settings.timeout_s
        return options

    async def _request_once(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        body = self.build_body(messages, settings, params)
        with invalid_json_guard(self._where("responses")):
            response = await self.client.responses.create(**sdk_kwargs(body, "input", self._options(settings)))
        return self._finish(response.to_dict())

    async def _stream_once(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncGenerator[ModelStreamEvent, None]:
        body = self.build_body(messages, settings, params)
        where = self._where("responses")
        with invalid_json_guard(where):
            stream = await self.client.responses.create(
                **sdk_kwargs(body, "input", self._options(settings)), stream=True
            )
        reader = _StreamReader()
        try:
            with invalid_json_guard(where):
                async for event in stream:  # read to the end: an SDK stream left early is finalized by the GC
                    if reader.final is None:
                        for delta in reader.feed(event.to_dict()):
                            yield delta
        except Exception:
            if reader.final is None:
                raise  # a fault after the completed response does not undo it
        finally:
            await stream.close()
        if reader.final is None:
            raise IncompleteResponse("the stream ended before the response completed (no response.completed event)")
        yield ResponseDone(self._finish(reader.final))

    def _finish(self, data: JSON) -> ModelResponse:
        response = parse_response(data, self._provider)
        usage = response.usage.model_copy(update={"cost_usd": cost_usd(self._model_name, response.usage)})
        return response.model_copy(update={"usage": usage})

    def _classify(self, exc: BaseException) -> Failure | None:
        return classify_openai_error(exc)


def _guess_reasoning(model_name: str) -> bool:
    entry = price_entry(model_name, "openai")
    if "supports_reasoning" in entry:
        return bool(entry["supports_reasoning"])
    return model_name.startswith(_REASONING_PREFIXES)


# --- request body --------------------------------------------------------------------------------


def _tool_fields(params: RequestParams) -> JSON:
    mode = tool_choice_mode(params)
    if mode is None:
        return {}
    fields: JSON = {"tools": [_tool(t) for t in params.all_tools]}
    if mode == "output":
        assert params.output_tool is not None  # "output" is only chosen with an output tool
        fields["tool_choice"] = {"type": "function", "name": params.output_tool.name}
    elif mode != "auto":
        fields["tool_choice"] = mode
    return fields


def _tool(tool: ToolDefinition) -> JSON:
    return {
        "type": "function",
        "name": tool.name,
        "description": tool.description,
        "parameters": tool.parameters,
        "strict": tool.strict,
    }


def _reasoning_fields(settings: ModelSettings, summary: ReasoningSummary | None, store: bool) -> JSON:
    reasoning: JSON = {}
    if settings.reasoning_effort is not None:
        reasoning["effort"] = settings.reasoning_effort
    if summary is not None:
        reasoning["summary"] = summary
    fields: JSON = {"reasoning": reasoning}
    if not store:
        fields["include"] = ["reasoning.encrypted_content"]
    return fields


def _setting_fields(settings: ModelSettings) -> JSON:
    if settings.seed is not None or settings.stop:
        raise UserError(
            "The OpenAI Responses API has no `seed` or `stop` parameter: remove them from ModelSettings, "
            "or use the Chat Completions adapter ('openai-chat:<model>')."
        )
    if settings.thinking_budget is not None:
        raise UserError(
            "OpenAI models take ModelSettings(reasoning_effort=...), not a thinking_budget: remove thinking_budget."
        )
    fields: JSON = {
        "max_output_tokens": settings.max_tokens,
        "temperature": settings.temperature,
        "top_p": settings.top_p,
        "parallel_tool_calls": settings.parallel_tool_calls,
    }
    return {key: value for key, value in fields.items() if value is not None}


def build_input(messages: Messages, provider: str, store: bool) -> list[JSON]:
    """The ``input`` items for ``messages``; reasoning state is kept only when ``provider`` made it."""
    items: list[JSON] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            items += _request_items(message)
        else:
            items += _response_items(message, provider, store)
    return items


def _request_items(request: ModelRequest) -> list[JSON]:
    """A request's items; images and documents join the user message before them."""
    items: list[JSON] = []
    for part in request.parts:
        if isinstance(part, Image | Document):
            attach(items, responses_file_part(part), "input_text")
        else:
            items.append(_request_item(part))
    return items


def _request_item(part: SystemPart | UserPart | ToolResult | RetryPrompt) -> JSON:
    if isinstance(part, SystemPart):
        return {"role": "system", "content": part.content}
    if isinstance(part, UserPart):
        return {"role": "user", "content": part.content}
    if isinstance(part, ToolResult):
        return {"type": "function_call_output", "call_id": _wire_id(part.call_id), "output": _tool_output(part)}
    if part.call_id is not None:
        return {"type": "function_call_output", "call_id": _wire_id(part.call_id), "output": part.content}
    return {"role": "user", "content": part.content}


def _tool_output(result: ToolResult) -> str | list[JSON]:
    """The output of a function call: its text, or a list of input parts when the tool returned files."""
    if not result.files:
        return result.content_text()
    return [{"type": "input_text", "text": result.content_text()}, *(responses_file_part(f) for f in result.files)]


def _response_items(response: ModelResponse, provider: str, store: bool) -> list[JSON]:
    """Output items of an earlier response. Item ids go back only when all of its reasoning does: the API
    rejects an item whose reasoning item is missing."""
    reasoning = [p for p in response.parts if isinstance(p, ReasoningPart)]
    keep_ids = response.provider == provider and all(_replayable(p, provider, store) for p in reasoning)
    items: list[JSON] = []
    message_id: str | None = None
    texts: list[str] = []
    for part in response.parts:
        if isinstance(part, TextPart):
            texts.append(part.content)
            continue
        if texts:
            items.append(_assistant_message(texts, message_id))
            texts, message_id = [], None
        if isinstance(part, ToolCall):
            items.append(_function_call(part, keep_ids))
        elif isinstance(part, CompactionPart):
            items += [item] if (item := compaction_item(part, provider)) else []
        elif _replayable(part, provider, store):
            items.append(_reasoning_item(part))
            message_id = (as_str(part.data.get("message_id")) or None) if keep_ids else None
    if texts:
        items.append(_assistant_message(texts, message_id))
    return items


def _replayable(part: ReasoningPart, provider: str, store: bool) -> bool:
    """Reasoning goes back only to its provider, with an id, and inline content unless stored."""
    return part.provider == provider and part.id is not None and (part.encrypted_content is not None or store)


def _reasoning_item(part: ReasoningPart) -> JSON:
    summary = part.data.get("summary")
    texts = [str(t) for t in summary] if isinstance(summary, list) else ([part.content] if part.content else [])
    item: JSON = {"type": "reasoning", "id": part.id, "summary": [{"type": "summary_text", "text": t} for t in texts]}
    if part.encrypted_content is not None:
        item["encrypted_content"] = part.encrypted_content
    return item


def _assistant_message(texts: list[str], message_id: str | None) -> JSON:
    if message_id is None:
        return {"role": "assistant", "content": "".join(texts)}
    content = [{"type": "output_text", "text": t, "annotations": []} for t in texts]
    return {"type": "message", "id": message_id, "role": "assistant", "status": "completed", "content": content}


def _wire_id(call_id: str) -> str:
    return fit_call_id(call_id, RESPONSES_CALL_ID_LIMIT)


def _function_call(call: ToolCall, keep_id: bool) -> JSON:
    item: JSON = {"type": "function_call", "call_id": _wire_id(call.id), "name": call.name, "arguments": call.arguments}
    if keep_id and call.provider_id is not None:
        item["id"] = call.provider_id
    return item


# --- response ------------------------------------------------------------------------------------


def parse_response(data: JSON, provider: str) -> ModelResponse:
    """A :class:`ModelResponse` from a Responses API ``response`` object."""
    output = as_list(data.get("output"))
    parts: list[ResponsePart] = []
    for index, item in enumerate(output):
        following = output[index + 1] if index + 1 < len(output) else {}
        parts += _parse_item(item, following, provider)
    calls = any(isinstance(p, ToolCall) for p in parts)
    return ModelResponse(
        parts=parts,
        model_name=as_str(data.get("model")) or None,
        provider=provider,
        usage=parse_usage(as_dict(data.get("usage"))),
        finish_reason=_finish_reason(data, calls),
        id=as_str(data.get("id")) or None,
    )


def _parse_item(item: JSON, following: JSON, provider: str) -> list[ResponsePart]:
    kind = item.get("type")
    if kind == "reasoning":
        return [_parse_reasoning(item, following, provider)]
    if kind == "message":
        texts = [as_str(c.get("text")) or as_str(c.get("refusal")) for c in as_list(item.get("content"))]
        return [TextPart(content=t) for t in texts if t]
    if kind == "compaction":
        return [parse_compaction_item(item, provider)]
    if kind == "function_call":
        return [
            ToolCall(
                id=as_str(item.get("call_id")),
                name=as_str(item.get("name")),
                arguments=as_str(item.get("arguments")) or "{}",
                provider_id=as_str(item.get("id")) or None,
            )
        ]
    return []


def _parse_reasoning(item: JSON, following: JSON, provider: str) -> ReasoningPart:
    summary = [as_str(s.get("text")) for s in as_list(item.get("summary"))]
    raw = [as_str(c.get("text")) for c in as_list(item.get("content"))]
    data: JSON = {"summary": summary}
    if following.get("type") == "message" and following.get("id"):
        data["message_id"] = following["id"]
    return ReasoningPart(
        content="\n\n".join(t for t in (summary or raw) if t),
        provider=provider,
        id=as_str(item.get("id")) or None,
        encrypted_content=as_str(item.get("encrypted_content")) or None,
        data=data,
    )


def parse_usage(usage: JSON) -> Usage:
    """Responses ``usage`` (output tokens already include reasoning tokens)."""
    return Usage(
        input_tokens=as_int(usage.get("input_tokens")),
        output_tokens=as_int(usage.get("output_tokens")),
        reasoning_tokens=as_int(as_dict(usage.get("output_tokens_details")).get("reasoning_tokens")),
        cached_tokens=as_int(as_dict(usage.get("input_tokens_details")).get("cached_tokens")),
        requests=1,
    )


def _finish_reason(data: JSON, has_calls: bool) -> str:
    if data.get("status") == "incomplete":
        reason = as_str(as_dict(data.get("incomplete_details")).get("reason"))
        return "length" if reason == "max_output_tokens" else reason or "incomplete"
    return "tool_calls" if has_calls else "stop"


# --- streaming -----------------------------------------------------------------------------------

_FINAL_EVENTS = ("response.completed", "response.incomplete")


class _StreamReader:
    """Turns Responses stream events into deltas; ``final`` is the completed response object."""

    def __init__(self) -> None:
        self.final: JSON | None = None

    def feed(self, event: JSON) -> list[ModelStreamEvent]:
        kind = as_str(event.get("type"))
        if kind in _FINAL_EVENTS:
            self.final = as_dict(event.get("response"))
            return []
        if kind in ("response.failed", "error"):
            raise _stream_failure(event)
        return _delta(kind, event)


def _delta(kind: str, event: JSON) -> list[ModelStreamEvent]:
    index = as_int(event.get("output_index"))
    if kind in ("response.reasoning_summary_text.delta", "response.reasoning_text.delta"):
        return [ReasoningDelta(text=as_str(event.get("delta")))]
    if kind == "response.reasoning_summary_part.added" and as_int(event.get("summary_index")) > 0:
        return [ReasoningDelta(text="\n\n")]
    if kind == "response.output_text.delta":
        return [TextDelta(text=as_str(event.get("delta")))]
    if kind == "response.function_call_arguments.delta":
        return [ToolCallDelta(index=index, args_delta=as_str(event.get("delta")))]
    item = as_dict(event.get("item"))
    if kind == "response.output_item.added" and item.get("type") == "function_call":
        call_id, name = as_str(item.get("call_id")) or None, as_str(item.get("name")) or None
        return [ToolCallDelta(index=index, call_id=call_id, name=name, args_delta=as_str(item.get("arguments")))]
    return []


_ERROR_STATUSES = {"server_error": 500, "rate_limit_exceeded": 429, "overloaded": 503}


def _stream_failure(event: JSON) -> StreamReportedError:
    error = as_dict(as_dict(event.get("response")).get("error")) or event
    message = error_message(error, "the response failed")
    status = _ERROR_STATUSES.get(as_str(error.get("code")) or as_str(error.get("type")), 400)
    return StreamReportedError(f"the response failed mid-stream: {message}", status, error)
