"""The live view's lines for guardrail events and for the events of a sub-agent run as a tool."""

from __future__ import annotations

from agentkit._cli.progress import RunProgress, event_line
from agentkit.events import AgentEvent, GuardrailEnd, GuardrailStart, RunStart


def line(event: AgentEvent, progress: RunProgress | None = None) -> str | None:
    text = event_line(event, progress or RunProgress())
    return None if text is None else text.plain


def test_a_guardrail_gets_a_line_when_it_ends() -> None:
    assert line(GuardrailStart(stage="input", guardrail="no_pii")) is None
    assert line(GuardrailEnd(stage="input", guardrail="no_pii", tripped=False, duration_s=0.004)) == (
        "  ✓ input guardrail no_pii passed · 4 ms"
    )
    tripped = GuardrailEnd(stage="input", guardrail="on_topic", tripped=True, duration_s=0.25, reason="Off\ntopic.")
    assert line(tripped) == "  ✗ input guardrail on_topic tripped · 250 ms · Off topic."
    failed = GuardrailEnd(
        stage="output", guardrail="tone", tripped=False, duration_s=1.5, error="ValueError: boom", branch="b0"
    )
    assert line(failed) == "  ✗ [b0] output guardrail tone failed · 1.5 s · ValueError: boom"


def test_a_sub_agent_run_is_tagged_and_does_not_change_the_runs_model() -> None:
    progress = RunProgress()
    progress.update(RunStart(run_id="r", model="openai:gpt-5", prompt="p"))
    sub = RunStart(run_id="r:0:c1", model="test:helper", prompt="task", parent_call_id="c1")
    progress.update(sub)

    assert progress.model == "openai:gpt-5"
    assert line(sub, progress) == "▶ [sub-agent c1] run r:0:c1 · test:helper"
