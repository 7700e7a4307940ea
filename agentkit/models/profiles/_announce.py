"""The loop's one call per request: refuse (strict) or announce the settings the model's adapter drops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from agentkit.events import AgentEvent, SettingDropped
from agentkit.models._kinds import inner_model
from agentkit.models.base import Model
from agentkit.models.profiles._fit import fit_settings
from agentkit.models.profiles._profile import ModelProfile
from agentkit.settings import ModelSettings

__all__ = ["announce_dropped_settings", "model_profile"]

_SEEN_PREFIX = "setting_dropped:"


def model_profile(model: Model) -> ModelProfile | None:
    """The profile ``model``'s adapter applies, or ``None`` for models that apply none (test models,
    custom ones): nothing is announced for those."""
    profile = getattr(inner_model(model), "profile", None)
    return profile if isinstance(profile, ModelProfile) else None


async def announce_dropped_settings(
    model: Model,
    settings: ModelSettings,
    emit: Callable[[AgentEvent], Awaitable[None]],
    run_id: str,
    seen: set[str],
) -> None:
    """Emit a :class:`~agentkit.events.SettingDropped` for each setting ``model`` does not take, once per
    run and setting (``seen`` holds what was announced). With ``ModelSettings(strict=True)`` raise
    :class:`~agentkit.exceptions.UserError` instead, before any request."""
    profile = model_profile(model)
    if profile is None:
        return
    inner = inner_model(model)
    for drop in fit_settings(profile, inner.model_name, settings).dropped:
        key = _SEEN_PREFIX + drop.setting
        if key in seen:
            continue
        seen.add(key)
        await emit(
            SettingDropped(
                run_id=run_id,
                setting=drop.setting,
                value=drop.value,
                model=f"{inner.provider}:{inner.model_name}",
                reason=drop.reason,
                replacement=drop.replacement,
            )
        )
