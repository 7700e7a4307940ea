"""Asking a model for a structured judgement (judges, critics, process-reward scorers).

The judging model runs as an ordinary agent whose hooks come from the strategy, so its requests
count against the shared budget and concurrency limit like every branch's.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from agentkit.agent import Agent, RunOptions
from agentkit.messages import ModelRequest, ModelResponse, RetryPrompt, ToolResult, UserPart
from agentkit.models import Model
from agentkit.prompts import render

__all__ = ["Critique", "Grade", "Judge", "answer_text", "transcript_text"]

T = TypeVar("T")


# The judging models see these schemas; their field names say what to fill in (no docstrings, which
# pydantic would send as descriptions: model-facing text lives in agentkit/prompts).
class Grade(BaseModel):
    reasoning: str
    score: float = Field(ge=0, le=10)


class Critique(BaseModel):
    accept: bool
    critique: str = ""


class Judge:
    """A model (or, with ``model=None``, the model of the run being judged) answering with ``output_type``."""

    def __init__(self, model: Model | str | None, instructions: str, output_type: type[T]) -> None:
        self._model = model
        self._instructions = instructions
        self._output_type: type[Any] = output_type
        self._agents: dict[int, Agent[None, Any]] = {}

    async def ask(self, prompt: str, *, fallback: Model, options: RunOptions) -> Any:
        """Run the judgement; ``fallback`` is used when no model was given."""
        model = self._model if self._model is not None else fallback
        agent = self._agents.get(id(model))
        if agent is None:
            agent = Agent(model, instructions=self._instructions, output_type=self._output_type)
            self._agents[id(model)] = agent
        result = await agent.run(prompt, options=options)
        return result.output


def answer_text(output: Any) -> str:
    """An output as the text a judge reads."""
    if isinstance(output, str):
        return output
    if isinstance(output, BaseModel):
        return output.model_dump_json(indent=2)
    return json.dumps(to_jsonable_python(output, fallback=repr), indent=2, ensure_ascii=False)


def transcript_text(messages: list[ModelRequest | ModelResponse]) -> str:
    """The visible steps of a transcript (user text, answers, tool calls and results) as plain text."""
    lines: list[str] = []
    step = 0
    for message in messages:
        if isinstance(message, ModelResponse):
            step += 1
            lines.append(render("transcript_step", step=step))
            lines += _response_lines(message)
        else:
            lines += _request_lines(message)
    return "\n".join(lines)


def _response_lines(message: ModelResponse) -> list[str]:
    lines = [render("transcript_assistant", text=message.text)] if message.text.strip() else []
    return lines + [
        render("transcript_tool_call", tool=call.name, arguments=call.arguments) for call in message.tool_calls
    ]


def _request_lines(message: ModelRequest) -> list[str]:
    lines: list[str] = []
    for part in message.parts:
        if isinstance(part, UserPart):
            lines.append(render("transcript_user", text=part.content))
        elif isinstance(part, ToolResult):
            lines.append(render("transcript_tool_result", tool=part.name, text=part.content_text()))
        elif isinstance(part, RetryPrompt):
            lines.append(render("transcript_retry", text=part.content))
    return lines
