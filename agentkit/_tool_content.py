"""Turning what a tool returned into the content of a :class:`~agentkit.messages.ToolResult`.

The content is always plain JSON (dicts, lists, strings, finite numbers, booleans, ``None``) that
serialises, encodes as UTF-8 and can be walked without deep recursion:

- ``bytes`` (also ``bytearray``, ``memoryview``): the text when they are UTF-8, otherwise
  ``{"encoding": "base64", "data": ..., "note": ...}`` (standard base64). Bytes *inside* a structure
  are UTF-8 text when every one of them decodes, otherwise all of them are URL-safe base64 text.
- anything pydantic can serialise (models, dataclasses, dates, sets ...) as pydantic does; other
  objects as ``str(value)``.
- ``nan``, ``inf`` and ``-inf`` as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``; lone
  surrogates in strings as U+FFFD.
- structures nested more than :data:`MAX_DEPTH` levels deep as their JSON text (one string).

What can't be converted (a cycle, an ``int`` over 4,300 digits, a ``__str__`` that raises, nesting
pydantic refuses) raises :class:`ContentError`, which the loop turns into a tool failure.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from pydantic_core import to_jsonable_python

from agentkit.prompts import render

__all__ = ["MAX_DEPTH", "ContentError", "exception_text", "safe_text", "tool_content"]

MAX_DEPTH = 64
"""Deeper results are sent as JSON text, so redaction, tracing and reports never recurse too far."""

_CONTAINERS = (dict, list)
_SURROGATE = re.compile("[\ud800-\udfff]")


class ContentError(Exception):
    """The value can't be turned into JSON; the message says why."""


def tool_content(value: Any) -> Any:
    """``value`` as JSON-compatible content (see the module docs); raises :class:`ContentError`."""
    if type(value) is str:  # the common case, and cheap (subclasses such as StrEnum go through pydantic)
        return safe_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return _bytes_content(bytes(value))
    try:
        content = _jsonable(value)
        text = json.dumps(content, ensure_ascii=False, check_circular=False)  # pydantic already refused cycles
        clean = safe_text(text)
        if clean != text or "NaN" in text or "Infinity" in text:
            content = json.loads(clean, parse_constant=str)
    except Exception as exc:  # any failure of a user object is reported, never raised
        raise ContentError(f"{type(exc).__name__}: {exception_text(exc)}") from None
    return clean if _deeper_than(content, MAX_DEPTH) else content


def safe_text(text: str) -> str:
    """``text`` with lone surrogates (which can't be sent as UTF-8) replaced by U+FFFD."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def _jsonable(value: Any) -> Any:
    try:
        return to_jsonable_python(value, fallback=str, bytes_mode="utf8")
    except UnicodeDecodeError:
        return to_jsonable_python(value, fallback=str, bytes_mode="base64")


def _bytes_content(data: bytes) -> Any:
    try:
        return safe_text(data.decode("utf-8"))
    except UnicodeDecodeError:
        note = render("tool_result_bytes_note", size=len(data))
        return {"encoding": "base64", "data": base64.b64encode(data).decode("ascii"), "note": note}


def _deeper_than(content: Any, limit: int) -> bool:
    """Whether JSON ``content`` nests more than ``limit`` containers deep (iterative: no recursion)."""
    level = [content] if type(content) in _CONTAINERS else []
    for _ in range(limit):
        level = [c for item in level for c in (item.values() if type(item) is dict else item) if type(c) in _CONTAINERS]
        if not level:
            return False
    return True


def exception_text(exc: BaseException) -> str:
    """``str(exc)`` (or "no message"), even for an exception whose ``__str__`` raises."""
    try:
        return safe_text(str(exc)) or "no message"
    except Exception:  # a broken __str__ must not hide the failure
        return f"<{type(exc).__name__} whose message can't be shown>"
