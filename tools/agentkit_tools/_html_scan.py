"""A linear-time HTML tokenizer: text runs and tags, nothing else.

It follows the HTML standard's tokenizer where that decides what is text: comments, ``<!...>`` and
``<?...>`` are dropped; ``script``, ``style`` and the other raw-text elements hold text up to their
end tag; a ``<`` that starts no markup is text; a tag or comment left open at the end of the
input drops the rest of the input, as browsers do. Attributes are skipped, never parsed into
values; an attribute quote that is never closed reads as an unquoted value (browsers would drop
the rest of the page), so ``<a href="x>link</a>`` still shows "link".

Why linear: every step starts at the current position and either consumes what it scanned or ends
the input. Each regex is a run of possessive character classes (they never backtrack), so a match
costs what it consumes, plus at most one scan to the end for an unclosed quote: an unclosed quote
is the last ``"`` (or ``'``) of the input, and the match goes past it. Contrast the standard
library's parser, which rescans an unclosed tag from every ``<``: quadratic, and it can raise
``AssertionError`` on input like ``<![``.
"""

from __future__ import annotations

import html
import re
from typing import Final, Protocol

__all__ = ["TokenSink", "scan", "unescape"]

_RAW_TEXT: Final = frozenset({"script", "style", "xmp", "iframe", "noembed", "noframes", "noscript"})
"""Elements whose content is text up to their end tag, with no entities decoded."""
_ESCAPABLE_RAW_TEXT: Final = frozenset({"title", "textarea"})
"""Elements whose content is text up to their end tag, with entities decoded."""

_MARKUP: Final = re.compile(r"<(?:[A-Za-z!?]|/.)", re.DOTALL)
"""Where markup starts. Any other "<" is text, and so is "</" at the very end."""
_ATTRIBUTE: Final = (
    r"[^\t\n\f\r />][^\t\n\f\r /=>]*+"  # a name
    r"(?:[\t\n\f\r ]*+=[\t\n\f\r ]*+"  # "=" and a value:
    r"""(?:"[^"]*+"|'[^']*+'|[^\t\n\f\r >]*+))?"""  # quoted, else (a quote never closed too) up to a space or ">"
)
_TAG: Final = re.compile(r"<(/?)([A-Za-z][^\t\n\f\r />]*+)(?:[\t\n\f\r /]++|" + _ATTRIBUTE + r")*+(>?)")
"""A tag, its attributes skipped. It matches to the ">" that ends the tag, or to the end of the input."""
_COMMENT_END: Final = re.compile(r"--!?>")
_CHARREF: Final = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")
_MAX_CODE_DIGITS: Final = 8  # any longer number is past U+10FFFF: int() of it is wasted work, or a ValueError
_END_TAGS: Final = {
    name: re.compile(rf"</{name}(?=[\t\n\f\r />])", re.IGNORECASE | re.ASCII)
    for name in _RAW_TEXT | _ESCAPABLE_RAW_TEXT
}
"""The end tag that closes each raw-text element: ``</name`` then a space, "/" or ">"."""


class TokenSink(Protocol):
    """Receives the tokens of :func:`scan`, in order."""

    def text(self, data: str) -> None:
        """A run of text, entities decoded."""

    def start(self, name: str, self_closing: bool) -> None:
        """A start tag; ``name`` is lowercase."""

    def end(self, name: str) -> None:
        """An end tag; ``name`` is lowercase."""


def scan(source: str, sink: TokenSink) -> None:
    """Hand the tokens of ``source`` to ``sink``, in time linear in the length of ``source``."""
    pos = 0
    while (found := _MARKUP.search(source, pos)) is not None:
        start = found.start()
        if start > pos:
            sink.text(unescape(source[pos:start]))
        pos = _markup(source, start, sink)
    if pos < len(source):
        sink.text(unescape(source[pos:]))


def unescape(text: str) -> str:
    """``html.unescape``, safe for numeric references of any length (``&#`` and 5,000 digits)."""
    return _CHARREF.sub(_one_reference, text) if "&" in text else text


def _one_reference(match: re.Match[str]) -> str:
    reference = match.group()
    if reference[1] != "#":
        return html.unescape(reference)
    hexadecimal = reference[2] in "xX"
    digits = reference[3 if hexadecimal else 2 :].rstrip(";").lstrip("0") or "0"
    if len(digits) > _MAX_CODE_DIGITS:
        return "\ufffd"  # what the standard (and html.unescape) give for a code point past U+10FFFF
    return html.unescape(f"&#{'x' if hexadecimal else ''}{digits};")


def _markup(source: str, start: int, sink: TokenSink) -> int:
    """Hand the markup at ``source[start]`` (a "<" matched by ``_MARKUP``) to ``sink``; where it ends."""
    after = source[start + 1]
    if after == "!" and source.startswith("<!--", start):
        return _comment_end(source, start)
    if after in "!?":
        return _bogus_comment_end(source, start + 2)
    if after == "/" and not _is_ascii_letter(source[start + 2]):
        return start + 3 if source[start + 2] == ">" else _bogus_comment_end(source, start + 2)  # "</>" is dropped
    return _tag(source, start, sink)


def _is_ascii_letter(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _comment_end(source: str, start: int) -> int:
    if source.startswith(">", start + 4):  # <!-->
        return start + 5
    if source.startswith("->", start + 4):  # <!--->
        return start + 6
    found = _COMMENT_END.search(source, start + 4)
    return len(source) if found is None else found.end()


def _bogus_comment_end(source: str, start: int) -> int:
    close = source.find(">", start)
    return len(source) if close < 0 else close + 1


def _tag(source: str, start: int, sink: TokenSink) -> int:
    match = _TAG.match(source, start)
    assert match is not None  # _MARKUP found "<" or "</" and a letter: the pattern matches from there
    slash, name, close = match.groups()
    end = match.end()
    if not close:  # the input ends inside the tag
        return len(source)
    name = name.lower()
    if slash:
        sink.end(name)
        return end
    sink.start(name, end - 2 >= match.end(2) and source[end - 2] == "/")
    closing = _END_TAGS.get(name)
    if closing is None:
        return end
    found = closing.search(source, end)
    stop = len(source) if found is None else found.start()
    if stop > end:
        sink.text(source[end:stop] if name in _RAW_TEXT else unescape(source[end:stop]))
    return stop
