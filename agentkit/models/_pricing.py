"""Request cost: the price table agentkit ships, user prices, and the cost-limit check at run start.

``prices.json`` (next to this module) holds litellm's prices for the models agentkit supports, so
costs don't need litellm; ``scripts/refresh_prices.py`` regenerates it from an installed litellm. A
model missing from it is looked up in litellm's bundled table when litellm is installed (read as a
file: importing litellm takes seconds). The litellm adapter passes ``litellm.model_cost`` instead,
which also holds prices registered with ``litellm.register_model``.

Local models (``Agent("local")``) cost nothing; the test models of :mod:`agentkit.testing` cost what
their scripted usage says. Both count as priced.
"""

from __future__ import annotations

import functools
import importlib.resources
import importlib.util
import json
import re
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from agentkit.exceptions import UserError
from agentkit.messages import ModelResponse
from agentkit.models._kinds import inner_model, is_test_model
from agentkit.models.base import Model
from agentkit.pricing import ModelPrice, UnpricedModelWarning
from agentkit.usage import Budget, Usage

__all__ = [
    "check_cost_limit",
    "cost_usd",
    "known_price",
    "litellm_table",
    "price_entry",
    "price_table",
    "priced",
    "table_price",
]

_LITELLM_TABLE_FILE = "model_prices_and_context_window_backup.json"
_DATE_SUFFIX = re.compile(r"-\d{4}-\d{2}-\d{2}$|-\d{8}$")
_PROVIDER_PREFIXES = {"together": "together_ai", "fireworks": "fireworks_ai"}
"""agentkit's provider names whose litellm table prefix differs."""
_FREE = ModelPrice(input_per_mtok=0.0, output_per_mtok=0.0)
_LOCAL_PROVIDER = "local"
_WARNED: set[str] = set()
"""Models already warned about (``unpriced="warn"`` warns once per model and process)."""


@functools.cache
def price_table() -> Mapping[str, Any]:
    """The price table shipped with agentkit (``agentkit/models/prices.json``)."""
    text = importlib.resources.files("agentkit.models").joinpath("prices.json").read_text(encoding="utf-8")
    models: dict[str, Any] = json.loads(text)["models"]
    return models


@functools.cache
def litellm_table() -> Mapping[str, Any]:
    """litellm's bundled price table, read as a file (empty when litellm is not installed)."""
    try:
        spec = importlib.util.find_spec("litellm")
    except (ImportError, ValueError):  # ValueError: sys.modules["litellm"] is None (import blocked)
        return {}
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / _LITELLM_TABLE_FILE
    try:
        loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return loaded


def price_entry(model: str, provider: str | None = None, table: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The table entry for ``model``, or an empty dict.

    The name is tried as ``provider/model``, as given, without a provider prefix and without a date
    suffix; in ``table`` when given, else in the shipped table, then in litellm's.
    """
    tables = [table] if table is not None else [price_table(), litellm_table()]
    bare = model.split("/", 1)[1] if "/" in model else model
    prefix = _PROVIDER_PREFIXES.get(provider or "", provider)
    candidates = [f"{prefix}/{model}" if prefix else model, model, bare, _DATE_SUFFIX.sub("", bare)]
    for prices in tables:
        for key in candidates:
            entry = prices.get(key)
            if isinstance(entry, dict) and "input_cost_per_token" in entry:
                return entry
    return {}


def _entry_price(entry: Mapping[str, Any]) -> ModelPrice:
    def per_mtok(field: str) -> float | None:
        value = entry.get(field)
        return None if value is None else float(value) * 1_000_000

    return ModelPrice(
        input_per_mtok=per_mtok("input_cost_per_token") or 0.0,
        output_per_mtok=per_mtok("output_cost_per_token") or 0.0,
        cached_input_per_mtok=per_mtok("cache_read_input_token_cost"),
        reasoning_per_mtok=per_mtok("output_cost_per_reasoning_token"),
    )


def table_price(model: str, provider: str | None = None, table: Mapping[str, Any] | None = None) -> ModelPrice | None:
    """The table's price for ``model`` (free for the local provider), or ``None`` when it has none."""
    if provider == _LOCAL_PROVIDER:
        return _FREE
    entry = price_entry(model, provider, table)
    return _entry_price(entry) if entry else None


def cost_usd(model: str, usage: Usage, provider: str | None = None, table: Mapping[str, Any] | None = None) -> float:
    """What ``usage`` costs on ``model``; cached input at the cache-read price, reasoning as output.
    0.0 for a model without a price (:func:`check_cost_limit` stops that from passing silently)."""
    price = table_price(model, provider, table)
    return 0.0 if price is None else price.cost(usage)


def priced(response: ModelResponse, price: ModelPrice | None) -> ModelResponse:
    """``response`` with its cost computed at ``price`` (a user's price wins over the table's)."""
    if price is None:
        return response
    usage = response.usage.model_copy(update={"cost_usd": price.cost(response.usage)})
    return response.model_copy(update={"usage": usage})


def known_price(model: Model) -> ModelPrice | None:
    """``model``'s price from the table (free for local and test models), or ``None``."""
    if (inner := inner_model(model)) is not model:
        return known_price(inner)
    if _is_free(model):
        return _FREE
    litellm = sys.modules.get("litellm") if type(model).__module__ == "agentkit.models.litellm" else None
    table = getattr(litellm, "model_cost", None)
    return table_price(model.model_name, model.provider, table if isinstance(table, Mapping) else None)


def _is_free(model: Model) -> bool:
    """Local models cost nothing; test models cost what their scripted usage says."""
    return is_test_model(model) or model.provider == _LOCAL_PROVIDER


def check_cost_limit(model: Model, budget: Budget | None, price: ModelPrice | None) -> None:
    """At run start: a cost limit on a model without a price raises :class:`UserError`, or, with
    ``Budget(unpriced="warn")``, warns once per model. Fallback models are checked too."""
    if budget is None or budget.max_cost_usd is None or price is not None:
        return
    for candidate in [model, *_fallbacks(inner_model(model))]:
        if known_price(candidate) is None:
            _unpriced(candidate, budget)


def _fallbacks(model: Model) -> list[Model]:
    fallbacks = getattr(model, "fallback_models", None)
    return [m for m in fallbacks if isinstance(m, Model)] if isinstance(fallbacks, list) else []


def _unpriced(model: Model, budget: Budget) -> None:
    name = f"{model.provider}:{model.model_name}"
    limit = f"Budget(max_cost_usd={budget.max_cost_usd!r})"
    fix = "Agent(..., price=ModelPrice(input_per_mtok=..., output_per_mtok=...))"
    if budget.unpriced == "raise":
        raise UserError(
            f"{limit} can't be enforced: agentkit has no price for model {name!r}, so its requests would count "
            f"as $0. Give its price with {fix}, or let runs go on without a cost limit for this model: "
            f'Budget(max_cost_usd={budget.max_cost_usd!r}, unpriced="warn").'
        )
    if name not in _WARNED:
        _WARNED.add(name)
        warnings.warn(
            f"{limit} is not enforced for model {name!r}: agentkit has no price for it, so its requests count "
            f"as $0. Give its price with {fix} to enforce the limit.",
            UnpricedModelWarning,
            stacklevel=2,
        )
