"""Images and documents (:mod:`agentkit.attachments`) as content parts of the OpenAI-style wire formats.

Chat Completions (also what litellm takes): ``image_url`` parts holding an http(s) or ``data:`` URL and
``file`` parts holding a PDF as a ``data:`` URL (``file_data``, with ``filename``). Responses:
``input_image`` (``image_url``) and ``input_file`` (``file_data`` with ``filename``, or ``file_url``).
A user text followed by files becomes one user message whose content is a list of parts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentkit.attachments import Document, Image
from agentkit.exceptions import UserError
from agentkit.messages import ToolResult
from agentkit.prompts import render

__all__ = ["attach", "chat_file_part", "files_note", "responses_file_part"]

JSON = dict[str, Any]
PartBuilder = Callable[[Image | Document], JSON]


def chat_file_part(file: Image | Document) -> JSON:
    """A Chat Completions content part for ``file``."""
    if isinstance(file, Image):
        return {"type": "image_url", "image_url": {"url": file.data_url()}}
    if file.data is None:
        raise UserError(
            f"Document {file.label!r}: Chat Completions takes documents as bytes, not URLs; download it and "
            "pass Document.from_bytes(...) or Document.from_path(...), or use the Responses API ('openai:...')."
        )
    return {"type": "file", "file": {"filename": file.name or "document.pdf", "file_data": file.data_url()}}


def responses_file_part(file: Image | Document) -> JSON:
    """A Responses API input content part for ``file``."""
    if isinstance(file, Image):
        return {"type": "input_image", "image_url": file.data_url(), "detail": "auto"}
    if file.data is None:
        return {"type": "input_file", "file_url": file.data_url()}
    return {"type": "input_file", "filename": file.name or "document.pdf", "file_data": file.data_url()}


def attach(items: list[JSON], part: JSON, text_type: str) -> None:
    """Add ``part`` to the user message that ends ``items`` (its text becomes a ``text_type`` part), or to
    a new user message when ``items`` does not end with one."""
    last = items[-1] if items else None
    if last is None or last.get("role") != "user" or last.get("type") not in (None, "message"):
        items.append({"role": "user", "content": [part]})
        return
    if isinstance(last["content"], str):
        last["content"] = [{"type": text_type, "text": last["content"]}]
    last["content"].append(part)


def files_note(results: list[ToolResult]) -> str:
    """The text that introduces tool-returned files sent in a user message after the tool results."""
    names = ", ".join(f"{r.name} ({', '.join(f.label for f in r.files)})" for r in results)
    return render("tool_files_follow_up", tools=names)
