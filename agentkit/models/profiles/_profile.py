"""What one model family accepts and how (:class:`ModelProfile`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from agentkit.pricing import ModelPrice

__all__ = ["EFFORT_SCALE", "SAMPLING", "ModelProfile", "PromptCaching", "StructuredOutput", "ThinkingStyle"]

ThinkingStyle = Literal["effort", "budget", "adaptive", "think_tags", "none"]
"""How reasoning is asked for: an effort level, a token budget, adaptive thinking (the model decides, an
effort guides it), ``<think>`` tags in the text (the chat template decides), or not at all."""
StructuredOutput = Literal["json_schema", "json_object", "tool", "none"]
PromptCaching = Literal["automatic", "explicit", "none"]

SAMPLING = ("temperature", "top_p")
"""The sampling settings a profile may refuse."""
EFFORT_SCALE = ("none", "minimal", "low", "medium", "high", "xhigh", "max")
"""Effort levels from least to most reasoning; an unsupported one maps to its nearest supported neighbour."""


@dataclass(frozen=True)
class ModelProfile:
    """What a model family accepts and how; adapters drop (or, with ``ModelSettings(strict=True)``, refuse)
    the settings it does not accept.

    ``None`` in a field means "not known": nothing is dropped for it. Override a profile for one model
    by passing ``profile=`` to its adapter, e.g.
    ``OpenAIChatModel("my-o4", profile=dataclasses.replace(profile_for("openai", "o4-mini"), family="mine"))``.
    """

    family: str
    """The family's name as the docs and errors show it, e.g. ``"OpenAI o-series"``."""
    reasoning: bool | None = None
    """Whether the model reasons (``False``: ``reasoning_effort`` is dropped)."""
    efforts: tuple[str, ...] | None = None
    """The ``reasoning_effort`` values it accepts (``()``: none; ``None``: any, passed as given)."""
    thinking: ThinkingStyle = "none"
    sampling: tuple[str, ...] = SAMPLING
    """The sampling settings it accepts (of :data:`SAMPLING`)."""
    thinking_temperature: float | None = None
    """With thinking on, the only ``temperature`` it accepts (Anthropic: 1)."""
    thinking_top_p: tuple[float, float] | None = None
    """With thinking on, the range of ``top_p`` it accepts (Anthropic: 0.95 to 1)."""
    max_tokens_param: str | None = None
    """The Chat Completions name of the output limit the model requires (``None``: the adapter's default)."""
    context_window: int | None = None
    """Input tokens (litellm's ``max_input_tokens`` where it knows the model)."""
    max_output_tokens: int | None = None
    native_tools: tuple[str, ...] = ()
    """Tools the provider runs itself (web search, code execution ...)."""
    parallel_tool_calls: bool = True
    """Whether it takes the ``parallel_tool_calls`` setting."""
    structured_output: StructuredOutput | None = None
    prompt_caching: PromptCaching | None = None
    price: ModelPrice | None = None
    """The model's price per million tokens, from the price table (``None``: not in it)."""
    models: tuple[str, ...] = field(default=(), compare=False)
    """Name prefixes of the family's models (how the table matches a model name)."""
    source: str = field(default="agentkit", compare=False)
    """Where the profile comes from: ``"agentkit"`` (its table), ``"litellm"`` (litellm's), ``"default"``."""

    @property
    def thinks(self) -> bool:
        """Whether the model may think at all (reasoning not known to be off)."""
        return self.reasoning is not False
