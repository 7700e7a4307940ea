"""The errors a guardrail stops a run with: a tripwire, or a guardrail that failed itself."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, Literal

from agentkit.exceptions import AgentkitError, ModelRetry

if TYPE_CHECKING:
    from agentkit.guardrails.guardrail import GuardrailResult

__all__ = ["GuardrailError", "GuardrailTripped", "InputGuardrailTripped", "OutputGuardrailTripped"]

Stage = Literal["input", "output"]


class GuardrailTripped(AgentkitError):
    """A guardrail's tripwire was triggered. ``guardrail`` names it; ``result`` is what it returned."""

    stage: ClassVar[Stage]
    _STOPPED: ClassVar[str]

    def __init__(self, guardrail: str, result: GuardrailResult) -> None:
        detail = f": {result.reason}" if result.reason else ""
        super().__init__(
            f"{self.stage.capitalize()} guardrail {guardrail!r} tripped{detail}. {self._STOPPED} "
            f"error.result.info holds what the guardrail reported; if this {self.stage} should be allowed, "
            "change the guardrail."
        )
        self.guardrail = guardrail
        self.result = result


class InputGuardrailTripped(GuardrailTripped):
    """An input guardrail tripped: the run stopped before any tool ran (its model request was cancelled)."""

    stage = "input"
    _STOPPED = "The run was stopped before any tool ran."


class OutputGuardrailTripped(GuardrailTripped):
    """An output guardrail tripped: the run's validated output was not returned."""

    stage = "output"
    _STOPPED = "The output was withheld."


class GuardrailError(AgentkitError):
    """A guardrail raised instead of returning a result. The run stops, as if it had tripped (fail closed)."""

    def __init__(self, stage: Stage, guardrail: str, error: Exception) -> None:
        text = (
            f"{stage.capitalize()} guardrail {guardrail!r} failed with {type(error).__name__}: {error}. "
            "The run was stopped, as if it had tripped. Fix the guardrail, or catch the error inside it and "
            "return GuardrailResult(tripped=...)."
        )
        if isinstance(error, ModelRetry):
            text += " To ask the model for another answer, raise ModelRetry in an @agent.output_validator instead."
        super().__init__(text)
        self.stage = stage
        self.guardrail = guardrail
        self.error_type = type(error).__name__
