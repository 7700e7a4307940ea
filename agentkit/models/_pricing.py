"""Request cost from litellm's model price table, without importing litellm.

litellm ships its price table as ``model_prices_and_context_window_backup.json``; importing litellm
takes seconds, so the OpenAI adapters read that file directly (about 25 ms, once). The litellm adapter
passes ``litellm.model_cost`` instead, which also holds prices registered with ``litellm.register_model``.
When litellm is not installed, or the model is not in the table, the cost is 0.0.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentkit.usage import Usage

__all__ = ["cost_usd", "price_entry", "price_table"]

_TABLE_FILE = "model_prices_and_context_window_backup.json"
_DATE_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$|-\d{8}$")


@functools.cache
def price_table() -> Mapping[str, Any]:
    """litellm's bundled price table (empty when litellm is not installed)."""
    spec = importlib.util.find_spec("litellm")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / _TABLE_FILE
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded


def price_entry(model: str, provider: str | None = None, table: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The table entry for ``model`` (tried as ``provider/model``, as given, without a provider prefix
    and without a date suffix), or an empty dict."""
    prices = price_table() if table is None else table
    bare = model.split("/", 1)[1] if "/" in model else model
    candidates = [f"{provider}/{model}" if provider else model, model, bare, _DATE_SUFFIX.sub("", bare)]
    for key in candidates:
        entry = prices.get(key)
        if isinstance(entry, dict) and "input_cost_per_token" in entry:
            return entry
    return {}


def cost_usd(model: str, usage: Usage, provider: str | None = None, table: Mapping[str, Any] | None = None) -> float:
    """What ``usage`` costs on ``model``; cached input at the cache-read price, reasoning as output."""
    entry = price_entry(model, provider, table)
    if not entry:
        return 0.0
    input_price = float(entry.get("input_cost_per_token") or 0.0)
    cached_price = float(entry.get("cache_read_input_token_cost") or input_price)
    output_price = float(entry.get("output_cost_per_token") or 0.0)
    reasoning_price = float(entry.get("output_cost_per_reasoning_token") or output_price)
    cached = min(usage.cached_tokens, usage.input_tokens)
    reasoning = min(usage.reasoning_tokens, usage.output_tokens)
    return (
        (usage.input_tokens - cached) * input_price
        + cached * cached_price
        + (usage.output_tokens - reasoning) * output_price
        + reasoning * reasoning_price
    )
