"""Provider-neutral messages.

A conversation is a list of :data:`Message`: each is either a :class:`ModelRequest` (what we send:
system/user text, tool results, retry prompts) or a :class:`ModelResponse` (what the model answered:
reasoning, text, tool calls). Every part is a pydantic model with a ``kind`` discriminator, so a whole
transcript serialises to JSON and back without loss (:func:`dump_messages` / :func:`load_messages`).

Provider wire formats never appear here: adapters in :mod:`agentkit.models` translate.
"""

from __future__ import annotations

import functools
import json
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    TypeAdapter,
    ValidationError,
    model_serializer,
)

from agentkit.attachments import Document, Image
from agentkit.usage import Usage

__all__ = [
    "CompactionPart",
    "Message",
    "ModelRequest",
    "ModelResponse",
    "ReasoningPart",
    "RequestPart",
    "ResponsePart",
    "RetryPrompt",
    "SystemPart",
    "TextPart",
    "ToolCall",
    "ToolResult",
    "UserPart",
    "dump_messages",
    "load_messages",
]


def _now() -> datetime:
    return datetime.now(UTC)


class _Part(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class SystemPart(_Part):
    """Instructions from the application (the system / developer prompt)."""

    kind: Literal["system"] = "system"
    content: str


class UserPart(_Part):
    """Text from the user."""

    kind: Literal["user"] = "user"
    content: str


class ToolResult(_Part):
    """The result of running a tool, sent back to the model."""

    kind: Literal["tool_result"] = "tool_result"
    call_id: str
    name: str
    content: Any = None
    """JSON-compatible value (a string, a dict, a list ...)."""
    files: tuple[Annotated[Image | Document, Field(discriminator="kind")], ...] = ()
    """Images and documents the tool returned (``content`` then says what they are)."""

    @model_serializer(mode="wrap")
    def _without_empty_files(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Leave ``files`` out when there are none, so results serialise as they did before files."""
        data: dict[str, Any] = handler(self)
        if not self.files:
            data.pop("files", None)
        return data

    def content_text(self) -> str:
        """The content as the text a model sees."""
        if isinstance(self.content, str):
            return self.content
        return json.dumps(self.content, ensure_ascii=False, default=str)


class RetryPrompt(_Part):
    """An error the model must fix: bad tool arguments, an unknown tool, a tool exception, bad output.

    When ``call_id`` is set it answers that tool call; otherwise it is a plain corrective message.
    """

    kind: Literal["retry"] = "retry"
    content: str
    call_id: str | None = None
    name: str | None = None


class ReasoningPart(_Part):
    """The model's reasoning, with the opaque provider state needed to send it back.

    ``content`` is readable reasoning text or a summary (may be empty). ``provider`` names the API that
    produced the opaque fields (``id``, ``signature``, ``encrypted_content``, ``data``); an adapter sends
    them back only to the same provider and strips them otherwise.
    """

    kind: Literal["reasoning"] = "reasoning"
    content: str = ""
    provider: str | None = None
    id: str | None = None
    signature: str | None = None
    encrypted_content: str | None = None
    redacted: bool = False
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def has_opaque_state(self) -> bool:
        """Whether this part carries provider state that only its provider accepts."""
        return bool(self.id or self.signature or self.encrypted_content or self.redacted or self.data)


class CompactionPart(_Part):
    """The provider compacted the context before answering (provider-native compaction, opt-in).

    OpenAI Responses: the opaque compaction item (``id``, ``encrypted_content``); it goes back unchanged,
    where it came, on later requests to the same provider and is dropped for any other (the messages it
    summarises stay in the history). Anthropic context editing: what the provider cleared
    (``data["applied_edits"]``); nothing goes back.
    """

    kind: Literal["compaction"] = "compaction"
    provider: str | None = None
    id: str | None = None
    encrypted_content: str | None = None
    cleared_input_tokens: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class TextPart(_Part):
    """Plain text from the model."""

    kind: Literal["text"] = "text"
    content: str


class ToolCall(_Part):
    """A call the model asked for. ``arguments`` is the JSON text exactly as the model produced it."""

    kind: Literal["tool_call"] = "tool_call"
    id: str
    name: str
    arguments: str = "{}"
    provider_id: str | None = None
    """A provider's own item id, when it differs from the call id (OpenAI Responses ``fc_...``)."""

    @classmethod
    def create(cls, name: str, args: dict[str, Any] | str | None = None, id: str | None = None) -> ToolCall:
        """Build a call from a dict (serialised to JSON) or raw JSON text."""
        text = args if isinstance(args, str) else json.dumps(args or {})
        return cls(id=id or f"call_{uuid.uuid4().hex[:12]}", name=name, arguments=text)


RequestPart = Annotated[
    SystemPart | UserPart | Image | Document | ToolResult | RetryPrompt, Field(discriminator="kind")
]
"""Images and documents follow the user text they go with (see :mod:`agentkit.attachments`)."""
ResponsePart = Annotated[ReasoningPart | TextPart | ToolCall | CompactionPart, Field(discriminator="kind")]


class ModelRequest(BaseModel):
    """A message we send to the model."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: Literal["request"] = "request"
    parts: list[RequestPart]
    timestamp: datetime = Field(default_factory=_now)


class ModelResponse(BaseModel):
    """A message the model sent back."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    kind: Literal["response"] = "response"
    parts: list[ResponsePart]
    model_name: str | None = None
    provider: str | None = None
    usage: Usage = Field(default_factory=Usage)
    finish_reason: str | None = None
    id: str | None = None
    timestamp: datetime = Field(default_factory=_now)

    @property
    def text(self) -> str:
        """All text parts joined."""
        return "".join(p.content for p in self.parts if isinstance(p, TextPart))

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls, in order."""
        return [p for p in self.parts if isinstance(p, ToolCall)]

    @property
    def reasoning(self) -> str:
        """All readable reasoning joined."""
        return "\n".join(p.content for p in self.parts if isinstance(p, ReasoningPart) and p.content)


Message = Annotated[ModelRequest | ModelResponse, Field(discriminator="kind")]


@functools.cache
def _messages_adapter() -> TypeAdapter[list[Message]]:
    return TypeAdapter(list[Message])


def dump_messages(messages: list[ModelRequest | ModelResponse]) -> str:
    """Serialise messages to JSON text (provider reasoning state included); :func:`load_messages` reads it."""
    return _messages_adapter().dump_json(messages).decode()


def load_messages(data: str | bytes) -> list[ModelRequest | ModelResponse]:
    """Parse JSON text produced by :func:`dump_messages`.

    Text that is not such a transcript raises :class:`~agentkit.exceptions.UserError` (a ``ValueError``)
    naming the first problem and where it is.
    """
    try:
        return _messages_adapter().validate_json(data)
    except ValidationError as exc:
        from agentkit.exceptions import UserError

        first = exc.errors()[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]) or "the top level"
        raise UserError(
            f"load_messages: the text is not a transcript written by dump_messages ({first['msg']} at {where}). "
            "Pass the JSON text that dump_messages returned."
        ) from None
