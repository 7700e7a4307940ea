"""Errors of :mod:`agentkit.evals`; each message names the problem and the fix."""

from __future__ import annotations

from agentkit.exceptions import UserError

__all__ = ["DatasetError", "EvalNotFound"]


class DatasetError(UserError):
    """A dataset file or row can't be loaded; the message names the file, the line and the field."""


class EvalNotFound(UserError):
    """No saved evaluation has the id (or file) asked for."""
