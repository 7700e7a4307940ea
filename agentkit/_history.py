"""Preparing the history for a model: strip reasoning state another provider produced."""

from __future__ import annotations

from agentkit.messages import CompactionPart, ModelRequest, ModelResponse, ReasoningPart, ResponsePart

__all__ = ["strip_foreign_reasoning"]


def strip_foreign_reasoning(
    messages: list[ModelRequest | ModelResponse], provider: str
) -> tuple[list[ModelRequest | ModelResponse], dict[str, int]]:
    """A copy of ``messages`` for ``provider``, and how many reasoning parts lost their opaque state, by
    the provider that produced them.

    Reasoning parts carrying ids, signatures or encrypted content from another provider would be
    rejected; they keep their readable text but lose the opaque fields. Another provider's compaction
    parts are dropped (the messages they summarise are still there). The original list is unchanged.
    """
    stripped: dict[str, int] = {}
    out: list[ModelRequest | ModelResponse] = []
    for message in messages:
        if not isinstance(message, ModelResponse) or not _has_foreign(message, provider):
            out.append(message)
            continue
        parts: list[ResponsePart] = []
        for part in message.parts:
            if isinstance(part, CompactionPart) and part.provider != provider:
                source = part.provider or "unknown"
                stripped[source] = stripped.get(source, 0) + 1
            elif isinstance(part, ReasoningPart) and part.has_opaque_state and part.provider != provider:
                source = part.provider or "unknown"
                stripped[source] = stripped.get(source, 0) + 1
                if part.content:
                    parts.append(ReasoningPart(content=part.content))
            else:
                parts.append(part)
        out.append(message.model_copy(update={"parts": parts}))
    return out, stripped


def _has_foreign(message: ModelResponse, provider: str) -> bool:
    return any(
        _foreign_compaction(p, provider)
        or (isinstance(p, ReasoningPart) and p.has_opaque_state and p.provider != provider)
        for p in message.parts
    )


def _foreign_compaction(part: ResponsePart, provider: str) -> bool:
    return isinstance(part, CompactionPart) and part.provider != provider
