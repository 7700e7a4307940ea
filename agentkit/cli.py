"""The ``agentkit`` command (``[project.scripts]``) and ``python -m agentkit``.

``run`` a task with live progress, ``view`` a run's HTML report, and the background-run commands
``runs`` and ``worker``. The commands live in :mod:`agentkit._cli.app`; this entry point imports
nothing but the standard library and :mod:`agentkit._extras` before checking that the ``cli`` extra
(typer, rich) is installed, so without it the command prints one line naming the extra and exits 1.
"""

from __future__ import annotations

import sys
from typing import Any

__all__ = ["main"]  # and `app`, the typer app, through __getattr__

FEATURE = "The agentkit command"
CLI_MODULES = ("typer", "rich")
"""What the ``cli`` extra installs."""


def main() -> None:
    """The console-script entry point."""
    from agentkit.exceptions import MissingExtra

    try:
        _require_cli()
    except MissingExtra as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    from agentkit._cli.app import main as run_app

    run_app()


def _require_cli() -> None:
    """Raise :class:`~agentkit.exceptions.MissingExtra` unless typer and rich are installed."""
    from agentkit._extras import require

    for module in CLI_MODULES:
        require(module, "cli", FEATURE)


def __getattr__(name: str) -> Any:
    """``from agentkit.cli import app``: the typer app (needs the ``cli`` extra)."""
    if name == "app":
        _require_cli()
        from agentkit._cli.app import app

        return app
    raise AttributeError(f"module 'agentkit.cli' has no attribute {name!r}")
