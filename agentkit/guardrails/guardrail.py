"""What a guardrail is: a function ``(ctx, data) -> GuardrailResult`` (sync or async) and its stage."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from agentkit._tool_threads import run_in_thread
from agentkit.context import RunContext
from agentkit.exceptions import UserError
from agentkit.guardrails.errors import GuardrailError

__all__ = ["GuardrailFunction", "GuardrailResult", "InputGuardrail", "OutputGuardrail", "Stage", "collect"]

Stage = Literal["input", "output"]


@dataclass(frozen=True)
class GuardrailResult:
    """What a guardrail function returns: whether its tripwire was triggered, and what it found."""

    tripped: bool = False
    """``True`` stops the run with :class:`InputGuardrailTripped` / :class:`OutputGuardrailTripped`."""
    info: Any = None
    """Anything the guardrail wants to report (a classifier's scores, the matched pattern). It goes into the
    guardrail's event and the error's ``result``; keep it JSON-serialisable (background runs log events)."""
    reason: str = ""
    """A short explanation, shown in the error message when the tripwire was triggered."""


GuardrailFunction = Callable[[RunContext[Any], Any], "GuardrailResult | Awaitable[GuardrailResult]"]
"""``(ctx, data) -> GuardrailResult``, sync or async; ``data`` is the prompt (input) or the output."""


@dataclass(frozen=True)
class _Guardrail:
    function: GuardrailFunction
    name: str = field(default="")
    """Names the guardrail in events, spans and errors; defaults to the function's name."""

    stage: ClassVar[Stage]
    _DATA: ClassVar[str]

    def __post_init__(self) -> None:
        if not callable(self.function):
            raise UserError(
                f"An {self.stage} guardrail must be a function (ctx, {self._DATA}) -> GuardrailResult, "
                f"not {type(self.function).__name__}."
            )
        if not self.name:
            object.__setattr__(self, "name", getattr(self.function, "__name__", type(self.function).__name__))
        _check_parameters(self.function, f"{self.stage.capitalize()} guardrail {self.name!r}", self._DATA)

    async def check(self, ctx: RunContext[Any], data: Any) -> GuardrailResult:
        """Call the function (a sync one in a thread of its own); what it raises becomes a GuardrailError."""
        try:
            if inspect.iscoroutinefunction(self.function):
                value = await self.function(ctx, data)
            else:
                where = f"guardrail:{self.name}"
                thread = run_in_thread(
                    self.function, (ctx, data), {}, run_id=ctx.run_id, tool_name=where, mutating=False
                )
                value = await thread
                value = await value if inspect.isawaitable(value) else value
        except Exception as exc:
            raise GuardrailError(self.stage, self.name, exc) from exc
        if not isinstance(value, GuardrailResult):
            raise UserError(
                f"{self.stage.capitalize()} guardrail {self.name!r} returned {type(value).__name__}; "
                "return GuardrailResult(tripped=..., info=...)."
            )
        return value


@dataclass(frozen=True)
class InputGuardrail(_Guardrail):
    """Checks a run's input, ``(ctx, prompt) -> GuardrailResult``, while the first model request runs.

    ``ctx.messages`` holds the history with the new prompt at its end.
    """

    stage: ClassVar[Stage] = "input"
    _DATA: ClassVar[str] = "prompt"


@dataclass(frozen=True)
class OutputGuardrail(_Guardrail):
    """Checks a run's validated output, ``(ctx, output) -> GuardrailResult``, before it is returned."""

    stage: ClassVar[Stage] = "output"
    _DATA: ClassVar[str] = "output"


def collect(
    kind: type[InputGuardrail] | type[OutputGuardrail], items: Iterable[Any], known: Sequence[Any] = ()
) -> list[Any]:
    """``items`` (functions, or guardrails of ``kind``) as guardrails; refuses a name ``known`` or used twice."""
    added: list[_Guardrail] = []
    for item in items:
        guardrail = item if isinstance(item, kind) else kind(item)
        if any(g.name == guardrail.name for g in (*known, *added)):
            raise UserError(
                f"Two {kind.stage} guardrails are named {guardrail.name!r}; give one another name with "
                f"{kind.__name__}(function, name=...)."
            )
        added.append(guardrail)
    return added


def _check_parameters(function: Callable[..., Any], what: str, data: str) -> None:
    try:
        signature = inspect.signature(function)
    except (TypeError, ValueError):  # a builtin without a signature: let the call decide
        return
    try:
        signature.bind(None, None)
    except TypeError:
        raise UserError(f"{what} must take two parameters (ctx, {data}); its signature is {signature}.") from None
