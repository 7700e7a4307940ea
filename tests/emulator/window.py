"""Context windows: count a request's tokens and refuse one that is over the window.

The counter (also used for the reported input tokens, so a client can calibrate from them):
every string value (not key) under the request's prompt fields (``PROMPT_FIELDS``) adds its
characters, each message / input item adds ``ITEM_OVERHEAD`` tokens, and the total is
``ceil(characters / 4) + overhead``. For Responses requests with ``previous_response_id`` the
stored items are counted too. No real tokenizer: deterministic, cheap, the same on every wire format.

Over the window, each endpoint answers as its provider does (texts below, with sources), except that
only the prompt is compared with the window (``max_tokens`` is left out), DeepSeek's form aside.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from . import compaction, errors, rules_responses
from .answers import Answer, StreamAnswer, error_answer
from .endpoints import ChatEndpoint, Endpoint, ResponsesEndpoint, named_frame, streaming
from .recording import RecordedRequest
from .script import Reply
from .signing import new_id

JSON = dict[str, Any]
PROMPT_FIELDS = ("system", "instructions", "messages", "input", "tools", "response_format", "text")
ITEM_OVERHEAD = 4
CHARS_PER_TOKEN = 4

# The providers' overflow texts, as real APIs answered them (sources quoted in public reports).
# OpenAI Chat Completions: crewAIInc/crewAI-examples#121, ChatGPTNextWeb/NextChat#2358
# (400, type invalid_request_error, param "messages", code "context_length_exceeded").
CHAT_CONTEXT_LENGTH = (
    "This model's maximum context length is {window} tokens. However, your messages resulted in {tokens} tokens. "
    "Please reduce the length of the messages."
)
# OpenAI Responses: dyad-sh/dyad#1672, the-open-agent/openagent#2344 (400, param "input", code
# "context_length_exceeded"); streamed, a response.failed event with that code (openai/codex#4675).
# The Responses text does not name the window.
RESPONSES_CONTEXT_WINDOW = (
    "Your input exceeds the context window of this model. Please adjust your input and try again."
)
# Anthropic Messages: entropy-research/Devon#88, anthropics/claude-code#14195 (400 invalid_request_error).
ANTHROPIC_PROMPT_TOO_LONG = "prompt is too long: {tokens} tokens > {window} maximum"
# DeepSeek: anomalyco/models.dev#1295, evalstate/fast-agent#621 (400, param null, code
# "invalid_request_error"); DeepSeek adds max_tokens to the prompt ("in the completion").
DEEPSEEK_CONTEXT_LENGTH = (
    "This model's maximum context length is {window} tokens. However, you requested {requested} tokens "
    "({tokens} in the messages, {completion} in the completion). Please reduce the length of the messages or "
    "completion."
)


@dataclass
class Windows:
    """Context windows by wire model name (``body["model"]``), and one for any other model.

    ``None`` everywhere (the default) means no window: every request is answered.
    """

    default: int | None = None
    per_model: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def set(self, model: str, tokens: int | None) -> None:
        """Give ``model`` (as it appears in request bodies) a window of ``tokens``; None removes it."""
        with self._lock:
            if tokens is None:
                self.per_model.pop(model, None)
            else:
                self.per_model[model] = _positive(tokens)

    def for_model(self, model: str) -> int | None:
        """The window that applies to ``model``."""
        with self._lock:
            return self.per_model.get(model, self.default)

    @classmethod
    def of(cls, default: int | None, per_model: Mapping[str, int] | None) -> Windows:
        """Checked windows from the emulator's constructor arguments."""
        models = {name: _positive(tokens) for name, tokens in (per_model or {}).items()}
        return cls(None if default is None else _positive(default), models)


def count_tokens(body: JSON) -> int:
    """The emulator's token count for a request body (see the module docstring); at least 1."""
    counter = _Counter()
    for name in PROMPT_FIELDS:
        value = body.get(name)
        if isinstance(value, list) and name in ("messages", "input"):
            counter.items += len(value)
        counter.walk(value)
    return max(1, math.ceil(counter.chars / CHARS_PER_TOKEN) + counter.items * ITEM_OVERHEAD)


def count_request(endpoint: Endpoint, body: JSON) -> int:
    """The token count of a request as its endpoint sees it (stored Responses items included)."""
    if isinstance(endpoint, ResponsesEndpoint) and body.get("previous_response_id"):
        items, _ = rules_responses.history(body, endpoint.state)
        return count_tokens(compaction.visible_body({**body, "input": items}))
    if isinstance(endpoint, ResponsesEndpoint):
        return count_tokens(compaction.visible_body(body))  # items before a compaction item are not rendered
    return count_tokens(body)


def overflow(endpoint: Endpoint, entry: RecordedRequest, windows: Windows) -> Answer | None:
    """Count the request into ``entry.input_tokens``; the provider's overflow answer when over the window."""
    body = entry.json
    entry.input_tokens = count_request(endpoint, body)
    window = windows.for_model(str(body.get("model", "")))
    if window is None:
        return None
    completion = _completion(body) if _is_deepseek(endpoint) else 0
    if entry.input_tokens + completion <= window:
        return None
    entry.outcome = "context-window"
    if isinstance(endpoint, ResponsesEndpoint) and streaming(body):
        entry.status = 200
        return StreamAnswer(failed_stream(endpoint, body))
    problem = overflow_error(endpoint, window, entry.input_tokens, completion)
    entry.status = problem.status
    return error_answer(problem)


def overflow_error(endpoint: Endpoint, window: int, tokens: int, completion: int = 0) -> errors.ProviderError:
    """The HTTP 400 a provider answers when the prompt (``tokens``) is over ``window``."""
    if endpoint.provider == "anthropic":
        return errors.anthropic_error(400, ANTHROPIC_PROMPT_TOO_LONG.format(tokens=tokens, window=window))
    if _is_deepseek(endpoint):
        text = DEEPSEEK_CONTEXT_LENGTH.format(
            window=window, requested=tokens + completion, tokens=tokens, completion=completion
        )
        return errors.deepseek_error(text)
    if isinstance(endpoint, ResponsesEndpoint):
        return errors.openai_error(400, RESPONSES_CONTEXT_WINDOW, param="input", code="context_length_exceeded")
    text = CHAT_CONTEXT_LENGTH.format(window=window, tokens=tokens)
    return errors.openai_error(400, text, param="messages", code="context_length_exceeded")


def failed_stream(endpoint: ResponsesEndpoint, body: JSON) -> list[bytes]:
    """A streamed Responses overflow: HTTP 200, ``response.created``, ``response.in_progress``,
    then ``response.failed`` carrying ``context_length_exceeded`` (no output, no usage)."""
    response_id = new_id("resp_")
    started = endpoint.wire.response(body, response_id, [], None, Reply())
    failed = {
        **started,
        "status": "failed",
        "error": {"code": "context_length_exceeded", "message": RESPONSES_CONTEXT_WINDOW},
    }
    events: list[JSON] = [
        {"type": "response.created", "response": started},
        {"type": "response.in_progress", "response": started},
        {"type": "response.failed", "response": failed},
    ]
    return [named_frame({**event, "sequence_number": n}) for n, event in enumerate(events)]


class _Counter:
    """Characters of every string value in a JSON tree, and the number of top-level items."""

    def __init__(self) -> None:
        self.chars = 0
        self.items = 0

    def walk(self, value: object) -> None:
        stack = [value]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                self.chars += len(node)
            elif isinstance(node, dict):
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)


def _is_deepseek(endpoint: Endpoint) -> bool:
    return isinstance(endpoint, ChatEndpoint) and endpoint.mode == "deepseek"


def _completion(body: JSON) -> int:
    value = body.get("max_tokens") or body.get("max_completion_tokens") or 0
    return value if isinstance(value, int) else 0


def _positive(tokens: int) -> int:
    if isinstance(tokens, bool) or not isinstance(tokens, int) or tokens < 1:
        raise ValueError(f"a context window is a positive number of tokens, got {tokens!r}")
    return tokens
