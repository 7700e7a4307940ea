"""A scripted long tool run (a responder) for context-management tests and benchmarks.

:class:`LongRun` plays a model that reads ``steps`` pages with a tool (one call per turn), notes a
fact in its text early on, and finally answers a question from whatever its context still holds.
It also plays the summarizer when asked for a compaction summary, answering from the transcript it
is given. On every wire format it checks that the newest tool result reaches it whole.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any

from .script import Reply, ToolCall

JSON = dict[str, Any]
FACT = "the vault code is 4417"
PLANTED = f"Noting for later: {FACT}."
UNKNOWN = "I no longer know the vault code."
SUMMARY_MARKER = "Transcript to add:"  # from agentkit's compaction_request template
_FACT_PATTERN = re.compile(r"vault code is (\d+)")
_WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
]


def page_text(page: int, chars: int) -> str:
    """The deterministic text of ``page`` (``chars`` characters; no page repeats another)."""
    head = f"Page {page}: "
    words: list[str] = []
    length, i = len(head), page
    while length < chars:
        word = _WORDS[i % len(_WORDS)]
        words.append(word)
        length += len(word) + 1
        i += 7
    return (head + " ".join(words))[:chars]


class LongRun:
    """Responder: ``steps`` calls of ``tool`` (``{"page": n}``), then a final answer from the context.

    The reply to call ``plant_at`` also carries the text :data:`PLANTED`. A request that asks for a
    compaction summary (it declares no tools or contains :data:`SUMMARY_MARKER`) gets a summary that
    keeps every vault-code fact found in its input. The final answer is ``"The vault code is N."``
    when the request still holds the fact anywhere, else :data:`UNKNOWN`.

    Attributes:
        problems: Every request whose newest tool result was not the latest page, whole.
        summaries: How many summary requests were answered.
        final_request: The body of the request answered with the final text.
    """

    def __init__(self, steps: int = 300, page_chars: int = 2140, tool: str = "read_page", plant_at: int = 1) -> None:
        self.steps = steps
        self.page_chars = page_chars
        self.tool = tool
        self.plant_at = plant_at
        self.issued = 0
        self.summaries = 0
        self.problems: list[str] = []
        self.final_request: JSON | None = None
        self._lock = threading.Lock()

    def page(self, page: int) -> str:
        """What the tool returns for ``page``."""
        return page_text(page, self.page_chars)

    def __call__(self, request: JSON) -> Reply:
        """The reply at this point of the run."""
        with self._lock:
            if _is_summary_request(request):
                self.summaries += 1
                return Reply(text=summary_of(request))
            self._check_newest(request)
            if self.issued >= self.steps:
                self.final_request = request
                return Reply(text=final_answer(request))
            page, self.issued = self.issued, self.issued + 1
            text = PLANTED if page == self.plant_at else None
            return Reply(text=text, tool_calls=[ToolCall(self.tool, {"page": page}, call_id=f"call_p{page}")])

    def _check_newest(self, request: JSON) -> None:
        if self.issued == 0:
            return
        expected_id, expected = f"call_p{self.issued - 1}", self.page(self.issued - 1)
        newest = newest_tool_result(request)
        if newest is None:
            self.problems.append(f"after call {expected_id}: the request holds no tool result")
        elif newest[0] != expected_id or expected not in newest[1]:
            self.problems.append(f"after call {expected_id}: newest tool result is {newest[0]}: {newest[1][:80]!r}")


def summary_of(request: JSON) -> str:
    """A compaction summary written from the request: the task and every vault-code fact in it."""
    codes = sorted(set(_FACT_PATTERN.findall(json.dumps(request))))
    facts = "; ".join(f"vault code is {code}" for code in codes) or "none yet"
    return f"Task: read the pages one by one with the tool. Facts found: {facts}. Open items: keep reading."


def final_answer(request: JSON) -> str:
    """The run's last answer, from the vault-code fact if the request still holds one."""
    found = _FACT_PATTERN.search(json.dumps(request))
    return f"The vault code is {found.group(1)}." if found else UNKNOWN


def newest_tool_result(request: JSON) -> tuple[str, str] | None:
    """``(call id, text)`` of the last tool result in the request, whatever its wire format."""
    history = request.get("messages") or request.get("input") or []
    found: tuple[str, str] | None = None
    for entry in history if isinstance(history, list) else []:
        for call_id, content in _results(entry):
            found = (call_id, _text(content))
    return found


def _results(entry: Any) -> Iterable[tuple[str, Any]]:
    if not isinstance(entry, dict):
        return []
    if entry.get("role") == "tool":
        return [(str(entry.get("tool_call_id")), entry.get("content"))]
    if entry.get("type") == "function_call_output":
        return [(str(entry.get("call_id")), entry.get("output"))]
    content = entry.get("content")
    if not isinstance(content, list):
        return []
    return [
        (str(b.get("tool_use_id")), b.get("content"))
        for b in content
        if isinstance(b, dict) and b.get("type") == "tool_result"
    ]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(_text(part.get("text", "") if isinstance(part, dict) else part) for part in content)
    return "" if content is None else str(content)


def _is_summary_request(request: JSON) -> bool:
    return not request.get("tools") or SUMMARY_MARKER in json.dumps(request)
