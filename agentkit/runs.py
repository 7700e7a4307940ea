"""Background runs from any process: ``agentkit.runs.get(run_id)``, ``agentkit.runs.list()``.

A thin public door to :mod:`agentkit.background.runtime`; DBOS loads only when a function is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit.background.handle import RunHandle

__all__ = ["get", "list"]


def get(run_id: str, **options: Any) -> RunHandle:
    """The handle of background run ``run_id``: status, events / aevents, approve / deny, cancel, resume,
    result."""
    from agentkit.background.runtime import get as _get

    return _get(run_id, **options)


def list(**filters: Any) -> Any:
    """Background runs, newest first; see :func:`agentkit.background.runtime.list_runs` for filters."""
    from agentkit.background.runtime import list_runs

    return list_runs(**filters)
