"""Scrub secrets from text and data before it reaches spans, logs, reports or saved files.

:func:`redact_text` replaces known secret shapes (``sk-...`` API keys, ``Bearer`` tokens,
``Authorization`` headers, ``api_key=...`` fields, AWS/GitHub/Google/Slack/Hugging Face tokens, JWTs),
the values of environment variables whose names say they are secret (``OPENAI_API_KEY``,
``*_TOKEN`` ...) and any value registered with :func:`add_secret`. :func:`redact_value` does the same
through dicts and lists and also blanks the values of secret-named keys (``"password": ...``).

Redaction is a safety net: tools should still declare ``secret_args`` so their values never leave
the run in the first place.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from agentkit.events import AgentEvent
    from agentkit.tools import ToolRegistry

__all__ = [
    "REDACTED",
    "add_secret",
    "is_secret_key",
    "redact_event",
    "redact_text",
    "redact_value",
    "scrub_values",
    "url_without_password",
]

REDACTED = "[REDACTED]"

_MIN_SECRET_LENGTH = 8
"""Shorter registered values or environment values are not scrubbed (too many false positives)."""

_SECRET_KEY = re.compile(
    r"(?:x[-_])?api[-_]?key|apikey|authorization|proxy[-_]authorization|password|passwd|passphrase|secret"
    r"|client[-_]secret|access[-_]token|refresh[-_]token|id[-_]token|auth[-_]token|bearer|token|cookie"
    r"|set[-_]cookie|private[-_]key",
    re.IGNORECASE,
)
_SECRET_ENV_NAME = re.compile(r"(?:API_?KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(?:_|$)", re.IGNORECASE)

_KEY_NAMES = _SECRET_KEY.pattern
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer xyz / Authorization=Basic xyz / "authorization": "xyz"
    (
        re.compile(
            r"""(?i)(["']?(?:proxy-)?authorization["']?\s*[:=]\s*["']?)(?:(?:bearer|basic|token|digest)\s+)?"""
            r"""[^\s"',;}]+"""
        ),
        r"\g<1>" + REDACTED,
    ),
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\g<1>" + REDACTED),
    # key=value, key: value, "key": "value" for secret-looking key names
    (
        re.compile(rf"""(?i)(["']?\b(?:{_KEY_NAMES})["']?\s*[:=]\s*)(["']?)(?!\[REDACTED\])[^\s"',;&}}]+\2"""),
        r"\g<1>\g<2>" + REDACTED + r"\g<2>",
    ),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"), REDACTED),  # OpenAI, Anthropic (sk-ant-), DeepSeek ...
    (re.compile(r"\bAKIA[0-9A-Z]{16}\b"), REDACTED),  # AWS access key id
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), REDACTED),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), REDACTED),  # Google API key
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), REDACTED),  # Slack
    (re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), REDACTED),  # Hugging Face
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), REDACTED),  # JWT
)

_TOKEN_HINT = re.compile(r"sk-|AKIA|gh[pousr]_|github_pat_|AIza|xox[abprs]-|hf_|eyJ")
"""Cheap first look: text that matches neither this nor a secret key name has nothing to scrub."""

_registered: set[str] = set()
_env_cache: tuple[int, list[str]] = (0, [])


def add_secret(value: str) -> None:
    """Scrub this exact value everywhere from now on (e.g. an API key passed to a model in code).

    Values shorter than 8 characters are ignored: they would match ordinary text.
    """
    if len(value) >= _MIN_SECRET_LENGTH:
        _registered.add(value)


def is_secret_key(name: str) -> bool:
    """Whether a field or header called ``name`` holds a secret (``api_key``, ``Authorization`` ...)."""
    return _SECRET_KEY.fullmatch(name.strip()) is not None


def _known_values() -> list[str]:
    """Secret values from the environment and :func:`add_secret`, longest first (recomputed only when
    the environment or the registered set changes)."""
    global _env_cache
    fingerprint = hash((tuple(os.environ.items()), frozenset(_registered)))
    if _env_cache[0] != fingerprint:
        env = [v for k, v in os.environ.items() if len(v) >= _MIN_SECRET_LENGTH and _SECRET_ENV_NAME.search(k)]
        _env_cache = (fingerprint, sorted({*env, *_registered}, key=len, reverse=True))
    return _env_cache[1]


def redact_text(text: str) -> str:
    """``text`` with every recognisable secret replaced by ``[REDACTED]``."""
    return _redact_text(text, _known_values())


def _redact_text(text: str, known: list[str]) -> str:
    for value in known:
        if value in text:
            text = text.replace(value, REDACTED)
    if not (_TOKEN_HINT.search(text) or _SECRET_KEY.search(text)):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_value(value: Any) -> Any:
    """A copy of JSON-like ``value`` with secrets scrubbed from strings and secret-named keys blanked."""
    return _redact_value(value, _known_values())


def _redact_value(value: Any, known: list[str]) -> Any:
    if isinstance(value, str):
        return _redact_text(value, known)
    if isinstance(value, Mapping):
        return {k: _redact_item(k, v, known) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_value(v, known) for v in value]
    return value


def _redact_item(key: Any, value: Any, known: list[str]) -> Any:
    if isinstance(key, str) and is_secret_key(key) and isinstance(value, str) and value:
        return REDACTED
    return _redact_value(value, known)


def scrub_values(value: Any, secrets: list[str]) -> Any:
    """A copy of JSON-like ``value`` with each of the exact strings ``secrets`` replaced by ``[REDACTED]``
    (in strings and dict keys, through dicts and lists).

    Used for the values of a tool call's ``secret_args``, which are known, whatever their shape.
    ``secrets`` should be ordered longest first, so a secret containing another is replaced whole.
    """
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, Mapping):
        return {scrub_values(k, secrets): scrub_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_values(v, secrets) for v in value]
    return value


def redact_event(event: AgentEvent, registry: ToolRegistry | None = None) -> AgentEvent:
    """``event`` with secrets scrubbed from its text, and, given the run's tools, the ``secret_args`` of
    the tool calls inside a model response redacted. Returns ``event`` itself when nothing changes.

    A final result's ``output`` is left as it is (its type must survive); show it through
    :func:`redact_text` / :func:`redact_value`.
    """
    original = event.model_dump(exclude={"output"})
    scrubbed = redact_value(original)
    if registry is not None and event.kind == "model_response":
        _redact_call_arguments(scrubbed["response"]["parts"], registry)
    if scrubbed == original:
        return event
    if event.kind == "final":
        scrubbed["output"] = getattr(event, "output", None)
    return type(event).model_validate(scrubbed)


def _redact_call_arguments(parts: list[dict[str, Any]], registry: ToolRegistry) -> None:
    for part in parts:
        tool = registry.get(part["name"]) if part.get("kind") == "tool_call" else None
        if tool is not None:
            part["arguments"] = tool.redact_arguments(part["arguments"])


def url_without_password(url: str) -> str:
    """``url`` with its password (if any) shown as ``***``, e.g. a database URL for a message or a listing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
