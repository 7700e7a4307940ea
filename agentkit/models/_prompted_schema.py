"""What a prompted model may answer, as a JSON schema and as text.

A reply is one JSON object: ``{"tool": name, "arguments": {...}}`` or ``{"final_answer": value}``.
:meth:`ActionSpec.schema` is the union (``anyOf``) of one branch per tool and the final-answer branch,
for servers that constrain output to a JSON schema; :func:`type_text` renders schemas compactly for
the prompt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from agentkit.models.base import RequestParams
from agentkit.tools import ToolDefinition

__all__ = ["TEXT_ANSWER_SCHEMA", "ActionSpec", "canonical_json", "type_text"]

TEXT_ANSWER_SCHEMA: dict[str, Any] = {"type": "string"}
_DEFS_PREFIX = "#/$defs/"
_MAX_DEPTH = 4


def canonical_json(value: Any) -> str:
    """Compact JSON with sorted keys: equal values give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class ActionSpec:
    """The tools a reply may call and how it gives the final answer.

    ``output`` is the output tool (structured answers) or ``None`` (the answer is text). With
    ``final_only`` no tool may be called.
    """

    tools: tuple[ToolDefinition, ...] = ()
    output: ToolDefinition | None = None
    final_only: bool = False

    @classmethod
    def of(cls, params: RequestParams) -> ActionSpec:
        """The spec for one request of the loop."""
        return cls(tuple(params.tools), params.output_tool, params.final_answer)

    def final(self) -> ActionSpec:
        """The same spec restricted to the final answer."""
        return replace(self, final_only=True)

    @property
    def plain(self) -> bool:
        """No tools and a text answer: nothing to call, so the reply is plain text (no JSON format)."""
        return not self.tools and self.output is None

    @property
    def callable_tools(self) -> tuple[ToolDefinition, ...]:
        """The tools a reply may call now (none in final-answer mode)."""
        return () if self.final_only else self.tools

    @property
    def wrapped(self) -> bool:
        """Whether the output tool's arguments are ``{"result": answer}`` (non-object output types)."""
        return self.output is not None and _is_wrapped(self.output.parameters)

    def answer_schema(self) -> dict[str, Any]:
        """The schema of the ``final_answer`` value."""
        if self.output is None:
            return dict(TEXT_ANSWER_SCHEMA)
        params = self.output.parameters
        if not _is_wrapped(params):
            return dict(params)
        inner = dict(params["properties"]["result"])
        if "$defs" in params:
            inner["$defs"] = params["$defs"]
        return inner

    def output_arguments(self, answer: Any) -> str:
        """The output tool's JSON arguments for a ``final_answer`` value."""
        return json.dumps({"result": answer} if self.wrapped else answer, ensure_ascii=False)

    def answer_of_arguments(self, arguments: Any) -> Any:
        """The ``final_answer`` value for the output tool's (parsed) arguments."""
        if self.wrapped and isinstance(arguments, dict) and "result" in arguments:
            return arguments["result"]
        return arguments

    def schema(self) -> dict[str, Any]:
        """The JSON schema every valid reply matches (a union when tools may be called)."""
        defs: dict[str, Any] = {}
        branches = [_tool_branch(t, defs) for t in self.callable_tools]
        branches.append(_final_branch(self.answer_schema(), defs))
        root: dict[str, Any] = branches[0] if len(branches) == 1 else {"anyOf": branches}
        if defs:
            root = {**root, "$defs": defs}
        return root


def _is_wrapped(params: dict[str, Any]) -> bool:
    properties = params.get("properties")
    return (
        isinstance(properties, dict)
        and list(properties) == ["result"]
        and params.get("required") == ["result"]
        and params.get("additionalProperties") is False
    )


def _tool_branch(tool: ToolDefinition, defs: dict[str, Any]) -> dict[str, Any]:
    arguments = _hoist_defs(tool.parameters, f"{tool.name}.", defs)
    return _object({"tool": {"const": tool.name}, "arguments": arguments})


def _final_branch(answer: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    return _object({"final_answer": _hoist_defs(answer, "final_answer.", defs)})


def _object(properties: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _hoist_defs(schema: dict[str, Any], prefix: str, defs: dict[str, Any]) -> dict[str, Any]:
    """``schema`` without its ``$defs``, which move to ``defs`` under prefixed names (refs follow)."""
    local = schema.get("$defs")
    if not isinstance(local, dict):
        return schema
    renamed = {name: prefix + name for name in local}
    for name, sub in local.items():
        defs[renamed[name]] = _rename_refs(sub, renamed)
    body = {key: value for key, value in schema.items() if key != "$defs"}
    result: dict[str, Any] = _rename_refs(body, renamed)
    return result


def _rename_refs(node: Any, renamed: dict[str, str]) -> Any:
    if isinstance(node, list):
        return [_rename_refs(item, renamed) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _rename_refs(value, renamed) for key, value in node.items()}
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX) and ref[len(_DEFS_PREFIX) :] in renamed:
        out["$ref"] = _DEFS_PREFIX + renamed[ref[len(_DEFS_PREFIX) :]]
    return out


# --- schemas as compact text for the prompt --------------------------------------------------------


def type_text(schema: Any, defs: dict[str, Any] | None = None, depth: int = 0) -> str:
    """A short, readable type: ``number``, ``"c" | "f"``, ``list[string]``, ``{a: number, b?: string}``."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return "any"
    defs = {**(defs or {}), **schema.get("$defs", {})}
    if "$ref" in schema:
        return _ref_text(str(schema["$ref"]), defs, depth)
    if "const" in schema:
        return json.dumps(schema["const"], ensure_ascii=False)
    if "enum" in schema:
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in schema["enum"])
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list):
        return " | ".join(type_text(v, defs, depth + 1) for v in variants)
    return _typed_text(schema, defs, depth)


def _ref_text(ref: str, defs: dict[str, Any], depth: int) -> str:
    name = ref.removeprefix(_DEFS_PREFIX)
    target = defs.get(name)
    return type_text(target, defs, depth + 1) if target is not None else name


def _typed_text(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        return " | ".join(_typed_text({**schema, "type": k}, defs, depth) for k in kind)
    if kind == "array":
        return f"list[{type_text(schema.get('items'), defs, depth + 1)}]"
    if kind == "object":
        return _object_text(schema, defs, depth)
    return str(kind) if isinstance(kind, str) else "any"


def _object_text(schema: dict[str, Any], defs: dict[str, Any], depth: int) -> str:
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        extra = schema.get("additionalProperties")
        return f"dict[string, {type_text(extra, defs, depth + 1)}]" if isinstance(extra, dict) else "object"
    return "{" + ", ".join(params_text(schema, defs, depth + 1)) + "}"


def params_text(schema: dict[str, Any], defs: dict[str, Any] | None = None, depth: int = 0) -> list[str]:
    """One ``name: type`` (``name?: type`` if optional, ``= default`` if any) per property."""
    defs = {**(defs or {}), **schema.get("$defs", {})}
    required = set(schema.get("required") or ())
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        text = type_text(sub, defs, depth)
        has_default = isinstance(sub, dict) and "default" in sub
        default = f" = {json.dumps(sub['default'], ensure_ascii=False)}" if has_default else ""
        optional = "" if name in required or default else "?"
        out.append(f"{name}{optional}: {text}{default}")
    return out
