"""Recognising a provider's "the request is longer than the context window" error, in each wording.

The texts, as the providers answer them (HTTP 400 unless noted):

- OpenAI Chat Completions (code ``context_length_exceeded``): "This model's maximum context length is
  128000 tokens. However, your messages resulted in 204308 tokens. Please reduce the length of the
  messages." OpenRouter says "This endpoint's maximum context length is ...".
- OpenAI Responses (code ``context_length_exceeded``, also as a ``response.failed`` stream event):
  "Your input exceeds the context window of this model. Please adjust your input and try again."
- Anthropic: "prompt is too long: 208310 tokens > 200000 maximum"; with ``max_tokens`` counted:
  "input length and `max_tokens` exceed context limit: 199759 + 8192 > 200000, ...".
- DeepSeek and vLLM: "This model's maximum context length is 65536 tokens. However, you requested 66343
  tokens (62247 in the messages, 4096 in the completion). ..."; newer vLLM: "... This model's maximum
  context length is 4096 tokens and your request has 2778 input tokens (8000 > 4096 - 2778)."
- llama.cpp server (type ``exceed_context_size_error``): "request (4476 tokens) exceeds the available
  context size (4096 tokens), try increasing it"; older builds without the numbers.
- Gemini: "The input token count (1200293) exceeds the maximum number of tokens allowed (1048576)."
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Overflow", "context_overflow"]

_STATUSES = frozenset({400, 413})
_CODES = frozenset({"context_length_exceeded", "exceed_context_size_error"})
_N = r"(\d[\d,]*)"
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(rf"prompt is too long: {_N} tokens > {_N} maximum", re.I), "tokens,window"),
    (re.compile(rf"exceed context limit: {_N} \+ \d[\d,]* > {_N}", re.I), "tokens,window"),
    (re.compile(rf"request \({_N} tokens\) exceeds the available context size \({_N} tokens\)", re.I), "tokens,window"),
    (
        re.compile(rf"input token count \({_N}\) exceeds the maximum number of tokens allowed \({_N}\)", re.I),
        "tokens,window",
    ),
    (
        re.compile(
            rf"maximum context length is {_N} tokens[.,]?\s*(?:however,? |and )?"
            rf"(?:your messages resulted in|you requested(?: about)?|your request has) {_N}",
            re.I,
        ),
        "window,tokens",
    ),
    (re.compile(rf"maximum context length is {_N} tokens", re.I), "window"),
    (re.compile(r"exceeds the context window|exceeds the available context size|context_length_exceeded", re.I), ""),
)


@dataclass(frozen=True)
class Overflow:
    """A context overflow; ``window`` and ``tokens`` (the request's size) when the provider named them."""

    window: int | None = None
    tokens: int | None = None


def context_overflow(status: int | None, message: str, body: object = None) -> Overflow | None:
    """The overflow ``message`` (and the error ``body``) describe, or ``None`` for any other error."""
    if status not in _STATUSES:
        return None
    for pattern, fields in _PATTERNS:
        match = pattern.search(message)
        if match is not None:
            values = dict(zip(fields.split(","), (int(g.replace(",", "")) for g in match.groups()), strict=False))
            return Overflow(window=values.get("window"), tokens=values.get("tokens"))
    return _from_body(body)


def _from_body(body: object) -> Overflow | None:
    """An overflow named only by the body's error code (llama.cpp's also carries the numbers)."""
    error = body.get("error", body) if isinstance(body, Mapping) else None
    if not isinstance(error, Mapping) or not ({error.get("code"), error.get("type")} & _CODES):
        return None
    window, tokens = error.get("n_ctx"), error.get("n_prompt_tokens")
    return Overflow(
        window=window if isinstance(window, int) else None, tokens=tokens if isinstance(tokens, int) else None
    )
