"""Request rules of Gemini ``generateContent``: thought signatures and function-call turns.

- A function-call turn follows a user turn or a function-response turn; a function-response turn
  follows a function-call turn and answers each of its calls (the counts must match).
- A thought signature sent back must be one this emulator issued for exactly that part (the
  function call's name and arguments, or the text): anything else is "Corrupted thought signature."
  (AI Studio's answer to a signature it did not mint). Google's documented placeholders
  (``skip_thought_signature_validator`` ...) skip the check, as they do on the real API.
- Gemini 3 and newer: in the current turn (every step since the last user message that is not only
  function responses), the first function call of each model step must carry its signature.

Parts may spell their fields as the API documents them (``functionCall``, ``thoughtSignature``) or as
protobuf field names (``function_call``, ``thought_signature``): the real API accepts both, and litellm
sends the latter.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from . import errors
from .errors import ProviderError
from .signing import Signer

JSON = dict[str, Any]

PLACEHOLDER_SIGNATURES = frozenset(
    base64.b64encode(text).decode()
    for text in (b"skip_thought_signature_validator", b"context_engineering_is_the_way_to_go")
)
"""Google's documented values that skip signature validation (base64, as bytes fields are sent)."""

_SNAKE = {
    "functionCall": "function_call",
    "functionResponse": "function_response",
    "thoughtSignature": "thought_signature",
}


def field(part: JSON, name: str) -> Any:
    """A part's field by its JSON name (``functionCall``) or its protobuf name (``function_call``)."""
    value = part.get(name)
    return part.get(_SNAKE.get(name, name)) if value is None else value


def is_gemini_3(model: str) -> bool:
    """True for Gemini 3 and newer models, which enforce thought signatures on function calls."""
    match = re.match(r"gemini-(\d+)", model.rsplit("/", 1)[-1].lower())
    return match is not None and int(match.group(1)) >= 3


def signed_payload(part: JSON) -> str | None:
    """What a part's thought signature covers: a function call's name and arguments, or a text."""
    call = field(part, "functionCall")
    if isinstance(call, dict):
        args = json.dumps(call.get("args"), sort_keys=True, separators=(",", ":"))
        return f"gemini-function-call\x1f{call.get('name')}\x1f{args}"
    text = part.get("text")
    return f"gemini-text\x1f{text}" if isinstance(text, str) and part.get("thought") is not True else None


def sign(signer: Signer, part: JSON) -> str:
    """The thought signature this emulator issues for ``part``."""
    return signer.thinking_signature(signed_payload(part) or "")


def check(body: JSON, model: str, signer: Signer) -> ProviderError | None:
    """The first rule the request breaks, worded as Gemini words it."""
    contents = _contents(body)
    problem = _check_turns(contents) or _check_signatures(contents, signer)
    if problem is None and is_gemini_3(model):
        problem = _check_current_turn(contents)
    return problem


def calls(content: JSON) -> list[JSON]:
    """The ``functionCall`` parts of a content."""
    return [p for p in parts(content) if isinstance(field(p, "functionCall"), dict)]


def responses(content: JSON) -> list[JSON]:
    """The ``functionResponse`` parts of a content."""
    return [p for p in parts(content) if isinstance(field(p, "functionResponse"), dict)]


def parts(content: JSON) -> list[JSON]:
    """A content's parts (dicts only)."""
    found = content.get("parts")
    return [p for p in found if isinstance(p, dict)] if isinstance(found, list) else []


def _check_turns(contents: list[JSON]) -> ProviderError | None:
    for index, content in enumerate(contents):
        previous = contents[index - 1] if index > 0 else None
        if calls(content) and (previous is None or previous.get("role") == "model"):
            return errors.gemini_error(400, errors.GEMINI_CALL_TURN_PLACE)
        answered = responses(content)
        if answered and (previous is None or not calls(previous)):
            return errors.gemini_error(400, errors.GEMINI_RESPONSE_TURN_PLACE)
        if previous is not None and calls(previous) and len(answered) != len(calls(previous)):
            return errors.gemini_error(400, errors.GEMINI_RESPONSE_COUNT)
    return None


def _check_signatures(contents: list[JSON], signer: Signer) -> ProviderError | None:
    for content in contents:
        if content.get("role") != "model":
            continue
        for part in parts(content):
            signature = field(part, "thoughtSignature")
            if signature is None or signature in PLACEHOLDER_SIGNATURES:
                continue
            payload = signed_payload(part)
            if payload is None or not signer.thinking_signature_ok(payload, signature):
                return errors.gemini_error(400, errors.GEMINI_CORRUPTED_SIGNATURE)
    return None


def _check_current_turn(contents: list[JSON]) -> ProviderError | None:
    starts = [i for i, c in enumerate(contents) if c.get("role") != "model" and len(responses(c)) < len(parts(c))]
    for index in range(starts[-1] + 1 if starts else 0, len(contents)):
        step = calls(contents[index])
        if contents[index].get("role") == "model" and step and not field(step[0], "thoughtSignature"):
            name = field(step[0], "functionCall").get("name")
            return errors.gemini_error(400, errors.GEMINI_MISSING_SIGNATURE.format(name=name, position=index + 1))
    return None


def _contents(body: JSON) -> list[JSON]:
    contents = body.get("contents")
    return [c for c in contents if isinstance(c, dict)] if isinstance(contents, list) else []
