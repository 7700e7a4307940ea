"""Claude's thinking rules, applied to the ``litellm.acompletion`` keyword arguments for a Claude model.

- **One thinking configuration per assistant turn.** A turn starts with a user message (tool results do
  not start one) and runs through the tool loop that follows. Manual thinking is decided from the turn's
  first assistant message: on for every request of the turn when that message has thinking blocks, even
  when Claude does not think after a tool result (Claude 4 models without interleaved thinking); off
  when it has none (the turn began on another provider, or without thinking). A request that goes
  without thinking leaves out the thinking blocks of the turn in progress, which Anthropic refuses then
  ("When thinking is disabled, an `assistant` message in the final position cannot contain `thinking`").
  Adaptive thinking stays on: Claude may skip thinking in any message of it.
- **Adaptive thinking** (``thinking_budget="adaptive"``, or ``reasoning_effort`` alone on a model that has
  it: Claude Opus 4.6, Sonnet 4.6 and later) is ``thinking: {"type": "adaptive", "display": "summarized"}``.
  Older Claude models have only manual thinking: ``"adaptive"`` is refused for them.
- **Effort.** ``reasoning_effort`` also becomes ``output_config.effort`` (``minimal`` is sent as ``low``) on
  the models that take it: Claude Opus 4.5, and every Claude model from 4.6 on.
- **Interleaved thinking** (``interleaved_thinking=True``, manual thinking): the beta header
  ``interleaved-thinking-2025-05-14``; ``thinking_budget`` may then exceed ``max_tokens``.
- **Manual thinking refuses forced tool use** ("Thinking may not be enabled when tool_choice forces tool
  use."): a forced ``tool_choice`` (a required tool call, the output tool) is sent as ``"auto"``.
  Adaptive thinking keeps it forced.
- **Budget below max_tokens.** Without interleaved thinking, a ``thinking_budget`` not below ``max_tokens``
  is a ``UserError`` before any request.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from agentkit.exceptions import UserError
from agentkit.settings import ModelSettings

__all__ = ["INTERLEAVED_BETA", "claude_thinking_fields", "is_claude", "no_adaptive_thinking"]

JSON = dict[str, Any]
Mode = Literal["off", "manual", "adaptive"]

INTERLEAVED_BETA = "interleaved-thinking-2025-05-14"
ADAPTIVE_THINKING: JSON = {"type": "adaptive", "display": "summarized"}
"""``display: summarized``: without it the newest models send empty thinking blocks (litellm sends the same)."""
EFFORTS = {"minimal": "low", "low": "low", "medium": "medium", "high": "high"}
_VERSION = re.compile(r"claude-([a-z]+)-(\d+)(?:[-.](\d))?(?!\d)")


def is_claude(model_name: str) -> bool:
    """True for an Anthropic Claude model name (``anthropic/claude-...``, Bedrock / Vertex ids too)."""
    return "claude" in model_name.lower()


def claude_thinking_fields(chat: list[JSON], settings: ModelSettings, model_name: str, tool_choice: object) -> JSON:
    """The thinking-related keyword arguments of one request to a Claude model.

    ``chat``: the request's Chat Completions messages (a ``messages`` entry is returned when the turn's
    thinking blocks must be left out); ``tool_choice``: the one built for the request, if any.
    """
    mode = _requested_mode(settings, model_name)
    _check_budget(settings, mode)
    if mode == "manual" and not _turn_began_thinking(chat):
        mode = "off"
    fields = _without_turn_thinking(chat) if mode == "off" else _thinking(settings, mode)
    fields.update(_effort(settings, model_name))
    if mode == "manual":
        fields.update(_manual_extras(settings, tool_choice))
    return fields


def no_adaptive_thinking(settings: ModelSettings, model_name: str) -> None:
    """Refuse ``thinking_budget="adaptive"`` for a model that is not Claude."""
    if settings.thinking_budget == "adaptive":
        raise UserError(
            f"ModelSettings(thinking_budget='adaptive') is Anthropic's adaptive thinking, for Claude models; "
            f"{model_name!r} takes a number of thinking tokens (thinking_budget=N) or reasoning_effort=...."
        )


# --- what is asked for ---------------------------------------------------------------------------


def _requested_mode(settings: ModelSettings, model_name: str) -> Mode:
    budget = settings.thinking_budget
    if budget == "adaptive":
        _check_adaptive(model_name)
        return "adaptive"
    if budget is not None:
        return "manual"
    if settings.reasoning_effort is not None:
        return "adaptive" if _version_at_least(model_name, (4, 6)) else "manual"
    return "off"


def _thinking(settings: ModelSettings, mode: Mode) -> JSON:
    if mode == "adaptive":
        return {"thinking": dict(ADAPTIVE_THINKING)}
    if isinstance(settings.thinking_budget, int):
        return {"thinking": {"type": "enabled", "budget_tokens": settings.thinking_budget}}
    return {"reasoning_effort": settings.reasoning_effort}  # litellm's budget for the level


def _effort(settings: ModelSettings, model_name: str) -> JSON:
    effort = settings.reasoning_effort
    if effort is None or not _takes_effort(model_name):
        return {}
    return {"output_config": {"effort": EFFORTS[effort]}}


def _manual_extras(settings: ModelSettings, tool_choice: object) -> JSON:
    fields: JSON = {}
    if settings.interleaved_thinking:
        fields["extra_headers"] = {"anthropic-beta": INTERLEAVED_BETA}
    if tool_choice == "required" or isinstance(tool_choice, dict):
        fields["tool_choice"] = "auto"  # manual thinking refuses forced tool use
    return fields


# --- checks --------------------------------------------------------------------------------------


def _check_budget(settings: ModelSettings, mode: Mode) -> None:
    budget, max_tokens = settings.thinking_budget, settings.max_tokens
    if mode != "manual" or not isinstance(budget, int) or max_tokens is None or budget < max_tokens:
        return
    if settings.interleaved_thinking:
        return
    raise UserError(
        f"ModelSettings(thinking_budget={budget}) must be below max_tokens={max_tokens}: Anthropic counts "
        f"thinking against max_tokens and refuses such a request. Raise max_tokens above {budget}, lower "
        f"thinking_budget below {max_tokens}, or set interleaved_thinking=True (Claude 4 models; the budget "
        "then covers the whole tool loop and may exceed max_tokens)."
    )


def _check_adaptive(model_name: str) -> None:
    version = _version(model_name)
    if version is None or version[1:] >= (4, 6):
        return
    raise UserError(
        f"ModelSettings(thinking_budget='adaptive'): {model_name!r} has no adaptive thinking (Claude Opus 4.6, "
        "Sonnet 4.6 and later have it). Set thinking_budget=N (a number of tokens) or reasoning_effort=... "
        "for this model."
    )


# --- the turn in progress ------------------------------------------------------------------------


def _turn(chat: list[JSON]) -> list[int]:
    """Indexes of the assistant messages after the last user message (tool results are not users)."""
    start = max((i + 1 for i, message in enumerate(chat) if message.get("role") == "user"), default=0)
    return [i for i in range(start, len(chat)) if chat[i].get("role") == "assistant"]


def _turn_began_thinking(chat: list[JSON]) -> bool:
    turn = _turn(chat)
    return not turn or bool(chat[turn[0]].get("thinking_blocks"))


def _without_turn_thinking(chat: list[JSON]) -> JSON:
    turn = [i for i in _turn(chat) if chat[i].get("thinking_blocks")]
    if not turn:
        return {}
    messages = [
        {k: v for k, v in message.items() if k != "thinking_blocks"} if i in turn else message
        for i, message in enumerate(chat)
    ]
    return {"messages": messages}


# --- model versions ------------------------------------------------------------------------------


def _version(model_name: str) -> tuple[str, int, int] | None:
    """``(family, major, minor)`` of a Claude model named the 4.x way (``claude-opus-4-5-20251101``)."""
    match = _VERSION.search(model_name.lower())
    if match is None:
        return None
    return match.group(1), int(match.group(2)), int(match.group(3) or 0)


def _version_at_least(model_name: str, least: tuple[int, int]) -> bool:
    version = _version(model_name)
    return version is not None and version[1:] >= least


def _takes_effort(model_name: str) -> bool:
    """``output_config.effort``: Claude Opus 4.5, and every Claude model from 4.6 on."""
    version = _version(model_name)
    if version is None:
        return False
    family, *number = version
    return tuple(number) >= (4, 6) or (family == "opus" and tuple(number) >= (4, 5))
