"""Whether a strategy can run as a durable background run (checked in the caller, at start)."""

from __future__ import annotations

import pickle
from typing import Any

from agentkit.exceptions import UserError

__all__ = ["check_strategy"]


def check_strategy(strategy: Any) -> bytes:
    """``strategy`` pickled, if a worker can run it durably; else a :class:`UserError` saying what to change.

    Stored pickled inside the run's payload, so a process that lists runs (the CLI) needs none of the
    strategy's modules."""
    name = type(strategy).__name__
    if not getattr(strategy, "durable", False):
        raise UserError(
            f"{name} can't run as a background run: it runs agent steps concurrently inside one run, which a "
            "replay after a crash could not repeat step for step. Run it in process with "
            f"agent.run(task, strategy={name}(...)), or start a BestOfN, SelfConsistency, AdaptiveConsistency "
            "or Reflect strategy."
        )
    try:
        return pickle.dumps(strategy)
    except Exception as exc:
        raise UserError(
            f"The {name} strategy can't be stored with the run ({type(exc).__name__}: {exc}); workers unpickle "
            "it. Define its verifier, key and other functions at module level (not lambdas or nested "
            "functions), so a worker can import them."
        ) from exc
