"""Finished spans as a plain tree, for snapshots."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import StatusCode

VOLATILE = frozenset({"agentkit.tool.duration_s"})
JSON_ATTRIBUTES = frozenset(
    {"gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.system_instructions", "gen_ai.tool.definitions"}
)


def span_tree(spans: Sequence[ReadableSpan]) -> list[dict[str, Any]]:
    """Root spans with their children, ordered by start; durations (which vary) left out."""
    children: dict[int | None, list[ReadableSpan]] = defaultdict(list)
    for span in spans:
        children[span.parent.span_id if span.parent else None].append(span)

    def key(span: ReadableSpan) -> tuple[int, str]:
        return (span.start_time or 0, str((span.attributes or {}).get("gen_ai.tool.call.id", "")))

    def node(span: ReadableSpan) -> dict[str, Any]:
        assert span.context is not None
        out: dict[str, Any] = {"name": span.name}
        out["attributes"] = {k: _value(k, v) for k, v in (span.attributes or {}).items() if k not in VOLATILE}
        if span.status.status_code is not StatusCode.UNSET:
            out["status"] = f"{span.status.status_code.name}: {span.status.description}"
        if span.events:
            out["events"] = [{"name": e.name, **dict(e.attributes or {})} for e in span.events]
        kids = sorted(children.get(span.context.span_id, []), key=key)
        if kids:
            out["children"] = [node(k) for k in kids]
        return out

    return [node(s) for s in sorted(children[None], key=key)]


def _value(key: str, value: Any) -> Any:
    if key in JSON_ATTRIBUTES:
        return json.loads(value)
    return list(value) if isinstance(value, tuple) else value
