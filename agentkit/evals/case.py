"""One evaluation case: an input, the expected answer, and anything else worth keeping."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

__all__ = ["Case"]


@dataclass(frozen=True)
class Case:
    """A task for the agent (``input``) and what a right answer looks like (``expected``).

    ``input`` is usually the prompt text; a pydantic model or a dict is sent as JSON. ``metadata`` is kept
    with the case's results (difficulty, source, ...). ``name`` identifies the case when two evaluations
    are compared (default: its position in the dataset).
    """

    input: Any
    expected: Any = None
    metadata: dict[str, Any] = field(default_factory=dict)
    name: str | None = None

    def prompt(self) -> str:
        """The text the agent receives."""
        if isinstance(self.input, str):
            return self.input
        if isinstance(self.input, BaseModel):
            return self.input.model_dump_json()
        return json.dumps(to_jsonable_python(self.input, fallback=repr), ensure_ascii=False)
