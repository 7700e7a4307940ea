"""Each compaction is an event: serialisable, shown in the live CLI view and in the HTML report."""

from __future__ import annotations

from agentkit._cli.progress import RunProgress, event_line
from agentkit._report.model import build_view
from agentkit._report.render import render_view
from agentkit.events import ContextCompacted, ProviderCompacted, event_adapter
from agentkit.usage import Usage

EVENT = ContextCompacted(
    run_id="r1",
    step=41,
    reason="threshold",
    window=16_000,
    tokens_before=13_100,
    tokens_after=5_200,
    rungs=["clear_tool_results", "summarize"],
    cleared_tool_results=9,
    summarized_messages=40,
    summary="Task: read the pages. Facts: the vault code is 4417.",
    usage=Usage(input_tokens=7000, output_tokens=80, requests=1),
)
LINE = "context compacted (threshold): 13,100 → 5,200 of 16,000 tokens; cleared 9 tool results, summarized 40 messages"


def test_the_event_round_trips_as_json() -> None:
    adapter = event_adapter()
    assert adapter.validate_json(adapter.dump_json(EVENT)) == EVENT


def test_the_live_view_shows_one_line() -> None:
    line = event_line(EVENT, RunProgress())
    assert line is not None and line.plain == f"  ⇣ {LINE}"
    one = EVENT.model_copy(update={"cleared_tool_results": 1, "summarized_messages": 0, "dropped_reasoning": 1})
    shown = event_line(one, RunProgress())
    assert shown is not None and shown.plain.endswith("; cleared 1 tool result, dropped 1 reasoning part")


def test_the_report_lists_it_with_its_summary() -> None:
    view = build_view([EVENT])
    assert [(n.kind, n.text) for n in view.notices] == [
        ("context_compacted", f"{LINE}; summary: Task: read the pages. Facts: the vault code is 4417.")
    ]
    assert "context compacted (threshold): 13,100 → 5,200 of 16,000 tokens" in render_view(view)


OPENAI = ProviderCompacted(run_id="r1", step=7, provider="openai", input_tokens=5300, compaction_id="cmp_1")
ANTHROPIC = ProviderCompacted(
    run_id="r1",
    step=9,
    provider="anthropic",
    input_tokens=4100,
    cleared_input_tokens=9500,
    edits=[
        {"type": "clear_thinking_20251015", "cleared_thinking_turns": 1, "cleared_input_tokens": 1500},
        {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 3, "cleared_input_tokens": 8000},
    ],
)
OPENAI_LINE = "openai compacted the context itself (item cmp_1); 5,300 input tokens sent"
ANTHROPIC_LINE = (
    "anthropic cleared the context itself: 3 tool uses, 1 thinking turn (9,500 tokens); 4,100 input tokens sent"
)


def test_a_provider_compaction_shows_one_line_in_the_live_view() -> None:
    for event, text in [(OPENAI, OPENAI_LINE), (ANTHROPIC, ANTHROPIC_LINE)]:
        line = event_line(event, RunProgress())
        assert line is not None and line.plain == f"  ⇣ {text}"


def test_the_report_lists_provider_compactions() -> None:
    view = build_view([OPENAI, ANTHROPIC])
    assert [(n.kind, n.text) for n in view.notices] == [
        ("provider_compacted", OPENAI_LINE),
        ("provider_compacted", ANTHROPIC_LINE),
    ]
    assert ANTHROPIC_LINE in render_view(view)
