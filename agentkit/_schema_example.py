"""Generate a small value that satisfies a JSON schema (for :class:`agentkit.testing.TestModel`)."""

from __future__ import annotations

from typing import Any

__all__ = ["example_for"]

_SIMPLE: dict[str, Any] = {"string": "a", "integer": 0, "number": 0.0, "boolean": False, "null": None}


def example_for(schema: dict[str, Any], root: dict[str, Any] | None = None) -> Any:
    """A value valid for ``schema``; ``$ref`` is resolved against ``root`` (the whole schema)."""
    root = root if root is not None else schema
    if "$ref" in schema:
        return example_for(_resolve(schema["$ref"], root), root)
    for key in ("const", "default"):
        if key in schema:
            return schema[key]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            return example_for(schema[key][0], root)
    return _typed(schema, root)


def _typed(schema: dict[str, Any], root: dict[str, Any]) -> Any:
    kind = schema.get("type", "object" if "properties" in schema else None)
    if isinstance(kind, list):
        kind = kind[0]
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {name: example_for(props[name], root) for name in required if name in props}
    if kind == "array":
        count = schema.get("minItems", 0)
        if "prefixItems" in schema:
            return [example_for(s, root) for s in schema["prefixItems"]]
        return [example_for(schema.get("items", {}), root) for _ in range(count)]
    if kind in ("integer", "number"):
        return _number(schema, kind)
    if kind == "string":
        return "a" * max(1, schema.get("minLength", 1))
    return _SIMPLE.get(kind) if isinstance(kind, str) else None


def _number(schema: dict[str, Any], kind: str) -> int | float:
    low = schema.get("minimum", schema.get("exclusiveMinimum", 0))
    if "exclusiveMinimum" in schema and "minimum" not in schema:
        low += 1
    value = max(low, 0) if "maximum" not in schema else min(max(low, 0), schema["maximum"])
    return int(value) if kind == "integer" else float(value)


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for key in ref.removeprefix("#/").split("/"):
        node = node[key]
    resolved: dict[str, Any] = node
    return resolved
