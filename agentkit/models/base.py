"""The interface every model adapter implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from agentkit.events import ReasoningDelta, TextDelta, ToolCallDelta
from agentkit.messages import ModelRequest, ModelResponse, ReasoningPart, TextPart, ToolCall
from agentkit.settings import ModelSettings
from agentkit.tools import ToolDefinition

__all__ = ["Model", "ModelStreamEvent", "RequestParams", "ResponseDone"]


@dataclass(frozen=True)
class RequestParams:
    """What the loop asks of one request, besides the messages.

    ``tools`` are the function tools. ``output_tool`` is set when the output is structured: the model
    ends the run by calling it. ``allow_text_output`` is true when plain text ends the run. With
    ``final_answer`` the model must answer now: no function tools may be called (adapters send
    ``tool_choice`` "none", or force the output tool).
    """

    tools: Sequence[ToolDefinition] = ()
    output_tool: ToolDefinition | None = None
    allow_text_output: bool = True
    final_answer: bool = False

    @property
    def all_tools(self) -> list[ToolDefinition]:
        """Function tools plus the output tool."""
        extra = [self.output_tool] if self.output_tool else []
        return [*self.tools, *extra]


@dataclass(frozen=True)
class ResponseDone:
    """The last item of a stream: the whole response."""

    response: ModelResponse
    kind: str = field(default="response_done", init=False)


ModelStreamEvent = ReasoningDelta | TextDelta | ToolCallDelta | ResponseDone

Messages = list[ModelRequest | ModelResponse]


class Model(ABC):
    """A model behind some wire protocol.

    Adapters translate the provider-neutral messages to their wire format and back, and report usage
    with reasoning tokens included in ``output_tokens``.
    """

    supports_tools: bool = True
    """False for models without native tool calling; the agent then wraps them in prompted mode."""

    @property
    @abstractmethod
    def model_name(self) -> str:
        """The provider's model name."""

    @property
    @abstractmethod
    def provider(self) -> str:
        """Which API produced responses (e.g. "openai", "deepseek", "anthropic"); reasoning state is
        only sent back to the same provider."""

    @abstractmethod
    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        """Send the conversation, return the whole response."""

    async def request_stream(
        self, messages: Messages, settings: ModelSettings, params: RequestParams
    ) -> AsyncIterator[ModelStreamEvent]:
        """Stream deltas, then :class:`ResponseDone`. The default streams a whole response at once."""
        response = await self.request(messages, settings, params)
        for event in deltas_of(response):
            yield event
        yield ResponseDone(response)

    async def close(self) -> None:  # noqa: B027 - optional hook with a no-op default
        """Release connections. Safe to call more than once."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.provider}:{self.model_name})"


def deltas_of(response: ModelResponse) -> list[ModelStreamEvent]:
    """The deltas that a whole response amounts to (for adapters that don't stream)."""
    events: list[ModelStreamEvent] = []
    for index, part in enumerate(response.parts):
        if isinstance(part, ReasoningPart) and part.content:
            events.append(ReasoningDelta(text=part.content))
        elif isinstance(part, TextPart) and part.content:
            events.append(TextDelta(text=part.content))
        elif isinstance(part, ToolCall):
            events.append(ToolCallDelta(index=index, call_id=part.id, name=part.name, args_delta=part.arguments))
    return events
