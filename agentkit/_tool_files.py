"""Images and documents a tool returns: kept as files of its :class:`~agentkit.messages.ToolResult`."""

from __future__ import annotations

from typing import Any

from agentkit.attachments import Document, Image
from agentkit.messages import ToolCall, ToolResult
from agentkit.prompts import render

__all__ = ["file_result"]


def file_result(call: ToolCall, value: Any) -> ToolResult | None:
    """The result of a tool that returned an :class:`Image` / :class:`Document` (or a non-empty list or
    tuple of them), with a text saying what it returned; ``None`` for any other value."""
    items = list(value) if isinstance(value, list | tuple) else [value]
    if not items or not all(isinstance(item, Image | Document) for item in items):
        return None
    files: tuple[Image | Document, ...] = tuple(items)
    text = "\n".join(render("tool_result_file", kind=f.kind, label=f.label, media_type=f.media_type) for f in files)
    return ToolResult(call_id=call.id, name=call.name, content=text, files=files)
