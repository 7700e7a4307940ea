"""Hooks for the background-run commands (``agentkit runs ls|show|cancel|resume`` and ``agentkit worker``).

They live in :mod:`agentkit.background.cli`, which exposes a typer app ``runs_app`` and a ``worker``
command function. When that module can't be imported (the ``background`` extra is not installed),
``runs`` and ``worker`` still exist and say what to install.
"""

from __future__ import annotations

import importlib
from typing import Any

import typer

__all__ = ["register_background_commands"]

_BACKGROUND_MODULE = "agentkit.background.cli"
_OPTIONAL_MODULES = frozenset({"agentkit.background", _BACKGROUND_MODULE, "dbos", "sqlalchemy"})
_PASS_THROUGH = {"allow_extra_args": True, "ignore_unknown_options": True, "help_option_names": []}


def register_background_commands(app: typer.Typer) -> None:
    """Add ``runs`` and ``worker`` to ``app``: the real ones, or ones that explain what is missing."""
    try:
        module: Any = importlib.import_module(_BACKGROUND_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name not in _OPTIONAL_MODULES:
            raise
        _register_missing(app, f"{exc}")
        return
    app.add_typer(
        module.runs_app, name="runs", help="List, inspect, approve or deny, cancel and resume background runs."
    )
    app.command("worker", help="Run a worker that executes background runs.")(module.worker)


def _register_missing(app: typer.Typer, reason: str) -> None:
    message = (
        f"Background runs are not available here ({reason}). Install them with: pip install 'agentkit[background]'"
    )

    def unavailable(ctx: typer.Context) -> None:
        typer.echo(f"error: {message}", err=True)
        raise typer.Exit(1)

    for name, help_text in (
        ("runs", "Manage background runs (needs the background extra)."),
        ("worker", "Run a background worker (needs the background extra)."),
    ):
        app.command(name, help=help_text, context_settings=_PASS_THROUGH)(unavailable)
