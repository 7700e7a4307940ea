"""How a run keeps its requests inside the model's context window (:class:`ContextPolicy`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ContextPolicy"]


class ContextPolicy(BaseModel):
    """Context management for an agent's runs: ``Agent(model, context=ContextPolicy(...))``.

    Before each request the run estimates its input tokens (the provider's reported input tokens of
    the previous request plus an estimate of what was added since). When the estimate passes
    ``threshold`` of the window, a ladder is applied, cheapest first, until it fits: old tool results
    are cleared (the newest ``keep_tool_results`` stay whole), reasoning of finished turns is dropped
    where the provider's replay rules allow it, then older turns are summarized by the model into one
    note. A provider's context-overflow error compacts and retries the request once.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    enabled: bool = True
    """``False`` turns context management off: requests are sent as they are."""
    window: int | None = Field(default=None, ge=256)
    """The context window in tokens; ``None``: the model's known window (litellm's table, then
    agentkit's), or none until a provider's overflow error names it."""
    threshold: float = Field(default=0.8, gt=0.0, le=1.0)
    """Compact when a request's estimated input tokens pass this share of the window."""
    keep_tool_results: int = Field(default=3, ge=1)
    """The newest tool results that are never cleared."""
    drop_reasoning: bool = True
    """Allow dropping the reasoning of finished turns (only where the provider accepts it)."""
    summarize: bool = True
    """Allow summarizing older turns with the model (a model request, counted in usage and budget)."""
