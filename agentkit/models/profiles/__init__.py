"""Model profiles: one place that knows, per model family, what a model accepts and how.

Reasoning (effort levels, thinking style), the sampling settings it takes, the output-limit parameter,
context window and output limit, native tools, parallel calls, structured output, prompt caching and
price. Adapters consult a model's profile on every request: a setting the model does not take is dropped
(the run emits one :class:`~agentkit.events.SettingDropped` event per setting) or, with
``ModelSettings(strict=True)``, refused with a :class:`~agentkit.exceptions.UserError` before any request.
An effort level the model lacks is sent as the nearest one it has.

Override a model's profile with the adapter's ``profile=`` argument::

    import dataclasses
    from agentkit.models import OpenAIChatModel
    from agentkit.models.profiles import profile_for

    o4 = profile_for("openai", "o4-mini")
    model = OpenAIChatModel("my-o4-deployment", profile=dataclasses.replace(o4, family="my o4"))
"""

from __future__ import annotations

from agentkit.models.profiles._fit import DroppedSetting, FittedSettings, fit_settings, nearest_effort
from agentkit.models.profiles._lookup import profile_for
from agentkit.models.profiles._profile import EFFORT_SCALE, SAMPLING, ModelProfile, ThinkingStyle
from agentkit.models.profiles._table import FAMILIES, match_family

__all__ = [
    "EFFORT_SCALE",
    "FAMILIES",
    "SAMPLING",
    "DroppedSetting",
    "FittedSettings",
    "ModelProfile",
    "ThinkingStyle",
    "fit_settings",
    "match_family",
    "nearest_effort",
    "profile_for",
]
