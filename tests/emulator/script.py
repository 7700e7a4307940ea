"""What a test tells the emulator to answer: planned replies, faults and callbacks."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

JSON = dict[str, Any]

FaultKind = Literal["status", "reset", "hang", "truncate", "malformed_arguments", "invalid_json", "echo_credentials"]
TERMINAL_FAULTS: frozenset[str] = frozenset({"status", "reset", "hang", "invalid_json", "echo_credentials"})


@dataclass(frozen=True)
class ToolCall:
    """One tool call the model makes.

    ``arguments`` is a mapping (serialised with ``json.dumps``) or a raw string sent
    verbatim, which is how a test sends malformed JSON arguments.
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)
    call_id: str | None = None


@dataclass(frozen=True)
class Usage:
    """Token counts to report instead of the emulator's estimates (None = estimate)."""

    input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    cached_tokens: int | None = None


@dataclass(frozen=True)
class Reply:
    """One planned model turn, rendered in the wire format of the endpoint that asked.

    Attributes:
        text: Assistant text (None = no text part).
        reasoning: Reasoning text: a Responses reasoning summary, DeepSeek
            ``reasoning_content``, an Anthropic ``thinking`` block, or ``<think>`` tags
            inlined in the content for plain chat servers.
        tool_calls: Tool calls, in order (parallel calls when more than one).
        redacted_thinking: Anthropic only: add a ``redacted_thinking`` block.
        usage: Token counts overriding the estimates.
        finish_reason: Overrides ``stop``/``tool_calls`` (chat) or ``end_turn``/``tool_use``.
        extra_choices: Chat ``n`` > 1: the replies for choices 1..n-1 (padded with this reply).
        raw: A JSON body returned verbatim instead of a rendered one (non-stream requests).
        raw_events: SSE events sent verbatim for stream requests: a dict is JSON-encoded
            (with an ``event:`` line named after its ``type`` on Responses/Messages), a
            string is sent as ``data: <string>``.
        truncate_after: Stream requests: close the connection after this many events.
            Non-stream requests: close after sending half of the body.
        think_tags: How plain chat servers inline ``reasoning``: ``"leading"``
            ``<think>r</think>text``; ``"orphan"`` ``r</think>text``, as a server without a
            reasoning parser sends it for a model whose template opens ``<think>`` in the prompt
            (R1 distills, QwQ); streamed, the close tag is cut between two chunks.
    """

    text: str | None = None
    reasoning: str | None = None
    tool_calls: Sequence[ToolCall] = ()
    redacted_thinking: bool = False
    usage: Usage | None = None
    finish_reason: str | None = None
    extra_choices: Sequence[Reply] = ()
    raw: JSON | None = None
    raw_events: Sequence[JSON | str] | None = None
    truncate_after: int | None = None
    think_tags: Literal["leading", "orphan"] = "leading"


@dataclass(frozen=True)
class Fault:
    """A failure injected instead of (or on top of) a reply.

    Build one with the class methods. ``status``, ``reset``, ``hang``, ``invalid_json`` and
    ``echo_credentials`` replace the reply; ``truncate`` and ``malformed_arguments`` damage the
    reply that is sent.
    """

    kind: FaultKind
    status: int = 0
    retry_after: float | None = None
    message: str | None = None
    seconds: float = 0.0
    after_events: int = 0

    @classmethod
    def rate_limit(cls, retry_after: float | None = 1.0) -> Fault:
        """HTTP 429 with the provider's rate-limit error and a ``Retry-After`` header."""
        return cls("status", status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500, retry_after: float | None = None) -> Fault:
        """HTTP 5xx (500, 503, or 529 for Anthropic's overloaded) with the provider's error body."""
        return cls("status", status=status, retry_after=retry_after)

    @classmethod
    def http_error(cls, status: int, message: str, retry_after: float | None = None) -> Fault:
        """Any HTTP error status with a custom message in the provider's error envelope."""
        return cls("status", status=status, message=message, retry_after=retry_after)

    @classmethod
    def reset(cls) -> Fault:
        """Reset the TCP connection (RST) without sending any response."""
        return cls("reset")

    @classmethod
    def hang(cls, seconds: float = 30.0) -> Fault:
        """Send nothing for ``seconds`` (longer than the client timeout), then close."""
        return cls("hang", seconds=seconds)

    @classmethod
    def invalid_json(cls) -> Fault:
        """HTTP 200 with a complete body (right ``Content-Length``) that is not valid JSON: a JSON body
        cut in the middle, or for a stream one SSE event whose data is cut the same way."""
        return cls("invalid_json", status=200)

    @classmethod
    def echo_credentials(cls, status: int = 401) -> Fault:
        """An HTTP error whose message repeats the request's credentials verbatim (the bare key and the
        whole ``Authorization`` / ``x-api-key`` header), as a careless proxy or server might."""
        return cls("echo_credentials", status=status)

    @classmethod
    def truncate(cls, after_events: int = 2) -> Fault:
        """Close the connection after ``after_events`` SSE events (half the body if not streaming)."""
        return cls("truncate", after_events=after_events)

    @classmethod
    def malformed_arguments(cls) -> Fault:
        """Cut every tool call's JSON arguments in half so they no longer parse."""
        return cls("malformed_arguments")

    @property
    def terminal(self) -> bool:
        """True when the fault replaces the reply rather than damaging it."""
        return self.kind in TERMINAL_FAULTS


Outcome = Reply | Fault
Responder = Callable[[JSON], Outcome]
ScriptItem = Reply | Fault


class Script:
    """Thread-safe queue of planned outcomes plus faults scheduled by request index."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queue: deque[ScriptItem] = deque()
        self._scheduled: dict[int, Fault] = {}

    def extend(self, items: Iterable[ScriptItem]) -> None:
        """Append planned replies or terminal faults, answered in request order."""
        checked = [_check_item(item) for item in items]
        with self._lock:
            self._queue.extend(checked)

    def schedule(self, index: int, fault: Fault) -> None:
        """Apply ``fault`` to the request with this 0-based global index."""
        with self._lock:
            self._scheduled[index] = fault

    def scheduled_fault(self, index: int) -> Fault | None:
        """The fault scheduled for request ``index``, removed once taken."""
        with self._lock:
            return self._scheduled.pop(index, None)

    def pop(self) -> ScriptItem | None:
        """The next planned item, or None when the queue is empty."""
        with self._lock:
            return self._queue.popleft() if self._queue else None

    def pop_fault(self) -> Fault | None:
        """The next planned item if it is a fault (faults fire before request validation)."""
        with self._lock:
            if self._queue and isinstance(self._queue[0], Fault):
                head = self._queue.popleft()
                return head if isinstance(head, Fault) else None
            return None

    def remaining(self) -> list[ScriptItem]:
        """Planned items not used yet."""
        with self._lock:
            return list(self._queue)

    def pending_faults(self) -> dict[int, Fault]:
        """Scheduled faults whose request has not arrived yet."""
        with self._lock:
            return dict(self._scheduled)

    def clear(self) -> None:
        """Forget every planned item and scheduled fault."""
        with self._lock:
            self._queue.clear()
            self._scheduled.clear()


def _check_item(item: object) -> ScriptItem:
    if isinstance(item, Fault) and not item.terminal:
        raise ValueError(
            f"Fault {item.kind!r} damages a reply, so it cannot stand alone in a script: use "
            "Reply(truncate_after=...) / ToolCall(arguments='<raw json>'), or emulator.inject(index, fault)."
        )
    if not isinstance(item, Reply | Fault):
        raise TypeError(f"script items must be Reply or Fault, got {type(item).__name__}")
    return item
