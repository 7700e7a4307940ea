"""Model adapters, one module per wire protocol, imported lazily.

:func:`infer_model` turns a model string ``"<prefix>:<model>"`` into a :class:`Model`:

- ``"openai:<model>"``: OpenAI Responses API (:mod:`agentkit.models.openai_responses`)
- ``"openai-chat:<model>"``: Chat Completions, any OpenAI-compatible server (:mod:`~.openai_chat`)
- ``"anthropic:<model>"``, ``"gemini:<model>"``: ``LiteLLMModel("anthropic/<model>")`` /
  ``LiteLLMModel("gemini/<model>")`` (:mod:`~.litellm`; litellm reads ``ANTHROPIC_API_KEY`` /
  ``GEMINI_API_KEY``; needs the ``litellm`` extra)
- ``"deepseek:"``, ``"openrouter:<vendor/model>"``, ``"groq:"``, ``"moonshot:"``, ``"together:"``,
  ``"fireworks:"``, ``"xai:"``: ``OpenAIChatModel(<model>, provider=<prefix>)``, the provider's server
  and only its own key variable (``DEEPSEEK_API_KEY`` ...; see ``_openai_common.KNOWN_SERVERS``)
- ``"ollama:<model>"``, ``"vllm:<model>"``: ``OpenAIChatModel(<model>, provider=<prefix>)`` on
  ``http://localhost:11434/v1`` / ``http://localhost:8000/v1`` (moved by ``OLLAMA_BASE_URL`` /
  ``VLLM_BASE_URL``); no key needed (``OLLAMA_API_KEY`` / ``VLLM_API_KEY`` are sent when set)
- ``"litellm:<provider/model>"``: every other provider through litellm (:mod:`~.litellm`)
- ``"local"`` / ``"local:<path.gguf>"``: the embedded llama.cpp model (:mod:`~.local`; ``local`` extra)

The table with every server and variable is in ``docs/reference/models.md``.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentkit.exceptions import UserError
from agentkit.models.base import Model, ModelStreamEvent, RequestParams, ResponseDone

if TYPE_CHECKING:
    from agentkit.models._retry import RetryPolicy
    from agentkit.models.litellm import LiteLLMModel
    from agentkit.models.local import LocalModel
    from agentkit.models.openai_chat import OpenAIChatModel
    from agentkit.models.openai_responses import OpenAIResponsesModel
    from agentkit.models.prompted import PromptedModel

__all__ = [
    "LiteLLMModel",
    "LocalModel",
    "Model",
    "ModelStreamEvent",
    "OpenAIChatModel",
    "OpenAIResponsesModel",
    "PromptedModel",
    "RequestParams",
    "ResponseDone",
    "RetryPolicy",
    "check_spec",
    "infer_model",
]

_LAZY: dict[str, str] = {
    "LiteLLMModel": "agentkit.models.litellm",
    "LocalModel": "agentkit.models.local",
    "OpenAIChatModel": "agentkit.models.openai_chat",
    "OpenAIResponsesModel": "agentkit.models.openai_responses",
    "PromptedModel": "agentkit.models.prompted",
    "RetryPolicy": "agentkit.models._retry",
}


def __getattr__(name: str) -> Any:
    """Adapters load on first use: their SDKs (openai, litellm, xllamacpp) are slow to import."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'agentkit.models' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class _Route:
    """Which adapter a model-string prefix builds, and how."""

    module: str
    cls: str
    example: str = "<model>"
    name_prefix: str = ""
    """Put before the model name: litellm's provider (``"anthropic/"``)."""
    provider: str | None = None
    """``provider=`` of an OpenAI-compatible server (its URL and key variable: ``KNOWN_SERVERS``)."""


_RESPONSES = "agentkit.models.openai_responses"
_CHAT = "agentkit.models.openai_chat"
_LITELLM = "agentkit.models.litellm"
_CHAT_PROVIDERS = ("deepseek", "openrouter", "groq", "moonshot", "together", "fireworks", "xai", "ollama", "vllm")

_PREFIXES: dict[str, _Route] = {
    "openai": _Route(_RESPONSES, "OpenAIResponsesModel"),
    "openai-chat": _Route(_CHAT, "OpenAIChatModel"),
    "anthropic": _Route(_LITELLM, "LiteLLMModel", name_prefix="anthropic/"),
    "gemini": _Route(_LITELLM, "LiteLLMModel", name_prefix="gemini/"),
    **{
        name: _Route(_CHAT, "OpenAIChatModel", "<vendor/model>" if name == "openrouter" else "<model>", provider=name)
        for name in _CHAT_PROVIDERS
    },
    "litellm": _Route(_LITELLM, "LiteLLMModel", "<provider/model>"),
    "local": _Route("agentkit.models.local", "LocalModel", "<path.gguf>"),
}

_FORMATS = ", ".join(
    [f'"{prefix}:{route.example}"' for prefix, route in _PREFIXES.items() if prefix != "local"]
    + ['"local"', '"local:<path.gguf>"']
)


def infer_model(spec: Model | str) -> Model:
    """A :class:`Model` from a model string (or the model itself); the prefixes are listed in this module's docs."""
    if isinstance(spec, Model):
        return spec
    prefix, name = check_spec(spec)
    route = _PREFIXES[prefix]
    cls: Any = getattr(importlib.import_module(route.module), route.cls)
    if not name:
        model: Model = cls()
    elif route.provider is not None:
        model = cls(name, provider=route.provider)
    else:
        model = cls(route.name_prefix + name)
    return model


def check_spec(spec: object) -> tuple[str, str]:
    """Split a model string into (prefix, name); raise a clear error for a malformed one."""
    if not isinstance(spec, str) or not spec.strip():
        raise UserError(f"Model must be a Model instance or a string like {_FORMATS}; got {spec!r}.")
    prefix, _, name = spec.partition(":")
    if prefix not in _PREFIXES:
        raise UserError(f"Unknown model {spec!r}: the part before ':' must be one of {_FORMATS}.")
    if not name and prefix != "local":
        raise UserError(f"Model {spec!r} names no model after {prefix!r}: write e.g. '{prefix}:<model-name>'.")
    return prefix, name
