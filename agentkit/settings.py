"""Model settings shared by every adapter (:class:`ModelSettings`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ModelSettings", "ReasoningEffort"]

ReasoningEffort = Literal["minimal", "low", "medium", "high"]


class ModelSettings(BaseModel):
    """Settings for model requests. ``None`` means "the provider's default".

    ``reasoning_effort`` is one knob for every provider: adapters map it to ``reasoning.effort``
    (OpenAI), ``reasoning_effort`` (chat completions servers) or a thinking-token budget (Anthropic,
    Gemini); ``thinking_budget`` sets that token budget explicitly.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, ge=1)
    reasoning_effort: ReasoningEffort | None = None
    thinking_budget: int | None = Field(default=None, ge=0)
    parallel_tool_calls: bool | None = None
    seed: int | None = None
    stop: list[str] | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    extra_body: dict[str, Any] | None = None
    """Provider-specific fields merged into the request body as given."""

    def merge(self, other: ModelSettings | None) -> ModelSettings:
        """These settings overridden by the fields ``other`` sets explicitly."""
        if other is None:
            return self
        return self.model_copy(update=other.model_dump(exclude_unset=True))
