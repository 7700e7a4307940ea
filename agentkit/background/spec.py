"""What a durable run executes: a runner function named by import path, and its JSON payload."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from agentkit.background.errors import RunnerNotFound
from agentkit.background.steps import StepRunner

__all__ = ["PARENT_KEY", "STRATEGY_NAME_KEY", "RunSpec", "Runner", "import_object", "resolve_runner", "runner_path"]

Runner = Callable[[dict[str, Any], StepRunner], Awaitable[Any]]
"""``async def runner(payload, steps) -> result``: the body of a durable run."""

STRATEGY_NAME_KEY = "strategy_name"
"""The payload key naming the strategy of a strategy run and of its branches (shown by ``runs show``)."""
PARENT_KEY = "parent"
"""The payload key of a branch (a child run) naming its strategy run."""


@dataclass(frozen=True)
class RunSpec:
    """A serialisable description of one run (stored with the run, read again on every replay)."""

    runner: str
    """``"package.module:function"``; every worker must be able to import it."""
    payload: dict[str, Any] = field(default_factory=dict)
    """The runner's input (JSON-serialisable)."""
    title: str = ""
    """A short description shown by ``agentkit runs ls``."""

    def to_dict(self) -> dict[str, Any]:
        """The form stored in the database."""
        return {"runner": self.runner, "payload": self.payload, "title": self.title}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RunSpec:
        """Inverse of :meth:`to_dict`."""
        return cls(runner=data["runner"], payload=dict(data.get("payload") or {}), title=data.get("title", ""))


def runner_path(fn: Callable[..., Any]) -> str:
    """The import path of a module-level function, for :attr:`RunSpec.runner`."""
    qualname = fn.__qualname__
    if "<locals>" in qualname:
        raise ValueError(
            f"{qualname} is defined inside a function, so a worker can't import it; define the runner at module level."
        )
    return f"{fn.__module__}:{qualname}"


def resolve_runner(path: str) -> Runner:
    """Import the runner named ``"module:attr.attr"``."""
    target = import_object(path, what="runner")
    if not callable(target):
        raise RunnerNotFound(f"Runner {path!r} is not callable.")
    runner: Runner = target
    return runner


def import_object(path: str, *, what: str) -> Any:
    """Import the object named ``"module:attr.attr"`` (``what`` names it in errors)."""
    module_name, _, attr_path = path.partition(":")
    if not module_name or not attr_path:
        raise RunnerNotFound(f"The {what} {path!r} is not of the form 'package.module:name'; fix the run spec.")
    target: Any = import_module(module_name, what=what, path=path)
    for attr in attr_path.split("."):
        if not hasattr(target, attr):
            raise RunnerNotFound(
                f"Module {module_name!r} has no {attr_path!r}; the {what} {path!r} was renamed or removed."
            )
        target = getattr(target, attr)
    return target


def import_module(module_name: str, *, what: str, path: str) -> ModuleType:
    """Import ``module_name`` (named by the ``what`` ``path``), or say how to make it importable."""
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise RunnerNotFound(
            f"Can't import module {module_name!r} of the {what} {path!r} ({exc}); "
            "install it or add its directory to PYTHONPATH of the worker."
        ) from exc
