"""A model's context window: what the model itself says, litellm's model table, or agentkit's own.

The shipped table (``agentkit/models/prices.json``, regenerated from litellm's by
``scripts/refresh_prices.py``) has litellm's ``max_input_tokens`` for the models agentkit supports;
litellm's bundled table is read as a file when it is installed (see :mod:`agentkit.models._pricing`).
For other models a short table of model families below gives a conservative window; test models have
none. A policy's ``window`` or a provider's overflow error overrides all of these (in the loop).
"""

from __future__ import annotations

import re

from agentkit.models._kinds import inner_model, is_test_model
from agentkit.models._pricing import price_entry
from agentkit.models.base import Model

__all__ = ["context_window", "family_window"]

_FAMILIES: tuple[tuple[re.Pattern[str], int], ...] = tuple(
    (re.compile(pattern), window)
    for pattern, window in (
        (r"gpt-5", 272_000),
        (r"gpt-4\.1", 1_047_576),
        (r"gpt-4o|gpt-4-turbo", 128_000),
        (r"(^|/)o[134](-|$)", 200_000),
        (r"claude", 200_000),
        (r"deepseek", 128_000),
        (r"gemini", 1_048_576),
        (r"llama-?3\.[123]|llama-?4", 131_072),
        (r"qwen3|qwen-?2\.5|qwq", 32_768),
        (r"mistral|mixtral|codestral", 32_768),
        (r"kimi|moonshot", 131_072),
        (r"grok", 131_072),
        (r"smollm2", 8_192),
    )
)
"""Model-name families and a window every current member has at least (lower-case search)."""


def context_window(model: Model) -> int | None:
    """``model``'s context window in input tokens, or ``None`` when agentkit does not know it.

    A model object's own ``context_window`` attribute (an ``int``) wins; then the shipped table,
    litellm's table, and agentkit's table of model families. Test models have no window.
    """
    inner = inner_model(model)
    own = getattr(inner, "context_window", None)
    if isinstance(own, int) and not isinstance(own, bool) and own > 0:
        return own
    if is_test_model(inner):
        return None
    tokens = price_entry(inner.model_name, inner.provider).get("max_input_tokens")
    if isinstance(tokens, int) and tokens > 0:
        return tokens
    return family_window(inner.model_name)


def family_window(model_name: str) -> int | None:
    """The window of ``model_name``'s family in agentkit's own table, or ``None``."""
    name = model_name.lower()
    return next((window for pattern, window in _FAMILIES if pattern.search(name)), None)
