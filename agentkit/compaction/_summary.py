"""The last rung, without the model call: where to cut, the transcript the model summarizes, the note.

Older messages ``messages[:k]`` are replaced by one request holding the compaction note; ``k`` is
always the index of a model response, so the kept part starts with a whole response whose tool calls
are answered by the (kept) request after it: no call is split from its result. For providers whose
thinking must open the current tool loop (Anthropic), ``k`` must be a response that starts with its
reasoning. The last request (the newest tool results) is always kept.
"""

from __future__ import annotations

from agentkit.compaction._tokens import message_chars
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.prompts import render

__all__ = ["compacted", "cut_index", "transcript_chunks"]

Messages = list[ModelRequest | ModelResponse]


def cut_index(messages: Messages, tail_chars: int, thinking_first: bool = False) -> int | None:
    """The smallest cut whose kept part fits ``tail_chars`` characters, else the latest possible cut;
    ``None`` when no response can start the kept part."""
    best: int | None = None
    latest: int | None = None
    suffix = message_chars(messages[-1]) if messages else 0
    for k in range(len(messages) - 2, 0, -1):
        suffix += message_chars(messages[k])
        if not _can_start(messages[k], thinking_first):
            continue
        latest = latest if latest is not None else k
        if suffix > tail_chars:
            break
        best = k
    return best if best is not None else latest


def _can_start(message: ModelRequest | ModelResponse, thinking_first: bool) -> bool:
    if not isinstance(message, ModelResponse):
        return False
    return not thinking_first or bool(message.parts and isinstance(message.parts[0], ReasoningPart))


def compacted(messages: Messages, k: int, summary: str) -> Messages:
    """``messages`` with ``messages[:k]`` replaced by one request: their instructions (system parts,
    kept as they are) and the compaction note carrying ``summary``."""
    system: list[SystemPart] = []
    for message in messages[:k]:
        if isinstance(message, ModelRequest):
            system += [p for p in message.parts if isinstance(p, SystemPart) and p not in system]
    note = UserPart(content=render("compaction_note", summary=summary.strip()))
    return [ModelRequest(parts=[*system, note]), *messages[k:]]


def transcript_chunks(messages: Messages, chunk_chars: int) -> list[str]:
    """``messages`` as a readable transcript, in pieces of at most about ``chunk_chars`` characters;
    an item longer than half a piece keeps its start and end."""
    line_chars = max(200, chunk_chars // 2)
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in (_shortened(line, line_chars) for message in messages for line in _lines(message)):
        if current and size + len(line) > chunk_chars:
            chunks.append("\n".join(current))
            current, size = [], 0
        current.append(line)
        size += len(line) + 1
    if current:
        chunks.append("\n".join(current))
    return chunks


def _lines(message: ModelRequest | ModelResponse) -> list[str]:
    return [line for part in message.parts if (line := _line(part))]


def _line(part: object) -> str:
    if isinstance(part, SystemPart):
        return render("compaction_line_instructions", text=part.content)
    if isinstance(part, UserPart):
        return render("compaction_line_user", text=part.content)
    if isinstance(part, TextPart):
        return render("compaction_line_assistant", text=part.content) if part.content else ""
    if isinstance(part, ReasoningPart):
        return render("compaction_line_reasoning", text=part.content) if part.content else ""
    if isinstance(part, ToolCall):
        return render("compaction_line_call", tool=part.name, call_id=part.id, arguments=part.arguments)
    if isinstance(part, ToolResult):
        return render("compaction_line_result", tool=part.name, call_id=part.call_id, text=part.content_text())
    if isinstance(part, RetryPrompt):
        return render("compaction_line_retry", text=part.content)
    return ""


def _shortened(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    keep = limit // 2
    cut = render("compaction_line_cut", chars=len(text) - 2 * keep)
    return f"{text[:keep]}\n{cut}\n{text[-keep:]}"
