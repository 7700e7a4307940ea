"""Instructions: assembled once per run, sent at the head of every request, never stored in the history.

A run's instructions are, in this order: the agent's static text (``Agent(instructions=...)``), the
text of each ``@agent.instructions`` function (registration order; evaluated once, when the run
starts), and the run's own ``instructions=``. Empty blocks are left out; the rest are joined by a
blank line and sent as one :class:`SystemPart` at the head of each request (adapters put it where their
wire format wants the system prompt). ``result.messages`` never contains it, so changing the
instructions takes effect on the next run of a continued conversation.

Histories saved by earlier versions carry the instructions of their first run as a ``SystemPart`` in
their first request. They are kept as they are; a ``SystemPart`` there whose text equals one of the
current blocks (or all of them) is not sent again, so unchanged instructions never appear twice.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar, overload

from agentkit.context import RunContext
from agentkit.exceptions import UserError
from agentkit.messages import ModelRequest, ModelResponse, SystemPart

if TYPE_CHECKING:
    from agentkit.agent import Agent

__all__ = [
    "INSTRUCTIONS_KEY",
    "Instructions",
    "InstructionsAttribute",
    "InstructionsFunction",
    "RunInstructions",
    "assemble",
    "check_text",
    "with_instructions",
]

Messages = list[ModelRequest | ModelResponse]
InstructionsFunction = Callable[..., str | Awaitable[str | None] | None]
"""``(ctx: RunContext[Deps]) -> str | None`` or ``() -> str | None``, sync or async."""
F = TypeVar("F", bound=InstructionsFunction)

SEPARATOR = "\n\n"
INSTRUCTIONS_KEY = "instructions"
"""The payload key of a durable agent run (``agent.start(..., instructions=...)``) holding its instructions."""

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


class Instructions(str):
    """An agent's static instructions (a plain ``str``: ``""`` when it has none) that also registers
    dynamic ones: ``@agent.instructions`` on a function taking the :class:`RunContext` (or nothing)
    that returns text, or ``None`` to add nothing."""

    _functions: list[InstructionsFunction]

    def __new__(cls, text: str, functions: list[InstructionsFunction]) -> Instructions:
        self = super().__new__(cls, text)
        self._functions = functions
        return self

    def __call__(self, function: F, /) -> F:
        """Register ``function`` as dynamic instructions and return it unchanged."""
        if isinstance(function, str) or not callable(function):
            raise UserError(
                "agent.instructions(...) registers a function that returns instructions; use it as a "
                "decorator (@agent.instructions). To set the text, assign it: agent.instructions = '...'."
            )
        _check_signature(function)
        self._functions.append(function)
        return function

    @property
    def functions(self) -> tuple[InstructionsFunction, ...]:
        """The registered dynamic-instruction functions, in the order they run."""
        return tuple(self._functions)

    def __reduce__(self) -> tuple[type[str], tuple[str]]:
        return (str, (str(self),))


class InstructionsAttribute:
    """``agent.instructions``: reads as :class:`Instructions`, accepts a ``str`` or ``None`` when assigned."""

    @overload
    def __get__(self, agent: None, owner: type[Any]) -> InstructionsAttribute: ...

    @overload
    def __get__(self, agent: Agent[Any, Any], owner: type[Any]) -> Instructions: ...

    def __get__(self, agent: Agent[Any, Any] | None, owner: type[Any]) -> Instructions | InstructionsAttribute:
        if agent is None:
            return self
        return Instructions(agent._static_instructions, agent._instruction_functions)

    def __set__(self, agent: Agent[Any, Any], value: str | None) -> None:
        agent._static_instructions = check_text(value, "Agent(instructions=...)") or ""


def check_text(value: object, where: str) -> str | None:
    """``value`` if it is a ``str`` or ``None``; a clear :class:`UserError` otherwise."""
    if value is None or isinstance(value, str):
        return value
    raise UserError(
        f"{where} must be a str (or None), not {type(value).__name__}; "
        "for instructions computed per run, register a function with @agent.instructions."
    )


def _name(function: Callable[..., Any]) -> str:
    return getattr(function, "__qualname__", None) or repr(function)


def _check_signature(function: Callable[..., Any]) -> None:
    """At most one required positional parameter (the context) and no required keyword-only ones."""
    try:
        parameters = list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return  # no signature to read (a builtin): it is called with the context
    required = [
        p.name
        for p in parameters
        if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    if len(required) > 1 or any(p.kind is p.KEYWORD_ONLY for p in parameters if p.name in required):
        raise UserError(
            f"The instructions function {_name(function)!r} must take the RunContext as its only parameter "
            f"(or no parameter); it requires {', '.join(required)}."
        )


def _takes_context(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return True
    return any(p.kind in _POSITIONAL or p.kind is p.VAR_POSITIONAL for p in parameters)


async def _evaluate(function: InstructionsFunction, ctx: RunContext[Any]) -> str | None:
    try:
        value = function(ctx) if _takes_context(function) else function()
        if inspect.isawaitable(value):
            value = await value
    except Exception as exc:
        raise UserError(
            f"The instructions function {_name(function)!r} raised {type(exc).__name__}: {exc}. "
            "Fix it, or catch the error inside it and return None to add no instructions."
        ) from exc
    if value is not None and not isinstance(value, str):
        raise UserError(
            f"The instructions function {_name(function)!r} returned {type(value).__name__}; "
            "return a str (or None to add no instructions)."
        )
    return value


@dataclass(frozen=True)
class RunInstructions:
    """One run's instructions, as the blocks they are made of."""

    blocks: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        """The blocks joined, as sent."""
        return SEPARATOR.join(self.blocks)

    @property
    def texts(self) -> set[str]:
        """Texts a stored copy of these instructions may have."""
        return {self.text, *self.blocks}


async def assemble(
    static: str, functions: Sequence[InstructionsFunction], per_run: str | None, ctx: RunContext[Any]
) -> RunInstructions:
    """The run's instructions: static text, each function's text, then the per-run text (empty ones left
    out)."""
    blocks = [static, *[await _evaluate(f, ctx) for f in functions], per_run]
    return RunInstructions(tuple(b for b in blocks if b is not None and b.strip()))


def with_instructions(messages: Messages, instructions: RunInstructions) -> Messages:
    """``messages`` as sent: the instructions first, stored copies of them left out.

    The instructions go at the head of the first request (a request of their own if the history starts
    with a response). ``messages`` itself is not changed.
    """
    if not instructions.blocks:
        return messages
    sent = _without_copy(messages, instructions.texts)
    system = SystemPart(content=instructions.text)
    head = sent[0] if sent else None
    if isinstance(head, ModelRequest):
        return [head.model_copy(update={"parts": [system, *head.parts]}), *sent[1:]]
    return [ModelRequest(parts=[system]), *sent]


def _without_copy(messages: Messages, texts: set[str]) -> Messages:
    """``messages`` without the stored copy of the instructions: ``SystemPart``s of the first request (where
    earlier versions stored them) whose text is in ``texts``; the request is dropped if nothing is left."""
    first = messages[0] if messages else None
    if not isinstance(first, ModelRequest) or not any(_is_copy(p, texts) for p in first.parts):
        return messages
    parts = [p for p in first.parts if not _is_copy(p, texts)]
    return [first.model_copy(update={"parts": parts}), *messages[1:]] if parts else messages[1:]


def _is_copy(part: object, texts: set[str]) -> bool:
    return isinstance(part, SystemPart) and part.content in texts
