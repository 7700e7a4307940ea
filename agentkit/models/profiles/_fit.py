"""Settings against a profile: what is sent, what is dropped and why, or the strict-mode error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agentkit.exceptions import UserError
from agentkit.models.profiles._profile import EFFORT_SCALE, ModelProfile
from agentkit.settings import ModelSettings

__all__ = ["DroppedSetting", "FittedSettings", "fit_settings", "nearest_effort"]


@dataclass(frozen=True)
class DroppedSetting:
    """A setting the model does not accept as given: not sent, or sent as ``replacement``."""

    setting: str
    value: Any
    reason: str
    replacement: Any = None
    """The value sent instead (an effort level mapped to the nearest one the model takes), or ``None``."""


@dataclass(frozen=True)
class FittedSettings:
    """The settings to send, and what was dropped or changed on the way."""

    settings: ModelSettings
    dropped: tuple[DroppedSetting, ...] = ()


def fit_settings(profile: ModelProfile, model_name: str, settings: ModelSettings) -> FittedSettings:
    """``settings`` without what ``profile`` does not accept; effort levels mapped to the nearest one.

    With ``ModelSettings(strict=True)`` anything that would be dropped or changed raises
    :class:`~agentkit.exceptions.UserError` instead, naming the setting, the model and the fix.
    """
    thinking = profile.thinks and (settings.reasoning_effort is not None or settings.thinking_budget is not None)
    dropped = [
        drop
        for drop in (
            _sampling("temperature", settings.temperature, profile, thinking),
            _sampling("top_p", settings.top_p, profile, thinking),
            _effort(settings.reasoning_effort, profile),
            _parallel(settings.parallel_tool_calls, profile),
        )
        if drop is not None
    ]
    if not dropped:
        return FittedSettings(settings)
    if settings.strict:
        raise UserError(strict_message(model_name, dropped))
    update = {drop.setting: drop.replacement for drop in dropped}
    return FittedSettings(settings.model_copy(update=update), tuple(dropped))


def strict_message(model_name: str, dropped: list[DroppedSetting]) -> str:
    """The strict-mode error: every refused setting with its reason, then the fixes."""
    problems = " ".join(f"ModelSettings({d.setting}={d.value!r}) is refused: {d.reason}." for d in dropped)
    fixes = "; ".join(_fix(d) for d in dropped)
    return (
        f"Model {model_name!r} does not accept these settings. {problems} Fix: {fixes}; or leave "
        "ModelSettings(strict=False) to have them dropped with a SettingDropped event."
    )


def _fix(drop: DroppedSetting) -> str:
    if drop.replacement is not None:
        return f"set {drop.setting}={drop.replacement!r}"
    return f"remove {drop.setting}"


def _sampling(name: str, value: float | None, profile: ModelProfile, thinking: bool) -> DroppedSetting | None:
    if value is None:
        return None
    if name not in profile.sampling:
        return DroppedSetting(name, value, f"{profile.family} models take no {name}")
    if not thinking:
        return None
    if name == "temperature" and profile.thinking_temperature not in (None, value):
        only = profile.thinking_temperature
        return DroppedSetting(name, value, f"with thinking on, {profile.family} models take only temperature={only}")
    if name == "top_p" and profile.thinking_top_p is not None:
        low, high = profile.thinking_top_p
        if not low <= value <= high:
            reason = f"with thinking on, {profile.family} models take top_p only from {low} to {high}"
            return DroppedSetting(name, value, reason)
    return None


def _effort(value: str | None, profile: ModelProfile) -> DroppedSetting | None:
    if value is None:
        return None
    if profile.reasoning is False:
        return DroppedSetting("reasoning_effort", value, f"{profile.family} models do not reason")
    if profile.efforts is None or value in profile.efforts:
        return None
    if not profile.efforts:
        return DroppedSetting("reasoning_effort", value, f"{profile.family} models take no reasoning_effort")
    mapped = nearest_effort(value, profile.efforts)
    reason = f"{profile.family} models take reasoning_effort {_either(profile.efforts)} (sent the nearest)"
    return DroppedSetting("reasoning_effort", value, reason, replacement=mapped)


def _either(values: tuple[str, ...]) -> str:
    quoted = [repr(value) for value in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]


def nearest_effort(value: str, supported: tuple[str, ...]) -> str:
    """The supported level nearest to ``value`` on :data:`EFFORT_SCALE` (a tie goes to the higher one)."""
    rank = EFFORT_SCALE.index(value)
    return min(supported, key=lambda level: (abs(EFFORT_SCALE.index(level) - rank), -EFFORT_SCALE.index(level)))


def _parallel(value: bool | None, profile: ModelProfile) -> DroppedSetting | None:
    if value is None or profile.parallel_tool_calls:
        return None
    return DroppedSetting("parallel_tool_calls", value, f"{profile.family} models take no parallel_tool_calls")
