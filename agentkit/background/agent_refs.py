"""Agents addressed by import path (``"myagents:planner"``): what ``start()`` records, and its check.

A worker finds the agent of a run by importing the module the reference names. So the reference must
name a module every worker can import, not the script that called ``start()`` (``__main__``): an agent
defined in ``myagents.py`` and imported by a script is recorded as ``myagents:planner``. ``start()``
resolves the reference in the caller and refuses one that does not lead back to the same agent, so a
wrong reference is an error at once instead of a failed run later in a worker.
"""

from __future__ import annotations

import sys
from types import ModuleType

from agentkit.background.errors import RunnerNotFound
from agentkit.background.spec import import_object
from agentkit.exceptions import UserError

__all__ = ["MAIN", "check_agent_ref", "find_agent_ref", "main_ref_hint"]

MAIN = "__main__"


def find_agent_ref(agent: object) -> str:
    """``"module:name"`` of a module-level variable holding ``agent``, importable modules first.

    A script run as ``python -m pkg.mod`` is recorded under ``pkg.mod``; one run as ``python script.py``
    (or a notebook) only as ``__main__``, which the process that started the run can resolve.
    """
    main = sys.modules.get(MAIN)
    others = [m for n, m in list(sys.modules.items()) if n != MAIN]
    for module in others:
        name = _variable_holding(module, agent)
        if name is not None:
            return f"{module.__name__}:{name}"
    if main is not None:
        name = _variable_holding(main, agent)
        if name is not None:
            return f"{_main_import_name(main)}:{name}"
    raise UserError(
        "agent.start() needs an Agent that a worker can import: assign it to a module-level variable "
        "(e.g. `planner = Agent(...)` in myagents.py), or pass agent_ref='myagents:planner'."
    )


def check_agent_ref(ref: str, agent: object, *, execute: bool) -> None:
    """Refuse a reference a worker could not resolve to ``agent``, naming the fix."""
    module_name = ref.partition(":")[0]
    if module_name == MAIN and not execute:
        raise UserError(
            f"agent.start(execute=False) can't hand the agent {ref!r} to a worker: it is defined in the script "
            f"that is running (__main__), which a worker can't import. {main_ref_hint(ref)}"
        )
    try:
        target = import_object(ref, what="agent")
    except RunnerNotFound as exc:
        raise UserError(f"agent_ref {ref!r} does not resolve in this process: {exc}") from exc
    if target is not agent:
        raise UserError(
            f"agent_ref {ref!r} names a {type(target).__name__} other than the agent being started, so a worker "
            "would run that one instead; point agent_ref at this agent's module-level variable."
        )


def main_ref_hint(ref: str) -> str:
    """How to give a worker an agent that was recorded under ``__main__``."""
    name = ref.partition(":")[2] or "planner"
    return (
        f"Define the agent in a module (e.g. `{name} = Agent(...)` in myagents.py), import it from there, "
        f"and start the worker with it: `agentkit worker myagents:{name}` (or pass agent_ref='myagents:{name}')."
    )


def _variable_holding(module: ModuleType, agent: object) -> str | None:
    namespace = getattr(module, "__dict__", None)
    if not isinstance(namespace, dict):
        return None
    for name, value in list(namespace.items()):
        if value is agent and isinstance(name, str) and not name.startswith("_"):
            return name
    return None


def _main_import_name(main: ModuleType) -> str:
    """``pkg.mod`` for ``python -m pkg.mod``; ``__main__`` for a script or a notebook."""
    spec = getattr(main, "__spec__", None)
    name = getattr(spec, "name", None)
    return name if isinstance(name, str) and name and name != MAIN else MAIN
