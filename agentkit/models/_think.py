"""Reasoning inlined in the content as ``<think>`` tags, split off whole or chunk by chunk.

Servers without a reasoning parser (llama.cpp, vLLM, Ollama) send a model's reasoning inside the
content, in one of two shapes:

- leading blocks: ``<think>reasoning</think>answer`` (``<thinking>...</thinking>`` too; a block closes
  only with its own tag; several leading blocks are joined with a newline; a block still open at the
  end is all reasoning);
- an orphan close: ``reasoning</think>answer``. The chat templates of DeepSeek-R1 and its distills, QwQ
  and Qwen3 ``-Thinking`` models open ``<think>`` in the prompt (:func:`template_opens_think` knows
  them by name), so the reply starts inside the block: the text before the first
  ``</think>`` (or ``</thinking>``) is reasoning when no ``<think`` comes before it. Leading blocks may
  follow it.

Tags anywhere else are text. When a rule applies, whitespace at the edges of each reasoning block and
before the answer is dropped; nothing else is changed. When none applies the content is all text,
unchanged.

Streaming (:class:`ThinkSplitter`) gives, for any chunking (tags cut at any position included),
exactly what :func:`split_think` gives for the whole text: it only sends what the rest of the text can
no longer change. For the orphan close that means: content that does not start with a tag may be
reasoning whose ``</think>`` has not arrived yet, so it is held back, undecided, until a ``</think>``
makes it reasoning, or a ``<think`` inside it or the end of the stream makes it text. Held text is not
streamed early; a caller that knows better says so with ``orphan=False`` (only leading blocks count:
other text streams at once) or ``text_starts`` (content starting with one of these strings, say ``{``
for a JSON reply, is text at once).
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["Piece", "ThinkSplitter", "split_think", "template_opens_think"]

Kind = Literal["reasoning", "text"]
Piece = tuple[Kind, str]
"""A run of reasoning or answer text."""

_OPENS = {"<think>": "</think>", "<thinking>": "</thinking>"}
_CLOSES = tuple(_OPENS.values())
_OPEN_MARK = "<think"
_OVERLAP = max(map(len, _CLOSES)) - 1
"""How far back a tag search resumes: a tag may start in text already searched."""

State = Literal["start", "undecided", "block", "after", "text"]

_OPENS_IN_PROMPT = re.compile(r"(?<![a-z0-9])r1(?![0-9])|qwq|think", re.IGNORECASE)


def template_opens_think(model_name: str) -> bool:
    """Whether the model's name is one whose chat template opens ``<think>`` in the prompt, so that a
    server without a reasoning parser sends ``reasoning</think>answer`` (DeepSeek-R1 and its distills,
    QwQ, Qwen3 ``-Thinking`` models)."""
    return _OPENS_IN_PROMPT.search(model_name) is not None


def split_think(text: str, *, orphan: bool = True, text_starts: tuple[str, ...] = ()) -> tuple[str, str]:
    """(reasoning, answer) of a whole content string; reasoning is ``""`` when no rule applies."""
    splitter = ThinkSplitter(orphan=orphan, text_starts=text_starts)
    pieces = splitter.feed(text) + splitter.finish()
    return _joined(pieces, "reasoning"), _joined(pieces, "text")


class ThinkSplitter:
    """Splits streamed content into reasoning and answer pieces, as :func:`split_think` does.

    Args:
        orphan: Recognise an orphan ``</think>`` (content that does not start with a tag is held
            back until it is decided). ``False``: only leading blocks count.
        text_starts: Content starting with one of these (after whitespace) is text, never reasoning
            before an orphan close.
    """

    def __init__(self, *, orphan: bool = True, text_starts: tuple[str, ...] = ()) -> None:
        self._orphan = orphan
        self._text_starts = text_starts
        self._state: State = "start"
        self._buffer = ""
        self._close = ""
        self._block_started = False
        self._reasoning_sent = False
        self._searched = 0
        self._out: list[Piece] = []

    def feed(self, chunk: str) -> list[Piece]:
        """The pieces that ``chunk`` decides."""
        self._buffer += chunk
        while self._buffer and self._advance():
            pass
        return self._take()

    def finish(self) -> list[Piece]:
        """The pieces still held back, at the end of the content: an open block is reasoning, the rest
        text."""
        if self._state == "block":
            self._give_reasoning(len(self._buffer), closed=True)
        elif self._state == "after":
            self._give("text", self._buffer.lstrip())
        else:
            self._give("text", self._buffer)
        self._buffer, self._state = "", "text"
        return self._take()

    # --- states: each returns whether it moved on (then the next state looks at the buffer) ------

    def _advance(self) -> bool:
        if self._state == "start":
            return self._start()
        if self._state == "undecided":
            return self._undecided()
        if self._state == "block":
            return self._block()
        if self._state == "after":
            return self._after()
        self._give("text", self._buffer)
        self._buffer = ""
        return False

    def _start(self) -> bool:
        head = self._buffer.lstrip()
        if not head or _partial(head, _OPENS) or (self._orphan and _partial(head, self._text_starts)):
            return False
        tag = _starting(head, _OPENS)
        if tag is not None:
            return self._open(head, tag)
        text_start = _starting(head, self._text_starts) is not None
        self._state = "undecided" if self._orphan and not text_start else "text"
        return True

    def _undecided(self) -> bool:
        since = max(0, self._searched - _OVERLAP)
        self._searched = len(self._buffer)
        mark = self._buffer.find(_OPEN_MARK, since)
        close = _first_close(self._buffer, since)
        if close is not None and (mark < 0 or mark > close[0]):
            at, tag = close
            self._give_reasoning(at, closed=True)
            self._buffer = self._buffer[len(tag) :]
            self._state = "after"
            return True
        if mark >= 0:
            self._state = "text"
            return True
        return False

    def _block(self) -> bool:
        end = self._buffer.find(self._close)
        if end < 0:
            self._give_reasoning(len(self._buffer) - _partial_tail(self._buffer, self._close), closed=False)
            return False
        self._give_reasoning(end, closed=True)
        self._buffer = self._buffer[len(self._close) :]
        self._state = "after"
        return True

    def _after(self) -> bool:
        self._buffer = self._buffer.lstrip()
        if not self._buffer or _partial(self._buffer, _OPENS):
            return False
        tag = _starting(self._buffer, _OPENS)
        if tag is not None:
            return self._open(self._buffer, tag)
        self._state = "text"
        return True

    # --- output --------------------------------------------------------------------------------------

    def _open(self, head: str, tag: str) -> bool:
        self._buffer, self._close = head[len(tag) :], _OPENS[tag]
        self._state, self._block_started = "block", False
        return True

    def _give_reasoning(self, end: int, closed: bool) -> None:
        """Send ``buffer[:end]`` as the block's reasoning, without whitespace at the block's edges.

        While the block is open its trailing whitespace stays in the buffer: text may follow it, or the
        close tag, which drops it.
        """
        segment = self._buffer[:end] if self._block_started else self._buffer[:end].lstrip()
        body = segment.rstrip()
        held = "" if closed else segment[len(body) :]
        self._buffer = held + self._buffer[end:]
        if not body:
            return
        separator = "\n" if self._reasoning_sent and not self._block_started else ""
        self._give("reasoning", separator + body)
        self._block_started = self._reasoning_sent = True

    def _give(self, kind: Kind, text: str) -> None:
        if text:
            self._out.append((kind, text))

    def _take(self) -> list[Piece]:
        out, self._out = self._out, []
        return out


def _partial(text: str, tags: dict[str, str] | tuple[str, ...]) -> bool:
    """Whether ``text`` is the start of a tag, not yet all of it."""
    return any(len(text) < len(tag) and tag.startswith(text) for tag in tags)


def _starting(text: str, tags: dict[str, str] | tuple[str, ...]) -> str | None:
    """The tag ``text`` starts with, if any."""
    return next((tag for tag in tags if text.startswith(tag)), None)


def _first_close(text: str, since: int) -> tuple[int, str] | None:
    """Where the first close tag (either kind) in ``text[since:]`` is, and which it is."""
    found = [(at, tag) for tag in _CLOSES if (at := text.find(tag, since)) >= 0]
    return min(found) if found else None


def _partial_tail(text: str, tag: str) -> int:
    """How many characters at the end of ``text`` could be the start of ``tag``."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def _joined(pieces: list[Piece], kind: Kind) -> str:
    return "".join(text for k, text in pieces if k == kind)
