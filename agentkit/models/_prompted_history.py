"""The conversation as plain turns for a model without native tools.

Tools go into the system prompt; the model's past tool calls become assistant text in the reply
format; tool results and retry prompts become user text. The system prompt lists the tools and the
reply format the same way on every turn, so a server's prompt cache keeps working; final-answer turns
are asked for by the last user message (and by the JSON schema, when constrained).
"""

from __future__ import annotations

from typing import Any

from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    RequestPart,
    ResponsePart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
)
from agentkit.models._prompted_parse import format_call, format_final
from agentkit.models._prompted_repair import loads_lenient
from agentkit.models._prompted_schema import ActionSpec, params_text, type_text
from agentkit.prompts import render
from agentkit.tools import ToolDefinition

__all__ = ["Messages", "assistant_turn", "describe_tool", "system_prompt", "to_text_turns", "user_turn"]

Messages = list[ModelRequest | ModelResponse]


def describe_tool(tool: ToolDefinition) -> str:
    """``- name(a: number, b?: string): description`` plus one line per described parameter."""
    params = ", ".join(params_text(tool.parameters))
    description = tool.description.strip()
    if description:
        head = render("prompted_tool_line", name=tool.name, params=params, description=description)
    else:
        head = render("prompted_tool_line_bare", name=tool.name, params=params)
    lines = [head]
    for name, sub in (tool.parameters.get("properties") or {}).items():
        if isinstance(sub, dict) and isinstance(sub.get("description"), str) and sub["description"].strip():
            lines.append(render("prompted_param_line", name=name, description=sub["description"].strip()))
    return "\n".join(lines)


def system_prompt(spec: ActionSpec, instructions: str) -> str:
    """The system prompt: the application's instructions, the tools, the reply format.

    Without tools and with a text answer (:attr:`ActionSpec.plain`) it is the instructions alone.
    """
    if spec.plain:
        return instructions
    if spec.output is None:
        answer = render("prompted_answer_text")
    else:
        answer = render("prompted_answer_typed", type=type_text(spec.answer_schema()))
    sections = []
    if spec.tools:
        sections.append(render("prompted_tools", tools="\n".join(describe_tool(t) for t in spec.tools)))
        sections.append(render("prompted_format", answer=answer))
    else:
        sections.append(render("prompted_format_final", answer=answer))
    body = "\n".join(sections)
    return render("prompted_system", instructions=instructions, body=body) if instructions.strip() else body


def user_turn(text: str) -> ModelRequest:
    """A user message."""
    return ModelRequest(parts=[UserPart(content=text)])


def assistant_turn(text: str, reasoning: list[ReasoningPart] | None = None) -> ModelResponse:
    """An assistant message (with the reasoning that came with it)."""
    return ModelResponse(parts=[*(reasoning or []), TextPart(content=text)])


def to_text_turns(messages: Messages, spec: ActionSpec) -> Messages:
    """``messages`` with tools, tool calls and results as text; one system message first (if any)."""
    instructions = "\n\n".join(
        p.content for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, SystemPart)
    )
    system = system_prompt(spec, instructions)
    turns: Messages = [ModelRequest(parts=[SystemPart(content=system)])] if system else []
    for message in messages:
        converted = _request(message) if isinstance(message, ModelRequest) else _response(message, spec)
        if converted is not None:
            turns.append(converted)
    return turns


def _request(message: ModelRequest) -> ModelRequest | None:
    texts = [text for part in message.parts if (text := _request_text(part))]
    return user_turn("\n\n".join(texts)) if texts else None


def _request_text(part: RequestPart) -> str:
    if isinstance(part, UserPart):
        return part.content
    if isinstance(part, ToolResult):
        return render("prompted_tool_result", tool=part.name, content=part.content_text())
    if isinstance(part, RetryPrompt):
        if part.name:
            return render("prompted_tool_error", tool=part.name, content=part.content)
        return part.content
    return ""  # system parts are merged into the system prompt


def _response(message: ModelResponse, spec: ActionSpec) -> ModelResponse | None:
    parts: list[ResponsePart] = [p for p in message.parts if isinstance(p, ReasoningPart)]
    texts = [text for part in message.parts if (text := _response_text(part, spec))]
    if texts:
        parts.append(TextPart(content="\n".join(texts)))
    return message.model_copy(update={"parts": parts}) if parts else None


def _response_text(part: ResponsePart, spec: ActionSpec) -> str:
    if isinstance(part, TextPart):
        return part.content
    if isinstance(part, ToolCall):
        arguments = _arguments_value(part.arguments)
        if spec.output is not None and part.name == spec.output.name:
            return format_final(spec.answer_of_arguments(arguments))
        return format_call(part.name, arguments)
    return ""


def _arguments_value(arguments: str) -> Any:
    """The arguments as a value when they are JSON (repaired if need be), else the raw text."""
    parsed = loads_lenient(arguments) if arguments.strip() else None
    if parsed is None:
        return {}
    return parsed.value if parsed.ok else arguments
