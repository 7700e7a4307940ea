"""Model settings shared by every adapter (:class:`ModelSettings`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ModelSettings", "NativeCompaction", "ReasoningEffort"]

ReasoningEffort = Literal["minimal", "low", "medium", "high"]


class NativeCompaction(BaseModel):
    """Provider-side context management, for the providers that offer it (opt-in).

    OpenAI Responses: server-side compaction (``context_management`` with ``compact_threshold``).
    Anthropic (through litellm): context editing, ``clear_tool_uses_20250919`` and, when thinking is
    on, ``clear_thinking_20251015``. Other providers ignore it. ``None`` means the provider's default.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    threshold: int | None = Field(default=None, ge=1)
    """Input tokens at which the provider compacts (OpenAI) or starts clearing tool uses (Anthropic)."""
    keep_tool_uses: int | None = Field(default=None, ge=0)
    """Anthropic: the newest tool uses kept whole."""
    clear_at_least: int | None = Field(default=None, ge=0)
    """Anthropic: input tokens each clearing must free at least (so breaking the prompt cache pays)."""
    exclude_tools: tuple[str, ...] = ()
    """Anthropic: tools whose uses are never cleared."""
    clear_tool_inputs: bool | None = None
    """Anthropic: also clear the calls' arguments, not only their results."""
    clear_thinking: bool = True
    """Anthropic, with thinking on: clear the thinking of earlier turns as well."""
    keep_thinking_turns: Annotated[int, Field(ge=1)] | Literal["all"] | None = None
    """Anthropic: the newest assistant turns whose thinking is kept (``"all"``: keep every one)."""


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
    thinking_budget: Annotated[int, Field(ge=0)] | Literal["adaptive"] | None = None
    """Thinking tokens allowed (Anthropic: manual thinking, ``budget_tokens``; Gemini: its budget).
    ``"adaptive"``: Claude decides when and how much to think (Anthropic adaptive thinking, Claude Opus 4.6,
    Sonnet 4.6 and later; ``reasoning_effort`` then steers it through ``output_config.effort``)."""
    interleaved_thinking: bool | None = None
    """Anthropic, manual thinking on Claude 4 models: think between tool calls too (beta header
    ``interleaved-thinking-2025-05-14``); ``thinking_budget`` then covers the whole tool loop and may exceed
    ``max_tokens``. Adaptive thinking interleaves by itself."""
    parallel_tool_calls: bool | None = None
    seed: int | None = None
    stop: list[str] | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    extra_body: dict[str, Any] | None = None
    """Provider-specific fields merged into the request body as given."""
    native_compaction: bool | NativeCompaction | None = None
    """Let the provider compact or clear the context itself where it can (``True``: its defaults)."""
    strict: bool = False
    """Refuse settings the model does not accept (a ``UserError`` before any request) instead of dropping
    them with a :class:`~agentkit.events.SettingDropped` event (see :mod:`agentkit.models.profiles`)."""

    def merge(self, other: ModelSettings | None) -> ModelSettings:
        """These settings overridden by the fields ``other`` sets explicitly."""
        if other is None:
            return self
        return self.model_copy(update={name: getattr(other, name) for name in other.model_fields_set})
