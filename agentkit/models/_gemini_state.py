"""Gemini's reasoning state through litellm: thought signatures travel with their tool calls.

Gemini 3 wants each function call of the current turn sent back with the ``thoughtSignature`` it came
with. litellm exposes a signature twice: in the tool call's ``provider_specific_fields`` (which the
adapter keeps in a reasoning part and puts back on the same call) and, by default, appended to the
tool call id (``call_<hex>__thought__<base64 signature>``). Such an id is hundreds of characters long
and holds ``+``, ``/`` and ``=``: OpenAI refuses call ids over 64 characters and Anthropic ids outside
``[a-zA-Z0-9_-]``, so a conversation could not move on to another provider. The adapter turns the id
form off (``thought_signature_in_tool_call_id=False``; ``litellm_kwargs`` may turn it back on) and
relies on the provider fields, which litellm reads first anyway.
"""

from __future__ import annotations

from typing import Any

GEMINI_PROVIDERS = frozenset({"gemini", "vertex_ai", "vertex_ai_beta"})


def is_gemini(provider: str, model_name: str) -> bool:
    """True for a Gemini model served by Google AI Studio or Vertex AI through litellm."""
    return provider in GEMINI_PROVIDERS and "gemini" in model_name.lower()


def gemini_request_fields(provider: str, model_name: str) -> dict[str, Any]:
    """``litellm.acompletion`` arguments keeping Gemini tool call ids short (see the module docstring)."""
    return {"thought_signature_in_tool_call_id": False} if is_gemini(provider, model_name) else {}
