"""Tool-call ids a provider refuses, replaced on the wire by stable ids it takes.

A conversation may carry call ids from another provider, or from a history a user stored, that the
next provider rejects: OpenAI Responses takes a ``call_id`` of at most 64 characters ("Invalid
'input[N].call_id': string too long ..."). The adapter sends such an id as ``call_<hash>``, derived
from the id alone, so a call and its result still pair up and every request of the run sends the same
id. The history itself keeps the original id. (litellm already maps ids for Anthropic's
``^[a-zA-Z0-9_-]+$``.)
"""

from __future__ import annotations

import hashlib

__all__ = ["RESPONSES_CALL_ID_LIMIT", "fit_call_id"]

RESPONSES_CALL_ID_LIMIT = 64


def fit_call_id(call_id: str, limit: int) -> str:
    """``call_id`` when it has at most ``limit`` characters, else ``call_`` and a hash of it."""
    if len(call_id) <= limit:
        return call_id
    return "call_" + hashlib.sha256(call_id.encode()).hexdigest()[: min(40, limit - 5)]
