"""Reading a prompted model's reply: tool calls, the final answer, reasoning, or what went wrong.

:func:`parse_reply` accepts the defined format (``{"tool": ..., "arguments": {...}}`` /
``{"final_answer": ...}``) as bare JSON, inside text, in fenced code blocks or in Hermes-style
``<tool_call>...</tool_call>`` blocks (where ``name`` may replace ``tool``); inline ``<think>`` reasoning
(leading blocks, or text before an orphan ``</think>``: :mod:`._think`) becomes reasoning. It never
raises: a reply it can't use gives a ``problem`` for the retry prompt.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agentkit.messages import ReasoningPart, ResponsePart, TextPart, ToolCall
from agentkit.models._prompted_repair import loads_lenient
from agentkit.models._prompted_schema import ActionSpec
from agentkit.models._think import split_think
from agentkit.prompts import render

__all__ = ["REPLY_STARTS", "ParsedReply", "format_call", "format_final", "parse_reply", "plain_reply", "split_think"]

REPLY_STARTS = ("{", "```", "<tool_call>")
"""How a reply in the defined format may start: such a reply has no reasoning before an orphan ``</think>``."""
_HERMES = re.compile(r"<tool_call>(.*?)(?:</tool_call>|\Z)", re.DOTALL)
_FENCE = re.compile(r"```[A-Za-z]*[ \t]*\n?(.*?)(?:```|\Z)", re.DOTALL)
_ACTION_HINT = re.compile(r"""["'](tool|final_answer)["']\s*:|<tool_call>""")
_NAME_KEYS = ("tool", "name", "tool_name")
_ARGUMENT_KEYS = ("arguments", "args", "parameters", "input")
_MAX_STARTS = 32
_MAX_ACTIONS = 16


@dataclass(frozen=True)
class ParsedReply:
    """The response parts read from a reply; ``problem`` says why the reply can't be used."""

    parts: tuple[ResponsePart, ...]
    problem: str | None = None

    @property
    def tool_calls(self) -> list[ToolCall]:
        """The tool calls read (the output tool included)."""
        return [p for p in self.parts if isinstance(p, ToolCall)]


def format_call(name: str, arguments: Any) -> str:
    """A tool call in the reply format (how a call appears in the history the model sees)."""
    return json.dumps({"tool": name, "arguments": arguments}, ensure_ascii=False)


def format_final(answer: Any) -> str:
    """A final answer in the reply format."""
    return json.dumps({"final_answer": answer}, ensure_ascii=False)


def plain_reply(text: str) -> ParsedReply:
    """A reply in plain mode (no tools, text answer): leading reasoning, then the text as it is.

    Only leading ``<think>`` blocks count, so that plain text streams at once (an orphan ``</think>`` is
    the inner model's to split: see ``OpenAIChatModel(think_tags=...)``). An empty text gives no text
    part: the loop answers that with its empty-response retry prompt.
    """
    thought, rest = split_think(text, orphan=False)
    parts: list[ResponsePart] = [ReasoningPart(content=thought)] if thought else []
    if rest.strip():
        parts.append(TextPart(content=rest.lstrip()))
    return ParsedReply(tuple(parts))


@dataclass(frozen=True)
class _Reading:
    """The reply read one way: the objects found, the actions they amount to, or the problem."""

    objects: list[Any]
    actions: list[ResponsePart]
    problem: str | None


def parse_reply(text: str, spec: ActionSpec) -> ParsedReply:
    """The parts of ``text``: reasoning, then the tool calls or the final answer."""
    thought, rest = split_think(text, text_starts=REPLY_STARTS)
    reasoning: tuple[ResponsePart, ...] = (ReasoningPart(content=thought),) if thought else ()
    if not rest.strip():
        return ParsedReply(reasoning, render("prompted_problem_empty"))
    preferred = _read(rest, spec)
    if preferred.actions:
        return ParsedReply(reasoning + tuple(preferred.actions))
    if rest != text and (whole := _read(text, spec)).actions:
        return ParsedReply(tuple(whole.actions))  # the "reasoning" was inside the JSON
    if spec.output is None and not preferred.objects and not _ACTION_HINT.search(rest):
        return ParsedReply((*reasoning, TextPart(content=rest.strip())))
    return ParsedReply(reasoning, preferred.problem)


def _read(text: str, spec: ActionSpec) -> _Reading:
    """Look in Hermes blocks, then fenced blocks, then the whole text; the first with actions wins."""
    first: _Reading | None = None
    for regions in _region_groups(text):
        objects, json_error = _json_objects(regions)
        actions, problem = _actions(objects, spec)
        reading = _Reading(objects, actions, problem or _no_action_problem(objects, json_error))
        if actions:
            return reading
        first = first or reading
    assert first is not None  # the whole text is always a group
    return first


def _no_action_problem(objects: list[Any], json_error: str | None) -> str:
    if objects:
        keys = ", ".join(map(str, objects[0])) if objects[0] else "none"
        return render("prompted_problem_no_action", keys=keys)
    if json_error is not None:
        return render("prompted_problem_bad_json", error=json_error)
    return render("prompted_problem_no_json")


# --- finding JSON objects ------------------------------------------------------------------------


def _region_groups(text: str) -> list[list[str]]:
    """Where to look, in order: the Hermes blocks, the fenced blocks, the whole text."""
    groups = [[m.group(1) for m in pattern.finditer(text)] for pattern in (_HERMES, _FENCE)]
    return [group for group in groups if group] + [[text]]


def _json_objects(regions: list[str]) -> tuple[list[Any], str | None]:
    """The JSON objects in ``regions``, in order, and the first parse error met (if none parsed)."""
    objects: list[Any] = []
    first_error: str | None = None
    for region in regions:
        for value, error in _scan(region):
            if error is not None:
                first_error = first_error or error
            else:
                objects.append(value)
    return objects, None if objects else first_error


def _scan(text: str) -> Iterator[tuple[Any, str | None]]:
    """Values parsed from successive ``{`` positions; after a value, scanning resumes past its end."""
    start = text.find("{")
    found = attempts = 0
    while start != -1 and attempts < _MAX_STARTS and found < _MAX_ACTIONS:
        attempts += 1
        result = loads_lenient(text[start:])
        if result.ok and isinstance(result.value, dict):
            found += 1
            yield result.value, None
            start = text.find("{", start + max(result.end, 1))
        else:
            yield None, result.error or "not a JSON object"
            start = text.find("{", start + 1)


# --- turning objects into parts ------------------------------------------------------------------


def _actions(objects: list[Any], spec: ActionSpec) -> tuple[list[ResponsePart], str | None]:
    """All tool calls, else the first final answer; else the first problem met (``None``: no action)."""
    read = [_action(value, spec) for value in objects]
    parts = [part for part, _ in read if part is not None]
    calls = [p for p in parts if isinstance(p, ToolCall) and not _is_output_call(p, spec)]
    finals = [p for p in parts if not isinstance(p, ToolCall) or _is_output_call(p, spec)]
    if finals and (spec.final_only or not calls):
        return finals[:1], None
    if calls and spec.final_only:
        return [], render("prompted_problem_tools_closed", tool=calls[0].name)
    if calls:
        return list(calls), None
    return [], next((problem for _, problem in read if problem is not None), None)


def _is_output_call(part: ResponsePart, spec: ActionSpec) -> bool:
    return isinstance(part, ToolCall) and spec.output is not None and part.name == spec.output.name


def _action(value: dict[str, Any], spec: ActionSpec) -> tuple[ResponsePart | None, str | None]:
    """One object as a tool call or final answer; (None, None) if it is neither."""
    call = value["function"] if isinstance(value.get("function"), dict) else value
    name = _tool_name(call)
    if name is not None:
        if not isinstance(name, str) or not name.strip():
            return None, render("prompted_problem_bad_tool", value=_json_text(name))
        arguments, problem = _arguments(call, name)
        return (ToolCall.create(name, _json_text(arguments)), None) if problem is None else (None, problem)
    if "final_answer" in value:
        return _final(value["final_answer"], spec), None
    return None, None


def _tool_name(call: dict[str, Any]) -> Any:
    """The tool name: under "tool", or under "name"/"tool_name" next to arguments (Hermes style)."""
    if "tool" in call:
        return call["tool"]
    if "final_answer" in call or not any(key in call for key in _ARGUMENT_KEYS):
        return None
    return next((call[key] for key in _NAME_KEYS[1:] if key in call), None)


def _arguments(call: dict[str, Any], name: str) -> tuple[dict[str, Any], str | None]:
    raw = next((call[key] for key in _ARGUMENT_KEYS if key in call), None)
    if isinstance(raw, str):
        parsed = loads_lenient(raw) if raw.strip() else None
        raw = parsed.value if parsed is not None and parsed.ok else (raw if raw.strip() else None)
    if raw is None:
        return {}, None
    if not isinstance(raw, dict):
        return {}, render("prompted_problem_bad_arguments", tool=name, value=_json_text(raw))
    return raw, None


def _final(answer: Any, spec: ActionSpec) -> ResponsePart:
    if spec.output is None:
        return TextPart(content=answer if isinstance(answer, str) else _json_text(answer))
    return ToolCall.create(spec.output.name, spec.output_arguments(answer))


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
