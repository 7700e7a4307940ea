"""A model's profile: agentkit's family table for the rules, the price table for the numbers.

The shipped price table (``agentkit/models/prices.json``, litellm's numbers) gives the context window
and the price where it has the model. A model of no known family is described from litellm's model
table (read as a file, never imported) when litellm knows it, else by a profile that drops nothing.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

from agentkit.models._pricing import price_entry, price_table, table_price
from agentkit.models.profiles._profile import ModelProfile
from agentkit.models.profiles._table import match_family

__all__ = ["profile_for"]


@functools.cache
def profile_for(provider: str | None, model_name: str) -> ModelProfile:
    """What ``model_name`` (served by ``provider``) accepts: its family's rules, with the price table's
    context window, output limit and price where it has the model."""
    family = match_family(model_name)
    if family is not None:
        return _with_numbers(family, model_name, provider, price_table())
    entry = price_entry(model_name, provider)  # the shipped table, then litellm's (read as a file)
    if not entry:
        return dataclasses.replace(_DEFAULT, price=table_price(model_name, provider))
    return _from_litellm(entry, model_name, provider)


_DEFAULT = ModelProfile("unknown model", source="default")


def _with_numbers(
    family: ModelProfile, model_name: str, provider: str | None, table: Mapping[str, Any]
) -> ModelProfile:
    entry = price_entry(model_name, provider, table)
    return dataclasses.replace(
        family,
        context_window=_positive(entry.get("max_input_tokens")) or family.context_window,
        max_output_tokens=_positive(entry.get("max_output_tokens")) or family.max_output_tokens,
        price=table_price(model_name, provider, table),
    )


def _from_litellm(entry: Mapping[str, Any], model_name: str, provider: str | None) -> ModelProfile:
    reasoning = entry.get("supports_reasoning")
    return ModelProfile(
        f"{model_name} (litellm's model table)",
        reasoning=reasoning if isinstance(reasoning, bool) else None,
        efforts=() if reasoning is False else None,
        context_window=_positive(entry.get("max_input_tokens")),
        max_output_tokens=_positive(entry.get("max_output_tokens")),
        parallel_tool_calls=entry.get("supports_parallel_function_calling") is not False,
        structured_output="json_schema" if entry.get("supports_response_schema") else None,
        prompt_caching="automatic" if entry.get("supports_prompt_caching") else None,
        price=table_price(model_name, provider),
        source="litellm",
    )


def _positive(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None
