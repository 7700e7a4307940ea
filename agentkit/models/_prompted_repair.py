"""Lenient JSON: read the JSON value a weak model meant, from the first ``{`` or ``[`` of a text.

:func:`repair_json` rewrites the common faults in one pass: single-quoted strings, Python ``True`` /
``False`` / ``None``, unquoted words, trailing commas, raw newlines in strings, invalid escapes,
unclosed strings / objects / arrays (a reply cut off by the token limit), and text after the value.
:func:`loads_lenient` tries strict JSON first, then the repaired text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LenientResult", "loads_lenient", "repair_json"]

_CLOSERS = {"{": "}", "[": "]"}
_WORDS = {"True": "true", "False": "false", "None": "null", "true": "true", "false": "false", "null": "null"}
_NUMBER_CHARS = frozenset("0123456789.eE+-")
_JSON_ESCAPES = frozenset('"\\/bfnrtu')
_ESCAPED_CONTROLS = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True)
class LenientResult:
    """A parsed value (``ok``) or why the text is not JSON even after repair (``error``)."""

    value: Any = None
    ok: bool = False
    end: int = 0
    """Where the value ended in the text (after repair), so a caller can look for the next one."""
    error: str = ""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _strict(text: str) -> Any:
    return json.loads(text, parse_constant=_reject_constant)


def _describe(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg} at line {exc.lineno} column {exc.colno}"
    if isinstance(exc, RecursionError):
        return "it is nested too deeply"
    return str(exc)


def loads_lenient(text: str) -> LenientResult:
    """Parse the JSON value at the start of ``text`` (leading whitespace allowed), repairing faults.

    Never raises: a value that can't be read gives ``ok=False`` and the strict parser's error.
    """
    try:
        return LenientResult(_strict(text), ok=True, end=len(text))
    except (ValueError, RecursionError) as exc:
        first_error = _describe(exc)
    repaired, end = repair_json(text)
    try:
        return LenientResult(_strict(repaired), ok=True, end=end)
    except (ValueError, RecursionError):
        return LenientResult(error=first_error, end=end)


def repair_json(text: str) -> tuple[str, int]:
    """The repaired JSON text of the value starting at the first ``{``/``[``, and where it ended."""
    scanner = _Scanner(text)
    scanner.run()
    return scanner.result(), scanner.pos


@dataclass
class _Scanner:
    text: str
    pos: int = 0
    out: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)
    started: bool = False

    def run(self) -> None:
        while self.pos < len(self.text):
            if self._step():
                return

    def result(self) -> str:
        """The output, with whatever is still open closed."""
        self._drop_trailing_comma()
        if self.out and self.out[-1] == ":":
            self.out.append("null")
        return "".join(self.out) + "".join(reversed(self.stack))

    def _step(self) -> bool:
        """Consume one token; True when the top-level value is complete."""
        char = self.text[self.pos]
        if not self.started:
            self.started = char in _CLOSERS
            if not self.started:
                self.pos += 1
                return False
        if char in _CLOSERS:
            self.stack.append(_CLOSERS[char])
            self._emit(char)
        elif char in "}]":
            self._close(char)
            return not self.stack
        elif char in "\"'":
            self._string(char)
        elif char.isdigit() or char == "-":
            self._number()
        elif char.isalpha() or char == "_":
            self._word()
        else:
            self._emit(char)
        return False

    def _emit(self, chunk: str, advance: int = 1) -> None:
        self.out.append(chunk)
        self.pos += advance

    def _drop_trailing_comma(self) -> None:
        while self.out and self.out[-1].isspace():
            self.out.pop()
        if self.out and self.out[-1] == ",":
            self.out.pop()

    def _close(self, char: str) -> None:
        self.pos += 1
        if char not in self.stack:
            return  # a stray closer: drop it
        self._drop_trailing_comma()
        while self.stack:
            closer = self.stack.pop()
            self.out.append(closer)
            if closer == char:
                return

    def _number(self) -> None:
        end = self.pos + 1
        while end < len(self.text) and self.text[end] in _NUMBER_CHARS:
            end += 1
        self._emit(self.text[self.pos : end], advance=end - self.pos)

    def _word(self) -> None:
        end = self.pos
        while end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_"):
            end += 1
        word = self.text[self.pos : end]
        self._emit(_WORDS.get(word) or json.dumps(word), advance=end - self.pos)

    def _string(self, quote: str) -> None:
        chunk = ['"']
        self.pos += 1
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == quote:
                break
            chunk.append(self._string_char(char, quote))
        chunk.append('"')
        self.out.append("".join(chunk))

    def _string_char(self, char: str, quote: str) -> str:
        if char == "\\":
            return self._escape(quote)
        if char == '"':
            return '\\"'  # only reached inside a single-quoted string
        if char in _ESCAPED_CONTROLS:
            return _ESCAPED_CONTROLS[char]
        if ord(char) < 0x20:
            return f"\\u{ord(char):04x}"
        return char

    def _escape(self, quote: str) -> str:
        if self.pos >= len(self.text):
            return "\\\\"
        nxt = self.text[self.pos]
        self.pos += 1
        if nxt == quote == "'":
            return "'"
        if nxt in _JSON_ESCAPES and not (nxt == "u" and not _is_hex4(self.text, self.pos)):
            return "\\" + nxt
        return "\\\\" + self._string_char(nxt, quote)


def _is_hex4(text: str, pos: int) -> bool:
    digits = text[pos : pos + 4]
    return len(digits) == 4 and all(c in "0123456789abcdefABCDEF" for c in digits)
