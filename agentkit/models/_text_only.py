"""Refusing images and documents in a model that only reads text (prompted mode, local models)."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.attachments import Document, Image
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, ToolResult

__all__ = ["refuse_files"]


def refuse_files(messages: Sequence[ModelRequest | ModelResponse], model: str) -> None:
    """Raise :class:`UserError` naming the first image or document in ``messages``; ``model`` says which
    model refuses (e.g. ``"prompted model 'smollm2'"``)."""
    for message in messages:
        if not isinstance(message, ModelRequest):
            continue
        for part in message.parts:
            files = part.files if isinstance(part, ToolResult) else (part,)
            for file in files:
                if isinstance(file, Image | Document):
                    raise UserError(
                        f"The {model} reads only text, but the conversation holds the {file.kind} "
                        f"{file.label!r}. Use a model that reads images and documents (e.g. 'openai:gpt-4.1' "
                        "or 'anthropic:claude-sonnet-4-5'), or describe the file in text instead."
                    )
