"""Ready-made responders (callbacks answering any request) for benchmarks and the CLI."""

from __future__ import annotations

from typing import Any

from .script import Reply, ToolCall

JSON = dict[str, Any]
_EXAMPLES: dict[str, Any] = {"string": "x", "integer": 1, "number": 1.5, "boolean": True, "array": [], "object": {}}


class ToolLoop:
    """Answers with a tool call until ``tool_turns`` tool results are in the history, then with text.

    Works on all three wire formats: it counts chat ``tool`` messages, Responses
    ``function_call_output`` items and Anthropic ``tool_result`` blocks, and calls the
    first tool the request declares with arguments made from its JSON schema.
    A 3-turn tool run is ``ToolLoop(tool_turns=2)``.
    """

    def __init__(self, tool_turns: int = 2, reasoning: str | None = None, final_text: str = "done") -> None:
        self.tool_turns = tool_turns
        self.reasoning = reasoning
        self.final_text = final_text

    def __call__(self, request: JSON) -> Reply:
        """The reply for this point of the conversation."""
        tool = _first_tool(request)
        if tool is None or tool_results(request) >= self.tool_turns:
            return Reply(text=self.final_text, reasoning=self.reasoning)
        name, schema = tool
        return Reply(reasoning=self.reasoning, tool_calls=[ToolCall(name, example_arguments(schema))])


def tool_results(request: JSON) -> int:
    """How many tool results the request's history holds, whatever its wire format."""
    history = request.get("messages") or request.get("input") or []
    if not isinstance(history, list):
        return 0
    return sum(_results_in(entry) for entry in history if isinstance(entry, dict))


def example_arguments(schema: JSON) -> JSON:
    """Arguments satisfying the required properties of a JSON schema (first enum value, or by type)."""
    properties = schema.get("properties") or {}
    return {name: _example(properties.get(name) or {}) for name in schema.get("required") or []}


def _example(spec: JSON) -> Any:
    if spec.get("enum"):
        return spec["enum"][0]
    kind = spec.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return _EXAMPLES.get(kind, "x")


def _results_in(entry: JSON) -> int:
    if entry.get("role") == "tool" or entry.get("type") == "function_call_output":
        return 1
    content = entry.get("content")
    if not isinstance(content, list):
        return 0
    return sum(1 for block in content if isinstance(block, dict) and block.get("type") == "tool_result")


def _first_tool(request: JSON) -> tuple[str, JSON] | None:
    tools = request.get("tools") or []
    if not tools:
        return None
    tool = tools[0]
    spec = tool.get("function", tool)
    schema = spec.get("parameters") or spec.get("input_schema") or {}
    return str(spec.get("name")), schema
