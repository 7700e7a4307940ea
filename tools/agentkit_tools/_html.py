"""Readable text from HTML, in time linear in the page's size.

Script, style and other non-content elements are dropped; block elements become line breaks, table
cells spaces; runs of whitespace collapse. The page title (the first ``title`` element) comes first.
The tokens come from :mod:`agentkit_tools._html_scan`, which is linear on every input, hostile ones
included; the extractor does constant work per token.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Final

from agentkit_tools._html_scan import scan

__all__ = ["html_to_text"]

_SKIP: Final = frozenset({"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head"})
_BLOCK: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_CELL: Final = frozenset({"td", "th"})
_IN_HEAD: Final = frozenset(
    {"html", "head", "title", "base", "link", "meta", "style", "script", "noscript", "template", "basefont", "bgsound"}
)
"""Start tags that may appear inside ``head``; any other start tag ends an unclosed ``head``."""
_WHITESPACE: Final = re.compile(r"\s+")


class _TextExtractor:
    """A :class:`~agentkit_tools._html_scan.TokenSink` that keeps the visible text."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.title: list[str] = []
        self.in_title = False
        self.title_seen = False
        self.skipped: list[str] = []
        """Open elements whose content is dropped, innermost last."""
        self.skipped_count: Counter[str] = Counter()

    def start(self, name: str, self_closing: bool) -> None:
        if self.skipped_count["head"] and name not in _IN_HEAD:
            self._close("head")  # "<head><title>t</title><p>text" has no </head>: browsers show the text
        if name == "title" and not (self.title_seen or self.skipped_count["svg"]):
            self.in_title = self.title_seen = True
        elif (name in _SKIP or name == "title") and not (self_closing and name == "svg"):
            self.skipped.append(name)  # a later title, or one inside an <svg>, is not the page's title
            self.skipped_count[name] += 1
        if name in _BLOCK:
            self.parts.append("\n")
        elif name in _CELL:
            self.parts.append(" ")

    def end(self, name: str) -> None:
        if name == "title" and self.in_title:
            self.in_title = False
        elif self.skipped_count[name]:
            self._close(name)
        if name in _BLOCK:
            self.parts.append("\n")

    def text(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skipped:
            self.parts.append(data)

    def _close(self, name: str) -> None:
        """Close the innermost open ``name`` and the skipped elements inside it (amortised O(1))."""
        while True:
            closed = self.skipped.pop()
            self.skipped_count[closed] -= 1
            if closed == name:
                return


def html_to_text(html: str) -> str:
    """The visible text of ``html``, title first."""
    extractor = _TextExtractor()
    scan(html, extractor)
    title = _squash(" ".join(extractor.title))
    lines = (_squash(line) for line in "".join(extractor.parts).split("\n"))
    body = "\n".join(line for line in lines if line)
    return f"{title}\n\n{body}" if title and body else title or body


def _squash(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()
