"""Readable text from HTML with the standard library parser.

Script, style and other non-content elements are dropped; block elements become line breaks;
runs of whitespace collapse. The page title, if any, comes first.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Final

__all__ = ["html_to_text"]

_SKIP: Final = frozenset({"script", "style", "noscript", "template", "svg", "canvas", "iframe", "object", "head"})
_BLOCK: Final = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset",
        "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr",
        "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
    }
)  # fmt: skip
_VOID: Final = frozenset({"br", "hr", "img", "input", "meta", "link", "area", "base", "col", "embed", "source"})


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self.skip_depth = 0
        self.in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self.in_title = True
        elif tag in _SKIP and tag not in _VOID:
            self.skip_depth += 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        elif tag in _SKIP and self.skip_depth:
            self.skip_depth -= 1
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        elif not self.skip_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of ``html``, title first."""
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    title = _squash(" ".join(parser.title))
    lines = (_squash(line) for line in "".join(parser.parts).split("\n"))
    body = "\n".join(line for line in lines if line)
    return f"{title}\n\n{body}" if title and body else title or body


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
