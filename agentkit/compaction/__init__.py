"""Context management: keep every request of a run inside the model's context window.

On by default (``Agent(model)`` uses ``ContextPolicy()``). Before each request the run estimates its
input tokens from the provider's reported usage of the previous request plus what was added since;
past ``threshold`` of the window it clears old tool results, drops the reasoning of finished turns
where the provider allows it, then summarizes older turns with the model. A provider's context
overflow error is compacted and retried once, and its window is kept for the rest of the run. Each
compaction is a :class:`~agentkit.events.ContextCompacted` event. See the docs page "Context".
"""

from __future__ import annotations

from agentkit.compaction._windows import context_window
from agentkit.compaction.policy import ContextPolicy

__all__ = ["ContextPolicy", "context_window"]
