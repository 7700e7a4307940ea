"""Optional dependencies: import one, or say in one line which extra installs it.

Each optional SDK belongs to an extra of ``pyproject.toml`` (``litellm``, ``local``, ``background``,
``cli``, ``mcp``, ``tracing``). Import sites call :func:`require` when the SDK is first needed, never at
import time of an agentkit module, so ``import agentkit`` stays fast and works without any extra.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from agentkit.exceptions import MissingExtra

__all__ = ["require"]


def require(module: str, extra: str, feature: str) -> ModuleType:
    """Import ``module`` (an optional dependency), or raise :class:`~agentkit.exceptions.MissingExtra`.

    ``extra`` is the ``pyproject.toml`` extra that installs it; ``feature`` names what needs it, as the
    start of a sentence (``"The agentkit command"``). A module that is installed but fails to import
    (one of its own dependencies is missing) raises its own error: that is a broken install, not a
    missing extra.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:  # also `sys.modules[module] = None`, which blocks an import
        if exc.name != module:
            raise
        raise MissingExtra(module, extra, feature) from None
