"""Turning ``--model``, ``--tool`` and ``--agent`` values into objects (``module:attribute`` imports)."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

from agentkit.agent import Agent
from agentkit.exceptions import UserError
from agentkit.models import Model, check_spec
from agentkit.tools import Tool

__all__ = ["CliInputError", "import_object", "load_agent", "load_model", "load_tool"]


class CliInputError(Exception):
    """A command-line value can't be used; the message says why and what to write instead."""


def import_object(spec: str, what: str) -> Any:
    """The attribute named by ``module:attribute`` (dots allowed on both sides). The current directory is
    importable, as with ``python -m``."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise CliInputError(f"{what} {spec!r} is not of the form module:attribute (e.g. myapp.tools:search).")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        value: Any = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise CliInputError(f"{what} {spec!r}: cannot import module {module_name!r} ({exc}).") from exc
    for name in attribute.split("."):
        try:
            value = getattr(value, name)
        except AttributeError:
            raise CliInputError(f"{what} {spec!r}: module {module_name!r} has no attribute {attribute!r}.") from None
    return value


def _call_factory(value: Any, expected: type[Any], spec: str, what: str) -> Any:
    if not isinstance(value, expected) and callable(value) and not isinstance(value, Tool):
        value = value()
    if not isinstance(value, expected):
        raise CliInputError(
            f"{what} {spec!r} is a {type(value).__name__}; it must be a {expected.__name__} "
            f"or a function that returns one."
        )
    return value


def load_model(spec: str) -> Model | str:
    """A model string (``openai:o4-mini``, ``local`` ...) as it is, or the Model a ``module:attribute`` names
    (a Model, or a function returning one, called once per run)."""
    try:
        check_spec(spec)
    except UserError as spec_error:
        if ":" not in spec:
            raise CliInputError(str(spec_error)) from None
        try:
            value = import_object(spec, "--model")
        except CliInputError as import_error:
            raise CliInputError(
                f"--model {spec!r} is neither a model string nor an importable module:attribute.\n"
                f"  As a model string: {spec_error}\n  As an import: {import_error}"
            ) from None
        model: Model = _call_factory(value, Model, spec, "--model")
        return model
    return spec


def load_tool(spec: str) -> Tool[Any]:
    """The tool a ``module:function`` names: a :class:`Tool` or a plain function (made into one)."""
    value = import_object(spec, "--tool")
    if isinstance(value, Tool):
        return value
    if not callable(value):
        raise CliInputError(f"--tool {spec!r} is a {type(value).__name__}; it must be a function or a Tool.")
    try:
        return Tool.from_function(value)
    except UserError as exc:
        raise CliInputError(f"--tool {spec!r}: {exc}") from None


def load_agent(spec: str) -> Agent[Any, Any]:
    """The agent a ``module:attribute`` names (an Agent, or a function returning one)."""
    agent: Agent[Any, Any] = _call_factory(import_object(spec, "--agent"), Agent, spec, "--agent")
    return agent
