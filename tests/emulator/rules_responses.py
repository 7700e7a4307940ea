"""Request rules of the OpenAI Responses API about reasoning items and function calls."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import errors
from .errors import ProviderError
from .signing import Signer

JSON = dict[str, Any]


@dataclass(frozen=True)
class Follower:
    """The output item that came right after a reasoning item."""

    item_type: str
    item_id: str
    call_id: str | None

    def matches(self, item: JSON | None) -> bool:
        """True when ``item`` is this follower sent back (by id, or by call_id / assistant role)."""
        if item is None:
            return False
        if item.get("id") == self.item_id:
            return True
        if self.item_type == "function_call":
            return item.get("type") == "function_call" and item.get("call_id") == self.call_id
        return item.get("type", "message") == "message" and item.get("role") == "assistant"


@dataclass
class ResponsesState:
    """What the emulator emitted on /v1/responses, to judge what comes back."""

    reasoning_ids: set[str] = field(default_factory=set)
    followers: dict[str, Follower] = field(default_factory=dict)
    reasoning_of: dict[str, str] = field(default_factory=dict)
    stored: dict[str, list[JSON]] = field(default_factory=dict)

    def register(self, output: list[JSON]) -> None:
        """Remember reasoning items, what followed them, and which items need them."""
        current: str | None = None
        for item in output:
            item_id = str(item.get("id"))
            if item.get("type") == "reasoning":
                current = item_id
                self.reasoning_ids.add(item_id)
                continue
            if current is None:
                continue
            if current not in self.followers:
                self.followers[current] = Follower(str(item.get("type")), item_id, item.get("call_id"))
            self.reasoning_of[item_id] = current

    def store(self, response_id: str, items: list[JSON], output: list[JSON]) -> None:
        """Keep a stored response's input and output for ``previous_response_id``."""
        self.stored[response_id] = [*items, *output]


def input_items(body: JSON) -> list[JSON]:
    """The request's ``input`` as a list of items (a string becomes one user message)."""
    value = body.get("input")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return [i for i in value if isinstance(i, dict)] if isinstance(value, list) else []


def history(body: JSON, state: ResponsesState) -> tuple[list[JSON], ProviderError | None]:
    """Input items preceded by the stored conversation named by ``previous_response_id``."""
    items = input_items(body)
    previous = body.get("previous_response_id")
    if previous is None:
        return items, None
    if previous not in state.stored:
        message = errors.PREVIOUS_NOT_FOUND.format(response_id=previous)
        return items, errors.openai_error(
            400, message, param="previous_response_id", code="previous_response_not_found"
        )
    return [*state.stored[previous], *items], None


def check(items: list[JSON], store: bool, state: ResponsesState, signer: Signer) -> ProviderError | None:
    """The first rule ``items`` break, as the Responses API would report it."""
    for index, item in enumerate(items):
        if item.get("type") == "reasoning":
            problem = _check_reasoning(items, index, store, state, signer)
        else:
            problem = _check_needs_reasoning(items, index, state)
        if problem is not None:
            return problem
    return _check_call_id_lengths(items) or _check_tool_pairs(items)


def _check_call_id_lengths(items: list[JSON]) -> ProviderError | None:
    limit = errors.RESPONSES_CALL_ID_LIMIT
    for index, item in enumerate(items):
        call_id = item.get("call_id")
        if isinstance(call_id, str) and len(call_id) > limit:
            message = errors.CALL_ID_TOO_LONG.format(index=index, limit=limit, length=len(call_id))
            return errors.openai_error(400, message, param=f"input[{index}].call_id", code="string_above_max_length")
    return None


def _check_reasoning(
    items: list[JSON], index: int, store: bool, state: ResponsesState, signer: Signer
) -> ProviderError | None:
    item = items[index]
    reasoning_id = str(item.get("id"))
    token = item.get("encrypted_content")
    if token is not None:
        if signer.encrypted_content_id(token) != reasoning_id:
            message = errors.ENCRYPTED_NOT_VERIFIED.format(abbreviated=errors.abbreviate(str(token)))
            return errors.openai_error(400, message, code="invalid_encrypted_content")
    elif not store:
        return errors.openai_error(404, errors.ITEM_NOT_PERSISTED.format(item_id=reasoning_id), param="input")
    elif reasoning_id not in state.reasoning_ids:
        return errors.openai_error(404, errors.ITEM_NOT_FOUND.format(item_id=reasoning_id), param="input")
    follower = state.followers.get(reasoning_id)
    following = items[index + 1] if index + 1 < len(items) else None
    if follower is not None and not follower.matches(following):
        message = errors.REASONING_WITHOUT_FOLLOWER.format(item_id=reasoning_id)
        return errors.openai_error(400, message, param="input")
    return None


def _check_needs_reasoning(items: list[JSON], index: int, state: ResponsesState) -> ProviderError | None:
    item = items[index]
    required = state.reasoning_of.get(str(item.get("id")))
    if required is None:
        return None
    earlier = {str(i.get("id")) for i in items[:index] if i.get("type") == "reasoning"}
    if required in earlier:
        return None
    message = errors.ITEM_WITHOUT_REASONING.format(
        item_id=item.get("id"), item_type=item.get("type", "message"), reasoning_id=required
    )
    return errors.openai_error(400, message, param="input")


def _check_tool_pairs(items: list[JSON]) -> ProviderError | None:
    calls: list[str] = []
    answered: set[str] = set()
    for item in items:
        call_id = str(item.get("call_id"))
        if item.get("type") == "function_call":
            calls.append(call_id)
        elif item.get("type") == "function_call_output":
            if call_id not in calls:
                message = errors.NO_TOOL_CALL.format(call_id=call_id)
                return errors.openai_error(400, message, param="input")
            answered.add(call_id)
    for call_id in calls:
        if call_id not in answered:
            return errors.openai_error(400, errors.NO_TOOL_OUTPUT.format(call_id=call_id), param="input")
    return None
