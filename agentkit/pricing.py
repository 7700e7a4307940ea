"""What a model costs (:class:`ModelPrice`) and the warning for a cost limit that can't be enforced.

agentkit prices requests from a table it ships (``agentkit/models/prices.json``, refreshed from
litellm's price table by ``scripts/refresh_prices.py``), so costs don't need litellm installed. Give
:class:`ModelPrice` to ``Agent(..., price=...)`` for a model the table lacks, or to override it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from agentkit.usage import Usage

__all__ = ["ModelPrice", "UnpricedModelWarning"]

_MTOK = 1_000_000


class ModelPrice(BaseModel):
    """US dollars per million tokens.

    ``cached_input_per_mtok`` prices the part of the input served from a prompt cache (``None``: the
    input price); ``reasoning_per_mtok`` prices reasoning tokens (``None``: the output price).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)
    reasoning_per_mtok: float | None = Field(default=None, ge=0)

    def cost(self, usage: Usage) -> float:
        """What ``usage`` costs at this price, in US dollars."""
        cached = min(usage.cached_tokens, usage.input_tokens)
        reasoning = min(usage.reasoning_tokens, usage.output_tokens)
        cached_price = self.input_per_mtok if self.cached_input_per_mtok is None else self.cached_input_per_mtok
        reasoning_price = self.output_per_mtok if self.reasoning_per_mtok is None else self.reasoning_per_mtok
        return (
            (usage.input_tokens - cached) * self.input_per_mtok
            + cached * cached_price
            + (usage.output_tokens - reasoning) * self.output_per_mtok
            + reasoning * reasoning_price
        ) / _MTOK


class UnpricedModelWarning(UserWarning):
    """A run with ``Budget(max_cost_usd=..., unpriced="warn")`` uses a model agentkit has no price for."""
