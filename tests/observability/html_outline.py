"""Read a report back: its elements (tag, attributes, text), for assertions and snapshots."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

_VOID = frozenset({"meta", "input", "br", "img", "hr", "link"})


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("root", {})
        self.stack = [self.root]
        self.flat: list[Element] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(element)
        self.flat.append(element)
        if tag not in _VOID:
            self.stack.append(element)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>: the HTML is not well nested"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(Element("#text", {}, data))


def parse(html: str) -> list[Element]:
    """Every element in document order (checks that tags are well nested)."""
    parser = _Parser()
    parser.feed(html)
    parser.close()
    assert len(parser.stack) == 1, f"unclosed: {[e.tag for e in parser.stack[1:]]}"
    return parser.flat


def find(elements: list[Element], cls: str) -> list[Element]:
    """Elements with the class ``cls``."""
    return [e for e in elements if cls in e.classes]


def outline(html: str) -> list[str]:
    """Headings, summaries, cards and timeline bar titles, as text lines."""
    lines: list[str] = []
    for element in parse(html):
        if element.tag in {"h1", "h2", "h3", "h4", "summary", "dt", "dd", "th", "td", "li"}:
            lines.append(f"{element.tag}: {' '.join(element.all_text().split())}")
        elif "tl-bar" in element.classes:
            lines.append(f"bar {element.attrs['class'].removeprefix('tl-bar ')}: {element.attrs['title']}")
    return lines
