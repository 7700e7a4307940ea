"""Guardrails: checks that run beside an agent and stop the run when their tripwire is triggered.

* **Input guardrails** ``(ctx, prompt) -> GuardrailResult`` run concurrently with the run's first model
  request. That request's answer is used only once all of them passed, so no tool runs before; a
  tripwire cancels the request and the run raises :class:`InputGuardrailTripped`.
* **Output guardrails** ``(ctx, output) -> GuardrailResult`` run on the final output after it was
  validated (output type and ``@agent.output_validator``), before it is returned; a tripwire raises
  :class:`OutputGuardrailTripped`.

Register them with ``Agent(..., input_guardrails=[...], output_guardrails=[...])`` or the decorators
``@agent.input_guardrail`` / ``@agent.output_guardrail``. Sync functions run in a thread of their own (so
a sync input guardrail overlaps the model request too). A guardrail that raises stops the run with
:class:`GuardrailError` (fail closed). Each guardrail emits ``GuardrailStart`` / ``GuardrailEnd`` events
and, when tracing is on, gets a ``guardrail {name}`` span. See docs/concepts/guardrails.md.
"""

from agentkit.guardrails._run import GuardrailRunner, run_directly
from agentkit.guardrails.errors import GuardrailError, GuardrailTripped, InputGuardrailTripped, OutputGuardrailTripped
from agentkit.guardrails.guardrail import GuardrailFunction, GuardrailResult, InputGuardrail, OutputGuardrail

__all__ = [
    "GuardrailError",
    "GuardrailFunction",
    "GuardrailResult",
    "GuardrailRunner",
    "GuardrailTripped",
    "InputGuardrail",
    "InputGuardrailTripped",
    "OutputGuardrail",
    "OutputGuardrailTripped",
    "run_directly",
]
