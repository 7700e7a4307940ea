"""Runs as JSON: the ``--json`` lines, the ``--save`` file, and reading either back for ``agentkit view``.

Every record is scrubbed of secrets (:func:`agentkit.redaction.redact_value`), and tool-call arguments
inside model responses have the tool's ``secret_args`` redacted.

Save file: ``{"format": "agentkit.run", "version": 1, "run_id": ..., "events": [...], "result": {...} |
null, "error": {"type": ..., "message": ...} | null}``. Streaming deltas are left out of it (the
responses hold the same text). ``--json`` writes one event per line, then a ``{"kind": "result", ...}``
or ``{"kind": "error", ...}`` line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic_core import to_jsonable_python

from agentkit.events import AgentEvent
from agentkit.redaction import redact_event, redact_text, redact_value
from agentkit.result import AgentResult
from agentkit.tools import ToolRegistry

__all__ = [
    "DELTA_KINDS",
    "FORMAT",
    "SavedRun",
    "dumps",
    "error_record",
    "event_record",
    "load_run",
    "result_record",
    "save_run",
]

FORMAT = "agentkit.run"
VERSION = 1
DELTA_KINDS = frozenset({"reasoning_delta", "text_delta", "tool_call_delta"})


def event_record(event: AgentEvent, registry: ToolRegistry | None = None) -> dict[str, Any]:
    """An event as a JSON-ready dict, secrets redacted."""
    record: dict[str, Any] = redact_value(redact_event(event, registry).model_dump(mode="json"))
    return record


def result_record(result: AgentResult[Any]) -> dict[str, Any]:
    """The final ``{"kind": "result", ...}`` record."""
    record: dict[str, Any] = redact_value(
        {
            "kind": "result",
            "run_id": result.run_id,
            "output": to_jsonable_python(result.output, fallback=str),
            "stop_reason": result.stop_reason,
            "usage": result.usage.model_dump(mode="json"),
        }
    )
    return record


def error_record(error: BaseException) -> dict[str, Any]:
    """The ``{"kind": "error", ...}`` record of a run that raised."""
    return {"kind": "error", "type": type(error).__name__, "message": redact_text(str(error))}


def dumps(record: dict[str, Any]) -> str:
    """One compact JSON line."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def save_run(
    path: Path, run_id: str, events: list[dict[str, Any]], result: dict[str, Any] | None, error: dict[str, Any] | None
) -> None:
    """Write the ``--save`` file."""
    document = {
        "format": FORMAT,
        "version": VERSION,
        "run_id": run_id,
        "events": [e for e in events if e.get("kind") not in DELTA_KINDS],
        "result": result,
        "error": error,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


@dataclass(frozen=True)
class SavedRun:
    """A run read back from a file: its event dicts and, if it failed, the error text."""

    events: list[dict[str, Any]]
    error: str | None = None
    run_id: str | None = None


class RunFileError(ValueError):
    """The file is not a saved run; the message says what was expected."""


def load_run(path: Path) -> SavedRun:
    """Read a ``--save`` file, a ``--json`` output (JSON lines) or a JSON list of events."""
    text = path.read_text(encoding="utf-8")
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return _from_lines(path, text)
    if isinstance(document, dict) and document.get("format") == FORMAT:
        error = document.get("error")
        return SavedRun(list(document.get("events", [])), _error_text(error), document.get("run_id"))
    if isinstance(document, list) and all(isinstance(e, dict) for e in document):
        return SavedRun(document)
    if isinstance(document, dict) and "kind" in document:
        return _from_lines(path, text)
    raise RunFileError(_NOT_A_RUN.format(path=path))


def _from_lines(path: Path, text: str) -> SavedRun:
    events: list[dict[str, Any]] = []
    error: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise RunFileError(f"{path}:{number}: not JSON ({exc.msg}). " + _NOT_A_RUN.format(path=path)) from None
        if not isinstance(record, dict):
            raise RunFileError(f"{path}:{number}: expected a JSON object. " + _NOT_A_RUN.format(path=path))
        if record.get("kind") == "error":
            error = _error_text(record)
        elif record.get("kind") != "result":
            events.append(record)
    return SavedRun(events, error)


def _error_text(error: Any) -> str | None:
    if not isinstance(error, dict):
        return None
    return f"{error.get('type', 'Error')}: {error.get('message', '')}"


_NOT_A_RUN = (
    "{path} is not a saved run. Write one with 'agentkit run TASK --save {path}' or "
    "'agentkit run TASK --json > {path}'."
)
