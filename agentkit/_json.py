"""Parsing JSON a model wrote, with one error text for every way it can fail."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["BadJSON", "parse_json"]


class BadJSON(ValueError):
    """The text is not JSON Python can read; ``detail`` says why, as the model is told."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def parse_json(text: str) -> Any:
    """``json.loads(text)``, raising :class:`BadJSON` for bad syntax ("<msg> at position <n>"), an integer
    over Python's 4,300-digit limit or nesting too deep for the parser (the error's own text)."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadJSON(f"{exc.msg} at position {exc.pos}") from exc
    except (ValueError, RecursionError) as exc:
        raise BadJSON(str(exc)) from None
