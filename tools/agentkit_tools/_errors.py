"""The error every tool pack raises: the message names the problem and the fix."""

from __future__ import annotations

__all__ = ["ToolPackError"]


class ToolPackError(Exception):
    """A tool refused or failed an operation; ``str(error)`` is written for the model and the user."""
