"""Model adapters, one module per wire protocol, imported lazily.

:func:`infer_model` turns a model string into a :class:`Model`:

- ``"openai:<model>"``: OpenAI Responses API (:mod:`agentkit.models.openai_responses`)
- ``"openai-chat:<model>"``: Chat Completions, any OpenAI-compatible server (:mod:`~.openai_chat`)
- ``"litellm:<provider/model>"``: every other provider through litellm (:mod:`~.litellm`)
- ``"local"`` / ``"local:<path.gguf>"``: the embedded llama.cpp model (:mod:`~.local`)
"""

from __future__ import annotations

import importlib
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


_PREFIXES: dict[str, tuple[str, str]] = {
    "openai": ("agentkit.models.openai_responses", "OpenAIResponsesModel"),
    "openai-chat": ("agentkit.models.openai_chat", "OpenAIChatModel"),
    "litellm": ("agentkit.models.litellm", "LiteLLMModel"),
    "local": ("agentkit.models.local", "LocalModel"),
}

_FORMATS = '"openai:<model>", "openai-chat:<model>", "litellm:<provider/model>", "local", "local:<path.gguf>"'


def infer_model(spec: Model | str) -> Model:
    """A :class:`Model` from a model string (or the model itself)."""
    if isinstance(spec, Model):
        return spec
    prefix, name = check_spec(spec)
    module_name, class_name = _PREFIXES[prefix]
    cls: Any = getattr(importlib.import_module(module_name), class_name)
    model: Model = cls(name) if name else cls()
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
