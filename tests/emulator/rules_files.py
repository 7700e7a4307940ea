"""Request rules about images and documents in message content, per wire format.

Chat Completions: ``image_url`` parts only in user messages. Responses: a ``function_call_output`` whose
``output`` is a list holds only input parts (``input_text``, ``input_image``, ``input_file``). Anthropic:
a base64 image block (also inside a ``tool_result``) has a media type Anthropic reads.
"""

from __future__ import annotations

from typing import Any

from . import errors
from .errors import ProviderError

JSON = dict[str, Any]
ANTHROPIC_IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
TOOL_OUTPUT_PART_TYPES = ("input_text", "input_image", "input_file", "scoped_content")


def check_chat(body: JSON) -> ProviderError | None:
    """OpenAI: an ``image_url`` part in a message whose role is not ``user``."""
    for index, message in enumerate(_dicts(body.get("messages"))):
        role = message.get("role")
        if role != "user" and any(part.get("type") == "image_url" for part in _dicts(message.get("content"))):
            return errors.openai_error(400, errors.IMAGE_NOT_IN_USER_MESSAGE.format(index=index, role=role))
    return None


def check_responses(body: JSON) -> ProviderError | None:
    """OpenAI Responses: a function call output part that is not an input part."""
    for index, item in enumerate(_dicts(body.get("input"))):
        if item.get("type") != "function_call_output":
            continue
        for position, part in enumerate(_dicts(item.get("output"))):
            kind = part.get("type")
            if kind not in TOOL_OUTPUT_PART_TYPES:
                text = errors.TOOL_OUTPUT_PART_TYPE.format(type=kind)
                param = f"input[{index}].output[{position}]"
                return errors.openai_error(400, text, param=param, code="invalid_value")
    return None


def check_anthropic(body: JSON) -> ProviderError | None:
    """Anthropic: a base64 image whose media type is not jpeg, png, gif or webp."""
    for index, message in enumerate(_dicts(body.get("messages"))):
        for position, block in enumerate(_dicts(message.get("content"))):
            path = f"messages.{index}.content.{position}"
            inner = _dicts(block.get("content")) if block.get("type") == "tool_result" else []
            for where, image in [(path, block), *((f"{path}.tool_result.content.{i}", b) for i, b in enumerate(inner))]:
                if _bad_image(image):
                    return errors.anthropic_error(400, errors.IMAGE_MEDIA_TYPE.format(path=where))
    return None


def _bad_image(block: JSON) -> bool:
    source = block.get("source")
    if block.get("type") != "image" or not isinstance(source, dict) or source.get("type") != "base64":
        return False
    return source.get("media_type") not in ANTHROPIC_IMAGE_TYPES


def _dicts(value: object) -> list[JSON]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
