"""OpenTelemetry spans for agent runs, following the GenAI semantic conventions.

Off until you call :func:`instrument`::

    import agentkit.tracing

    agentkit.tracing.instrument()                     # the global TracerProvider
    agentkit.tracing.instrument(tracer_provider=tp)   # or your own

Every run then produces one ``invoke_agent {agent}`` span (with the budget and the tool definitions)
with a ``chat {model}`` child per model request (model, provider, request parameters such as
``gen_ai.request.temperature``, token counts including reasoning and cached tokens, cost, finish reasons),
an ``execute_tool {tool}`` child per tool call (call id, duration, error status), and a
``guardrail {name}`` child per guardrail check (stage, tripped, error status). Retries, budget
warnings, model switches, approvals and strategy branches are span events on the run span. Spans are
built from the run's :mod:`agentkit.events`, so their timings are the events' timestamps.

Only ``opentelemetry-api`` is needed (``pip install 'agentkit[tracing]'``); it is imported when
:func:`instrument` is called, never by ``import agentkit``. Message and tool contents, the system
instructions and whole tool definitions are recorded only with ``capture_content=True``, and everything
put on a span goes through :func:`agentkit.redaction.redact_text` first (secret tool arguments are
already redacted in events).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentkit.events import (
    AgentEvent,
    FinalResultEvent,
    GuardrailEnd,
    GuardrailStart,
    ModelRequestStart,
    ModelResponseEvent,
    RunStart,
    SettingDropped,
    ToolCallEnd,
    ToolCallStart,
)
from agentkit.redaction import redact_text, redact_value

if TYPE_CHECKING:
    from contextvars import Token

    from opentelemetry.context import Context
    from opentelemetry.trace import Span, Tracer, TracerProvider

    from agentkit._loop import EventSink
    from agentkit.messages import ModelResponse
    from agentkit.usage import Usage

__all__ = ["RunTracer", "instrument", "is_instrumented", "traced", "uninstrument"]

MAX_ATTRIBUTE_CHARS = 8_000
"""Longer contents are cut (with a note) before they go on a span."""

_IGNORED_KINDS = frozenset({"reasoning_delta", "text_delta", "tool_call_delta"})


@dataclass(frozen=True)
class _Settings:
    tracer: Tracer
    capture_content: bool


_settings: _Settings | None = None


def instrument(tracer_provider: TracerProvider | None = None, *, capture_content: bool = False) -> None:
    """Record spans for every run from now on.

    ``tracer_provider`` defaults to OpenTelemetry's global provider. With ``capture_content`` the prompt,
    the model's output messages, tool arguments and tool results are recorded too (secrets scrubbed).
    """
    global _settings
    try:
        from opentelemetry import trace
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "agentkit.tracing needs opentelemetry-api: pip install 'agentkit[tracing]'", name=exc.name
        ) from exc
    from agentkit import __version__

    tracer = trace.get_tracer("agentkit", __version__, tracer_provider=tracer_provider)
    _settings = _Settings(tracer, capture_content)


def uninstrument() -> None:
    """Stop recording spans."""
    global _settings
    _settings = None


def is_instrumented() -> bool:
    """Whether :func:`instrument` is in effect."""
    return _settings is not None


@contextmanager
def traced(
    emit: EventSink | None, *, agent_name: str = "agent", strategy: str | None = None
) -> Iterator[EventSink | None]:
    """Wrap one run's event sink so the run is traced (when :func:`instrument` was called).

    Yields ``emit`` itself when tracing is off or ``emit`` is already a :class:`RunTracer`. Otherwise
    yields a sink that records spans and then forwards each event to ``emit``; the run span is the
    current span inside the block, and if the block raises, the spans still open end with an error
    status naming the exception.

    With ``strategy`` (a test-time compute strategy's name) the block is a strategy run: its span opens
    at once, strategy branch events become its span events, and the branch runs, traced on their own,
    become its children.
    """
    settings = _settings
    if settings is None or isinstance(emit, RunTracer):
        yield emit  # off, or already traced by an outer block: never record a run twice
        return
    tracer = RunTracer(settings.tracer, agent_name=agent_name, capture_content=settings.capture_content, then=emit)
    if strategy is not None:
        tracer.start_strategy(strategy)
    error: BaseException | None = None
    try:
        yield tracer
    except BaseException as exc:
        error = exc
        raise
    finally:
        tracer.close(error)


class RunTracer:
    """An event sink that turns one run's events into spans (see :func:`traced`)."""

    def __init__(
        self,
        tracer: Tracer,
        *,
        agent_name: str = "agent",
        capture_content: bool = False,
        then: EventSink | None = None,
    ) -> None:
        self._tracer = tracer
        self._agent_name = agent_name
        self._capture = capture_content
        self._then = then
        self._run: Span | None = None
        self._run_context: Context | None = None
        self._context_token: Token[Context] | None = None
        self._chat: Span | None = None
        self._tools: dict[str, Span] = {}
        self._guardrails: dict[tuple[str, str], Span] = {}
        self._request: dict[str, Any] = {}
        """The request parameters each ``chat`` span records (the run's settings, less what was dropped)."""
        self._strategy = False
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            RunStart: self._start_run,
            ModelRequestStart: self._start_chat,
            ModelResponseEvent: self._end_chat,
            ToolCallStart: self._start_tool,
            ToolCallEnd: self._end_tool,
            GuardrailStart: self._start_guardrail,
            GuardrailEnd: self._end_guardrail,
            SettingDropped: self._drop_setting,
            FinalResultEvent: self._end_run,
        }

    async def __call__(self, event: AgentEvent) -> None:
        try:
            self.record(event)
        except Exception as exc:  # tracing must never break a run
            warnings.warn(
                f"agentkit.tracing could not record a {event.kind!r} event ({type(exc).__name__}: {exc}).",
                RuntimeWarning,
                stacklevel=2,
            )
        if self._then is not None:
            await self._then(event)

    def record(self, event: AgentEvent) -> None:
        """Update the spans for one event."""
        if event.kind in _IGNORED_KINDS:
            return
        if self._strategy and event.branch is not None and event.kind != "strategy_branch":
            return  # a branch run's own event: its run is traced by itself, as a child span
        if event.parent_call_id is not None:
            return  # a sub-agent's event (Agent.as_tool): its run is traced by itself, as a child span
        self._handlers.get(type(event), self._add_run_event)(event)

    def close(self, error: BaseException | None = None) -> None:
        """End every span still open: with ``error``'s status, or as unfinished."""
        message = f"{type(error).__name__}: {error}" if error is not None else "the run ended before it finished"
        for span in [*self._tools.values(), *self._guardrails.values(), *([self._chat] if self._chat else [])]:
            _fail(span, message, error)
        self._tools.clear()
        self._guardrails.clear()
        self._chat = None
        if self._run is not None:
            _fail(self._run, message, error)
            self._run = None
        self._detach()

    # --- run -------------------------------------------------------------------------------------

    def start_strategy(self, strategy: str) -> None:
        """Open the span of a strategy run now (it has no ``RunStart`` of its own)."""
        self._strategy = True
        attributes = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": self._agent_name,
            "agentkit.strategy": strategy,
        }
        self._open_run(attributes, None)

    def _start_run(self, event: RunStart) -> None:
        provider, _, model = event.model.partition(":")
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "invoke_agent",
            "gen_ai.agent.name": self._agent_name,
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            "agentkit.run.id": event.run_id,
        }
        if event.branch is not None:
            attributes["agentkit.branch"] = event.branch
        attributes |= _setup_attributes(event, self._capture)
        if self._capture:
            attributes["gen_ai.input.messages"] = _json([_message("user", [_text_part(event.prompt)])])
        self._request = _request_attributes(event.settings)
        self._open_run(attributes, _ns(event.ts))

    def _open_run(self, attributes: dict[str, Any], start_time: int | None) -> None:
        from opentelemetry import context, trace

        self._run = self._tracer.start_span(
            f"invoke_agent {self._agent_name}",
            kind=trace.SpanKind.INTERNAL,
            attributes=attributes,
            start_time=start_time,
        )
        self._run_context = trace.set_span_in_context(self._run)
        self._context_token = context.attach(self._run_context)

    def _end_run(self, event: FinalResultEvent) -> None:
        if self._run is None:
            return
        self._end_open_chat("the run ended while this request was open", event.ts)
        span = self._run
        span.set_attributes({**_usage_attributes(event.usage), "agentkit.stop_reason": event.stop_reason})
        if self._strategy:
            span.set_attribute("agentkit.run.id", event.run_id)
        if self._capture:
            span.set_attribute("gen_ai.output.messages", _json([_message("assistant", [_output_part(event.output)])]))
        span.end(end_time=_ns(event.ts))
        self._run = None
        self._detach()

    def _detach(self) -> None:
        if self._context_token is not None:
            from opentelemetry import context

            context.detach(self._context_token)
            self._context_token = None

    def _add_run_event(self, event: AgentEvent) -> None:
        if self._run is None:
            return
        data = event.model_dump(mode="json", exclude={"run_id", "ts", "kind", "branch"})
        data = _without_kinds(data)
        attributes = {f"agentkit.{key}": _attribute(value) for key, value in _flatten(data)}
        if not self._capture:
            attributes = {k: v for k, v in attributes.items() if not _is_content_key(k)}
        self._run.add_event(f"agentkit.{event.kind}", attributes=attributes, timestamp=_ns(event.ts))

    # --- model calls -----------------------------------------------------------------------------

    def _start_chat(self, event: ModelRequestStart) -> None:
        from opentelemetry import trace

        self._end_open_chat("no response arrived (the request timed out or failed)", event.ts)
        provider, _, model = event.model.partition(":")
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider,
            "gen_ai.request.model": model,
            **self._request,
            "agentkit.step": event.step,
        }
        if event.final_answer:
            attributes["agentkit.final_answer"] = True
        self._chat = self._tracer.start_span(
            f"chat {model}",
            context=self._run_context,
            kind=trace.SpanKind.CLIENT,
            attributes=attributes,
            start_time=_ns(event.ts),
        )

    def _end_chat(self, event: ModelResponseEvent) -> None:
        span = self._chat
        if span is None:
            return
        response = event.response
        span.set_attributes(_usage_attributes(response.usage))
        span.set_attributes(_response_attributes(response))
        if self._capture:
            span.set_attribute("gen_ai.output.messages", _json([_response_message(response)]))
        span.end(end_time=_ns(event.ts))
        self._chat = None

    def _end_open_chat(self, reason: str, ts: float) -> None:
        if self._chat is not None:
            _fail(self._chat, reason, None, end_time=_ns(ts))
            self._chat = None

    def _drop_setting(self, event: SettingDropped) -> None:
        """A setting the model does not take was not sent (or sent changed): requests record what was sent."""
        for key, value in _request_attributes({event.setting: event.replacement}, keep_none=True).items():
            if value is None:
                self._request.pop(key, None)
            else:
                self._request[key] = value
        self._add_run_event(event)

    # --- tool calls ------------------------------------------------------------------------------

    def _start_tool(self, event: ToolCallStart) -> None:
        from opentelemetry import trace

        call = event.call
        attributes: dict[str, Any] = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": call.name,
            "gen_ai.tool.call.id": call.id,
            "gen_ai.tool.type": "function",
            "agentkit.step": event.step,
        }
        if self._capture:
            attributes["gen_ai.tool.call.arguments"] = _clip(redact_text(call.arguments))
        self._tools[call.id] = self._tracer.start_span(
            f"execute_tool {call.name}",
            context=self._run_context,
            kind=trace.SpanKind.INTERNAL,
            attributes=attributes,
            start_time=_ns(event.ts),
        )

    def _end_tool(self, event: ToolCallEnd) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = self._tools.pop(event.call_id, None)
        if span is None:
            return
        span.set_attribute("agentkit.tool.duration_s", round(event.duration_s, 6))
        result = event.result
        text = result.content if result.kind == "retry" else result.content_text()
        if event.is_error:
            span.set_attribute("error.type", "tool_error")
            span.set_status(Status(StatusCode.ERROR, _clip(redact_text(text), 1_000)))
        if self._capture:
            span.set_attribute("gen_ai.tool.call.result", _clip(redact_text(text)))
        span.end(end_time=_ns(event.ts))

    # --- guardrails ------------------------------------------------------------------------------

    def _start_guardrail(self, event: GuardrailStart) -> None:
        from opentelemetry import trace

        attributes = {"agentkit.guardrail.name": event.guardrail, "agentkit.guardrail.stage": event.stage}
        self._guardrails[(event.stage, event.guardrail)] = self._tracer.start_span(
            f"guardrail {event.guardrail}",
            context=self._run_context,
            kind=trace.SpanKind.INTERNAL,
            attributes=attributes,
            start_time=_ns(event.ts),
        )

    def _end_guardrail(self, event: GuardrailEnd) -> None:
        from opentelemetry.trace import Status, StatusCode

        span = self._guardrails.pop((event.stage, event.guardrail), None)
        if span is None:
            return
        span.set_attribute("agentkit.guardrail.tripped", event.tripped)
        if event.error is not None:
            span.set_attribute("error.type", "guardrail_error")
            span.set_status(Status(StatusCode.ERROR, _clip(redact_text(event.error), 1_000)))
        if self._capture and event.reason:
            span.set_attribute("agentkit.guardrail.reason", _clip(redact_text(event.reason), 1_000))
        if self._capture and event.info is not None:
            span.set_attribute("agentkit.guardrail.info", _json(event.info))
        span.end(end_time=_ns(event.ts))


# --- attributes ----------------------------------------------------------------------------------

_REQUEST_ATTRIBUTES = {
    "temperature": "gen_ai.request.temperature",
    "top_p": "gen_ai.request.top_p",
    "max_tokens": "gen_ai.request.max_tokens",
    "seed": "gen_ai.request.seed",
    "stop": "gen_ai.request.stop_sequences",
    "reasoning_effort": "agentkit.request.reasoning_effort",
    "thinking_budget": "agentkit.request.thinking_budget",
    "parallel_tool_calls": "agentkit.request.parallel_tool_calls",
    "timeout_s": "agentkit.request.timeout_s",
}
"""Model settings recorded on ``chat`` spans: GenAI semantic-convention names where they have one."""


def _request_attributes(settings: dict[str, Any], *, keep_none: bool = False) -> dict[str, Any]:
    return {
        _REQUEST_ATTRIBUTES[name]: value
        for name, value in settings.items()
        if name in _REQUEST_ATTRIBUTES and (keep_none or value is not None)
    }


def _setup_attributes(event: RunStart, capture: bool) -> dict[str, Any]:
    """The run's budget and tool definitions (names only unless ``capture``) and, with ``capture``, its
    system instructions."""
    attributes: dict[str, Any] = {
        f"agentkit.budget.{limit}": value
        for limit, value in (event.budget or {}).items()
        if isinstance(value, bool | int | float | str)
    }
    if event.tools:
        keys = ("name", "description", "parameters") if capture else ("name",)
        tools = [{"type": "function", **{k: t[k] for k in keys if k in t}} for t in event.tools]
        attributes["gen_ai.tool.definitions"] = _json(tools)
    if capture and event.instructions:
        attributes["gen_ai.system_instructions"] = _json([_text_part(event.instructions)])
    return attributes


def _usage_attributes(usage: Usage) -> dict[str, Any]:
    return {
        "gen_ai.usage.input_tokens": usage.input_tokens,
        "gen_ai.usage.output_tokens": usage.output_tokens,
        "gen_ai.usage.reasoning.output_tokens": usage.reasoning_tokens,
        "gen_ai.usage.cache_read.input_tokens": usage.cached_tokens,
        "agentkit.usage.cost_usd": usage.cost_usd,
    }


def _response_attributes(response: ModelResponse) -> dict[str, Any]:
    attributes: dict[str, Any] = {}
    if response.model_name:
        attributes["gen_ai.response.model"] = response.model_name
    if response.id:
        attributes["gen_ai.response.id"] = response.id
    if response.finish_reason:
        attributes["gen_ai.response.finish_reasons"] = [response.finish_reason]
    attributes["agentkit.tool_calls"] = len(response.tool_calls)
    return attributes


def _response_message(response: ModelResponse) -> dict[str, Any]:
    """The response in the GenAI output-message shape. Tool call arguments are left out: they may hold
    secret values here; the ``execute_tool`` spans carry them redacted."""
    parts: list[dict[str, Any]] = []
    for part in response.parts:
        if part.kind == "reasoning" and part.content:
            parts.append({"type": "reasoning", "content": part.content})
        elif part.kind == "text":
            parts.append(_text_part(part.content))
        elif part.kind == "tool_call":
            parts.append({"type": "tool_call", "id": part.id, "name": part.name})
    message = _message("assistant", parts)
    if response.finish_reason:
        message["finish_reason"] = response.finish_reason
    return message


def _message(role: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
    return {"role": role, "parts": parts}


def _text_part(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def _output_part(output: Any) -> dict[str, Any]:
    if isinstance(output, str):
        return _text_part(output)
    from pydantic_core import to_jsonable_python

    return {"type": "json", "content": to_jsonable_python(output, fallback=str)}


def _json(value: Any) -> str:
    return _clip(json.dumps(redact_value(value), ensure_ascii=False, default=str))


def _clip(text: str, limit: int = MAX_ATTRIBUTE_CHARS) -> str:
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… [{len(text) - limit} more characters]"


_CONTENT_KEYS = ("prompt", "detail", "reason", "call.arguments", "content")


def _is_content_key(key: str) -> bool:
    return any(key.endswith(name) for name in _CONTENT_KEYS)


def _flatten(data: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        elif value is not None:
            yield name, value


def _without_kinds(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _without_kinds(v) if isinstance(v, dict) else v for k, v in data.items() if k != "kind"}


def _attribute(value: Any) -> str | bool | int | float:
    if isinstance(value, str):
        return _clip(redact_text(value), 1_000)
    if isinstance(value, bool | int | float):
        return value
    return _json(value)


def _ns(ts: float) -> int:
    return int(ts * 1_000_000_000)


def _fail(span: Span, message: str, error: BaseException | None, end_time: int | None = None) -> None:
    from opentelemetry.trace import Status, StatusCode

    text = _clip(redact_text(message), 1_000)
    if error is not None:
        span.set_attribute("error.type", type(error).__qualname__)
        span.add_event("exception", {"exception.type": type(error).__qualname__, "exception.message": text})
    else:
        span.set_attribute("error.type", "incomplete")
    span.set_status(Status(StatusCode.ERROR, text))
    span.end(end_time=end_time)
