"""Request parameters each model rejects, as OpenAI and Anthropic answer them (HTTP 400).

The emulator's own knowledge, kept apart from agentkit's profile table so that a wrong profile fails a
test. Sources of the texts (all 400, type ``invalid_request_error``):

- ``Unsupported parameter: 'temperature' is not supported with this model.``, param ``temperature``, code
  ``unsupported_parameter`` (o3-mini: ChatGPTNextWeb/NextChat#6120, tarasglek/chatcraft.org#852); ``top_p``
  alike (AsyncFuncAI/deepwiki-open#276: o4-mini takes no top_p).
- ``Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens'
  instead.``, param ``max_tokens`` (griptape-ai/ComfyUI-Griptape#312, microsoft/vscode-copilot-release#8065).
- ``Unsupported value: 'reasoning_effort' does not support 'high' with this model. Supported values are:
  'medium'.``, param ``reasoning_effort``, code ``unsupported_value`` (egoist/chatwise-releases#1257; the
  list form "'none', 'low', 'medium', and 'high'" from livekit/agents#3966). The Responses API names the
  parameter ``reasoning.effort`` (the same wording with that name; not seen verbatim).
- ``Unsupported parameter: 'reasoning.effort' is not supported with this model.``, param
  ``reasoning.effort`` (gpt-4.1: BoundaryML/baml#2708; gpt-5-chat-latest: Laisky/one-api#120). Chat
  Completions: the same with ``reasoning_effort`` (by analogy; not seen verbatim).
- Anthropic: ``temperature`` may only be set to 1 when thinking is enabled. Please consult ... (MartialBE/
  one-hub#529); top_p below 0.95 with thinking on: the documented rule ("top_p between 0.95 and 1"), worded
  like Anthropic's ``top_k`` error (quarkiverse/quarkus-langchain4j#1812; not seen verbatim).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from . import errors
from .errors import ProviderError

JSON = dict[str, Any]
Wire = Literal["chat", "responses"]

UNSUPPORTED_PARAMETER = "Unsupported parameter: '{param}' is not supported with this model."
USE_MAX_COMPLETION_TOKENS = (
    "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead."
)
UNSUPPORTED_EFFORT = (
    "Unsupported value: '{param}' does not support '{value}' with this model. Supported values are: {values}."
)
_EXTENDED_THINKING_DOCS = (
    "Please consult our documentation at "
    "https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking"
    "#important-considerations-when-using-extended-thinking"
)
ANTHROPIC_THINKING_TEMPERATURE = (
    f"`temperature` may only be set to 1 when thinking is enabled. {_EXTENDED_THINKING_DOCS}"
)
ANTHROPIC_THINKING_TOP_P = (
    f"`top_p` must be greater than or equal to 0.95 or unset when thinking is enabled. {_EXTENDED_THINKING_DOCS}"
)


@dataclass(frozen=True)
class ModelRule:
    """What one OpenAI model family rejects."""

    pattern: str
    efforts: tuple[str, ...] | None
    """Accepted effort values; ``None``: the model is no reasoning model and rejects the field."""

    def matches(self, model: str) -> bool:
        return re.fullmatch(self.pattern, model) is not None


_LOW_TO_HIGH = ("low", "medium", "high")
OPENAI_MODELS: tuple[ModelRule, ...] = (
    ModelRule(r"gpt-5(\.\d+)?-chat.*", None),  # checked first: the chat models do not reason
    ModelRule(r"o1-(mini|preview).*", ()),
    ModelRule(r"o[134](-.*)?", _LOW_TO_HIGH),
    ModelRule(r"gpt-5-pro.*", ("high",)),
    ModelRule(r"gpt-5(\.\d+)?-codex.*", _LOW_TO_HIGH),
    ModelRule(r"gpt-5\.1(-.*)?", ("none", *_LOW_TO_HIGH)),
    ModelRule(r"gpt-5\.\d+(-.*)?", ("none", *_LOW_TO_HIGH, "xhigh")),
    ModelRule(r"gpt-5(-.*)?", ("minimal", *_LOW_TO_HIGH)),
    ModelRule(r"(gpt-4\.1|gpt-4o|gpt-4|gpt-3\.5|chatgpt-4o).*", None),
)


def openai_rule(model: object) -> ModelRule | None:
    """The first rule for ``model``, or ``None`` for a model the emulator knows nothing about."""
    name = str(model)
    return next((rule for rule in OPENAI_MODELS if rule.matches(name)), None)


def check_openai(body: JSON, wire: Wire) -> ProviderError | None:
    """OpenAI's 400 for a parameter ``body``'s model rejects (Chat Completions or Responses)."""
    rule = openai_rule(body.get("model"))
    if rule is None:
        return None
    effort_param = "reasoning_effort" if wire == "chat" else "reasoning.effort"
    effort = body.get("reasoning_effort") if wire == "chat" else _dict(body.get("reasoning")).get("effort")
    if rule.efforts is None:
        return _unsupported(effort_param) if effort is not None else None
    for param in ("temperature", "top_p"):
        if body.get(param) is not None:
            return _unsupported(param)
    if wire == "chat" and body.get("max_tokens") is not None:
        return errors.openai_error(400, USE_MAX_COMPLETION_TOKENS, param="max_tokens", code="unsupported_parameter")
    if effort is not None and not rule.efforts:
        return _unsupported(effort_param)
    if effort is not None and effort not in rule.efforts:
        return _unsupported_effort(effort_param, str(effort), rule.efforts)
    return None


def check_anthropic(body: JSON) -> ProviderError | None:
    """Anthropic's 400 for sampling settings that extended thinking does not allow."""
    thinking = _dict(body.get("thinking")).get("type") in ("enabled", "adaptive")
    if not thinking:
        return None
    temperature, top_p = body.get("temperature"), body.get("top_p")
    if temperature is not None and temperature != 1:
        return errors.anthropic_error(400, ANTHROPIC_THINKING_TEMPERATURE)
    if top_p is not None and not 0.95 <= top_p <= 1:
        return errors.anthropic_error(400, ANTHROPIC_THINKING_TOP_P)
    return None


def _unsupported(param: str) -> ProviderError:
    message = UNSUPPORTED_PARAMETER.format(param=param)
    return errors.openai_error(400, message, param=param, code="unsupported_parameter")


def _unsupported_effort(param: str, value: str, supported: tuple[str, ...]) -> ProviderError:
    message = UNSUPPORTED_EFFORT.format(param=param, value=value, values=_listed(supported))
    return errors.openai_error(400, message, param=param, code="unsupported_value")


def _listed(values: tuple[str, ...]) -> str:
    """``'a'``, ``'a' and 'b'``, ``'a', 'b', and 'c'`` (OpenAI's wording)."""
    quoted = [f"'{value}'" for value in values]
    if len(quoted) <= 2:
        return " and ".join(quoted)
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


def _dict(value: object) -> JSON:
    return value if isinstance(value, dict) else {}
