"""Ready tool packs for agentkit, each safe by default.

```python
from agentkit import Agent
from agentkit_tools import math_tools, python_tools, web_tools, workspace_tools

agent = Agent("openai:o4-mini", tools=[*web_tools(), *workspace_tools("./work"), *math_tools()])
```

Each factory returns a list of :class:`agentkit.tools.Tool` with declared side effects:

* :func:`web_tools` — ``fetch_url``: blocks private, loopback and metadata addresses (after DNS,
  on every redirect), bounded size and time, HTML reduced to text.
* :func:`workspace_tools` — read/list/search/write files confined to one root directory.
* :func:`python_tools` — ``run_python`` in a limited, network-less subprocess.
* :func:`shell_tools` — ``run_command`` for allowlisted programs; off unless enabled, approval by default.
* :func:`math_tools` — ``calculate``, a safe arithmetic evaluator.
* :class:`agentkit_tools.mcp.MCPToolset` — tools of an MCP server (needs the ``mcp`` extra).

Names are imported on first use, so ``import agentkit_tools`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agentkit_tools._errors import ToolPackError
    from agentkit_tools.math import math_tools
    from agentkit_tools.python_sandbox import python_tools
    from agentkit_tools.shell import shell_tools
    from agentkit_tools.web import web_tools
    from agentkit_tools.workspace import workspace_tools

_LAZY: dict[str, str] = {
    "ToolPackError": "agentkit_tools._errors",
    "math_tools": "agentkit_tools.math",
    "python_tools": "agentkit_tools.python_sandbox",
    "shell_tools": "agentkit_tools.shell",
    "web_tools": "agentkit_tools.web",
    "workspace_tools": "agentkit_tools.workspace",
}

__all__ = ["ToolPackError", "math_tools", "python_tools", "shell_tools", "web_tools", "workspace_tools"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'agentkit_tools' has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
