"""The emulator's request handling: routes, latency, faults, rules, scripted replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from . import compaction, endpoints, errors, rules_anthropic, window
from .answers import (
    Answer,
    CloseAnswer,
    ResetAnswer,
    StreamAnswer,
    TruncatedJsonAnswer,
    damage_arguments,
    error_answer,
    invalid_json_answer,
    json_answer,
)
from .endpoints import ChatEndpoint, Endpoint, MessagesEndpoint, ResponsesEndpoint, encode
from .errors import ProviderError
from .httpparse import HttpRequest
from .recording import RecordedRequest, Recorder
from .script import Fault, Reply, Responder, Script
from .signing import Signer
from .window import Windows
from .wire_chat import ChatMode
from .wire_gemini import GeminiEndpoint

JSON = dict[str, Any]


@dataclass(frozen=True)
class _Hang:
    seconds: float


@dataclass
class Settings:
    """Knobs a test may change while the emulator runs."""

    chat_mode: ChatMode = "plain-chat"
    latency_ms: float = 0.0
    chunk_chars: int = 16
    chunk_delay_ms: float = 0.0
    windows: Windows = field(default_factory=Windows)


class EmulatorApp:
    """Answers the three provider endpoints and the emulator's own stats endpoints."""

    def __init__(self, settings: Settings, script: Script, recorder: Recorder, signer: Signer) -> None:
        self.settings = settings
        self.script = script
        self.recorder = recorder
        self.responder: Responder | None = None
        self.stopping = asyncio.Event()
        self.responses = ResponsesEndpoint(signer, settings.chunk_chars)
        self.messages = MessagesEndpoint(signer, settings.chunk_chars)
        self.chat = {mode: ChatEndpoint(mode, settings.chunk_chars) for mode in ("plain-chat", "deepseek")}
        self.gemini = GeminiEndpoint(signer, settings.chunk_chars)
        self.routes: dict[tuple[str, str], Callable[[], Endpoint]] = {
            ("POST", "/v1/chat/completions"): lambda: self.chat[self.settings.chat_mode],
            ("POST", "/v1/responses"): lambda: self.responses,
            ("POST", "/v1/messages"): lambda: self.messages,
        }

    async def handle(self, request: HttpRequest) -> Answer:
        """The answer to one HTTP request."""
        route = self.routes.get((request.method, request.path))
        if route is not None:
            return await self._provider_call(request, route())
        gemini = self.gemini.at(request.path) if request.method == "POST" else None
        if gemini is not None:
            return await self._provider_call(request, gemini)
        if request.path == "/_emulator/stats":
            return json_answer(self._stats())
        if request.path == "/_emulator/reset" and request.method == "POST":
            self.recorder.reset()
            return json_answer({"ok": True})
        message = f"Invalid URL ({request.method} {request.path})"
        return error_answer(errors.openai_error(404, message))

    async def _provider_call(self, request: HttpRequest, endpoint: Endpoint) -> Answer:
        entry = self.recorder.record(request.method, request.path, request.headers, _parse(request.body))
        entry.size = len(request.body)
        with self.recorder.in_flight():
            if self.settings.latency_ms > 0:
                await asyncio.sleep(self.settings.latency_ms / 1000)
            answer = self._answer(endpoint, entry, request.headers)
            if isinstance(answer, _Hang):
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), answer.seconds)
                return CloseAnswer()
            return answer

    def _answer(self, endpoint: Endpoint, entry: RecordedRequest, headers: Mapping[str, str]) -> Answer | _Hang:
        fault = self.script.scheduled_fault(entry.index)
        if fault is None or not fault.terminal:
            fault = self.script.pop_fault() or fault
        if fault is not None and fault.terminal:
            return self._fail(endpoint, entry, fault, headers)
        if not isinstance(entry.body, dict):
            return self._error(entry, "bad-json", errors.bad_json_error(endpoint.provider))
        problem = endpoint.validate(entry.body)
        if problem is None and isinstance(endpoint, MessagesEndpoint):
            problem = compaction.check_beta(entry.body, headers) or rules_anthropic.check_headers(entry.body, headers)
        if problem is not None:
            return self._error(entry, "rule", problem)
        if (overflow := window.overflow(endpoint, entry, self.settings.windows)) is not None:
            return overflow
        outcome = self._next(entry)
        if isinstance(outcome, ProviderError):
            return self._error(entry, "setup-error", outcome)
        if isinstance(outcome, Fault):
            return self._fail(endpoint, entry, outcome, headers)
        return self._reply(endpoint, entry, outcome, fault)

    def _next(self, entry: RecordedRequest) -> Reply | Fault | ProviderError:
        item = self.script.pop()
        if item is not None:
            return item
        if self.responder is None:
            return self._setup_error(
                f"emulator: no scripted reply left for request #{entry.index} ({entry.path}); "
                "add one with emulator.script(Reply(...)) or set emulator.responder"
            )
        try:
            outcome = self.responder(entry.json)
        except Exception:
            return self._setup_error(f"emulator: responder failed on request #{entry.index}:\n{traceback.format_exc()}")
        if isinstance(outcome, Fault) and not outcome.terminal:
            return self._setup_error(f"emulator: responder returned a {outcome.kind} fault without a reply")
        return outcome

    def _setup_error(self, text: str) -> ProviderError:
        """A mistake in the test's setup: HTTP 400 (not retried by clients), remembered for assert_all_consumed."""
        self.recorder.error(text)
        return errors.openai_error(400, text, type_="emulator_error", code="emulator_setup_error")

    def _reply(self, endpoint: Endpoint, entry: RecordedRequest, reply: Reply, fault: Fault | None) -> Answer:
        if fault is not None and fault.kind == "malformed_arguments":
            reply = damage_arguments(reply)
        truncate = fault.after_events if fault is not None and fault.kind == "truncate" else reply.truncate_after
        rendered = endpoints.raw(endpoint, entry.json, reply) or endpoint.render(entry.json, reply, entry.input_tokens)
        entry.outcome, entry.status = ("reply" if truncate is None else "truncated"), 200
        if rendered.frames is not None:
            return StreamAnswer(rendered.frames, truncate, self.settings.chunk_delay_ms / 1000)
        if truncate is not None:
            return TruncatedJsonAnswer(encode(rendered.body))
        return json_answer(rendered.body)

    def _fail(
        self, endpoint: Endpoint, entry: RecordedRequest, fault: Fault, headers: Mapping[str, str]
    ) -> Answer | _Hang:
        entry.outcome = fault.kind
        if fault.kind == "reset":
            return ResetAnswer()
        if fault.kind == "hang":
            return _Hang(fault.seconds)
        if fault.kind == "invalid_json":
            entry.status = 200
            return invalid_json_answer(endpoints.streams(endpoint, entry.json), endpoint.named_events)
        if fault.kind == "echo_credentials":
            return self._error(entry, "status", errors.echo_credentials_error(endpoint.provider, fault.status, headers))
        if fault.message is not None:
            problem = errors.custom_error(endpoint.provider, fault.status, fault.message, fault.retry_after)
        else:
            model = str(entry.json.get("model", "emulator"))
            problem = errors.status_error(endpoint.provider, fault.status, model, fault.retry_after)
        return self._error(entry, "status", problem)

    def _error(self, entry: RecordedRequest, outcome: str, problem: ProviderError) -> Answer:
        entry.outcome, entry.status = outcome, problem.status
        return error_answer(problem)

    def _stats(self) -> JSON:
        stats = self.recorder.stats()
        return {
            "requests": stats.requests,
            "in_flight": stats.in_flight,
            "max_in_flight": stats.max_in_flight,
            "errors": stats.errors,
            "script_remaining": len(self.script.remaining()),
        }


def _parse(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode(errors="replace")
