"""One message per stored row, as the JSON :func:`agentkit.messages.dump_messages` writes."""

from __future__ import annotations

from collections.abc import Sequence

from agentkit.messages import ModelRequest, ModelResponse, dump_messages, load_messages

__all__ = ["from_rows", "to_rows"]


def to_rows(messages: Sequence[ModelRequest | ModelResponse]) -> list[str]:
    """Each message as its own JSON object text."""
    return [dump_messages([message])[1:-1] for message in messages]


def from_rows(rows: Sequence[str]) -> list[ModelRequest | ModelResponse]:
    """The messages of rows written by :func:`to_rows`, validated in one pass."""
    return load_messages("[" + ",".join(rows) + "]") if rows else []
