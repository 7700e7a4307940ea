"""The report's setup (instructions, tools, settings, budget), retry prompts, per-branch step numbers,
guardrail events and sub-agent runs."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agentkit import Agent, Budget, ModelRetry, RunContext
from agentkit.events import GuardrailEnd, GuardrailStart, RetryEvent, RunStart
from agentkit.messages import ModelRequest, RetryPrompt, SystemPart
from agentkit.report import render_html
from agentkit.settings import ModelSettings
from agentkit.testing import ScriptedModel, call, text

from .html_outline import Element, parse
from .report_events import CITY, INSTRUCTIONS, T0, best_of_two, trip_run


def section(html: str, section_id: str) -> Element:
    return next(e for e in parse(html) if e.attrs.get("id") == section_id)


def texts(element: Element, tag: str) -> list[str]:
    found: list[str] = []
    for child in element.children:
        found += [child.all_text()] if child.tag == tag else texts(child, tag)
    return found


def test_the_setup_section_shows_instructions_tools_settings_and_budget() -> None:
    setup = section(render_html(trip_run()), "setup")

    schema = json.dumps(CITY, indent=2)
    assert texts(setup, "pre") == [INSTRUCTIONS, schema, schema]
    assert texts(setup, "summary") == ["get_weather", "find_museums"]
    assert texts(setup, "p") == ["The weather in a city today.", "No description."]
    assert list(zip(texts(setup, "th"), texts(setup, "td"), strict=True)) == [
        ("temperature", "0.3"),
        ("stop", '["END"]'),
        ("max_cost_usd", "0.01"),
    ]


def test_events_saved_before_runs_recorded_their_setup_show_no_setup_section() -> None:
    old = [e.model_dump(mode="json", exclude={"instructions", "tools", "settings", "budget"}) for e in trip_run()]

    html = render_html(old)

    assert 'id="setup"' not in html
    assert "Morning: the Louvre." in html


class Trip(BaseModel):
    city: str


def test_a_run_records_what_its_model_was_told_and_the_report_shows_it() -> None:
    model = ScriptedModel([call("final_result", city="Paris")])
    agent: Agent[None, Trip] = Agent(
        model,
        instructions="You plan trips.",
        output_type=Trip,
        settings=ModelSettings(temperature=0.2, reasoning_effort="low"),
        budget=Budget(max_turns=4),
    )

    @agent.tool
    def get_weather(city: str) -> str:
        """The weather in a city today."""
        return "sunny"

    result = agent.run_sync("Plan a day.")

    start = result.events[0]
    assert isinstance(start, RunStart)
    request = model.requests[0]
    parts = [p for m in request.messages if isinstance(m, ModelRequest) for p in m.parts]
    assert [p.content for p in parts if isinstance(p, SystemPart)] == [start.instructions] == ["You plan trips."]
    assert start.tools == [
        {"name": t.name, "description": t.description, "parameters": t.parameters} for t in request.params.all_tools
    ]
    assert [t["name"] for t in start.tools] == ["get_weather", "final_result"]
    assert start.settings == {"temperature": 0.2, "reasoning_effort": "low"}
    assert start.budget == {"max_turns": 4}
    setup = section(render_html(result), "setup")
    assert texts(setup, "pre")[0] == "You plan trips."
    assert texts(setup, "summary") == ["get_weather", "final_result"]
    assert texts(setup, "td") == ["0.2", "low", "4"]


def test_a_run_without_budget_settings_or_tools_says_so() -> None:
    plain = Agent(ScriptedModel(["hi"])).run_sync("Hello")
    instructed = Agent(ScriptedModel(["hi"]), instructions="Be brief.").run_sync("Hello")

    assert plain.events[0].model_dump(include={"instructions", "tools", "settings", "budget"}) == {
        "instructions": "",
        "tools": [],
        "settings": {},
        "budget": None,
    }
    assert 'id="setup"' not in render_html(plain)  # nothing to show
    setup = section(render_html(instructed), "setup")
    assert texts(setup, "p") == ["No tools.", "Provider defaults.", "No budget."]


def test_retry_prompts_are_shown_word_for_word_as_the_model_got_them() -> None:
    model = ScriptedModel([call("lookup", id="c1", city="Rome"), text("not a number"), text("42")])
    agent: Agent[None, str] = Agent(model)

    @agent.tool
    def lookup(city: str) -> str:
        """Looks a city up."""
        raise ModelRetry(f"No data for {city}; try 'Roma'.")

    @agent.output_validator
    def a_number(ctx: RunContext[None], output: str) -> str:
        if not output.isdigit():
            raise ModelRetry(f"{output!r} is not a number: answer with digits only.")
        return output

    result = agent.run_sync("How many?")

    got = [p for r in model.requests for m in r.messages if isinstance(m, ModelRequest) for p in m.parts]
    retries = [p for p in got if isinstance(p, RetryPrompt)]
    tool_retry, output_retry = retries[0], retries[-1]
    steps = [e for e in parse(render_html(result)) if e.tag == "article"]
    assert texts(steps[0], "pre")[-1] == tool_retry.content  # the failed call's "result"
    assert texts(steps[0], "h4")[-1] == "Retry prompt"
    assert texts(steps[1], "h4")[-1] == "Retry prompt"
    assert texts(steps[1], "p")[-1] == "sent to the model as a user message"
    assert texts(steps[1], "pre")[-1] == output_retry.content
    assert output_retry.call_id is None


def test_a_retry_prompt_answering_a_call_says_which_call() -> None:
    events = trip_run()
    retry = RetryPrompt(content="Bad arguments:\n  city: required", call_id="c9", name="final_result")
    events.insert(3, RetryEvent(run_id="run-trip", step=0, prompt=retry, ts=T0 + 1.215))

    first = next(e for e in parse(render_html(events)) if e.tag == "article")

    assert texts(first, "p")[-1] == "sent to the model as the result of call c9 (final_result)"
    assert texts(first, "pre")[-1] == "Bad arguments:\n  city: required"


def test_steps_are_numbered_per_branch() -> None:
    elements = parse(render_html(best_of_two()))

    headings = [e.all_text() for e in elements if e.tag == "h3"]
    assert headings == [
        "Step 1 openai:o4-minibranch b0500 ms · 50 in / 5 out · $0.0000",
        "Step 1 openai:o4-minibranch b11.50 s · 50 in / 5 out · $0.0000",
    ]
    assert [e.attrs["id"] for e in elements if e.tag == "article"] == ["step-1", "step-2"]


def test_guardrail_events_get_a_line_each() -> None:
    at: dict[str, Any] = {"run_id": "run-trip", "ts": T0 + 0.005}
    events = trip_run()
    events[1:1] = [
        GuardrailStart(stage="input", guardrail="no_pii", **at),
        GuardrailEnd(stage="input", guardrail="no_pii", tripped=False, duration_s=0.004, **at),
        GuardrailEnd(stage="input", guardrail="on_topic", tripped=True, duration_s=0.25, reason="Off topic.", **at),
        GuardrailEnd(stage="output", guardrail="tone", tripped=False, duration_s=1.5, error="ValueError: boom", **at),
    ]

    items = texts(section(render_html(events), "notices"), "li")

    assert items[:3] == [
        "+5 ms input guardrail 'no_pii' passed after 4 ms",
        "+5 ms input guardrail 'on_topic' tripped after 250 ms: Off topic.",
        "+5 ms output guardrail 'tone' failed after 1500 ms: ValueError: boom",
    ]


def test_a_sub_agent_run_is_nested_not_taken_for_the_run() -> None:
    helper = Agent(ScriptedModel([text("Paris")]), name="helper", instructions="You research.")
    research = helper.as_tool(name="research", description="Researches a question.")
    parent_model = ScriptedModel([call("research", id="c1", task="Capital of France?"), text("It is Paris.")])
    result = Agent(parent_model, tools=[research], instructions="You answer.").run_sync("Capital?")

    html = render_html(result)
    elements = parse(html)

    assert texts(section(html, "task"), "pre") == ["Capital?", "It is Paris."]
    assert texts(section(html, "setup"), "pre")[0] == "You answer."
    labels = [e.all_text() for e in elements if "tl-label" in e.classes]
    assert labels == ["step 1", "step 1 · sub-agent of call c1", "step 2"]
    run_id = result.run_id
    notices = [line.split(" ", 2)[2] for line in texts(section(html, "notices"), "li")]  # without "+N ms"
    assert notices == [
        f"sub-agent run [sub-agent of call c1] started: {run_id}:0:c1 · test:scripted · task: Capital of France?",
        "sub-agent run [sub-agent of call c1] ended: final · answer: Paris",
    ]


def test_the_setup_in_run_start_is_scrubbed_of_secrets() -> None:
    key = "sk-proj-abcdefghijklmnopqrstuvwxyz"
    settings = ModelSettings(extra_body={"api_key": "hunter2-but-long", "user": "ann"})
    agent = Agent(ScriptedModel(["ok"]), instructions=f"Use the key {key} when asked.", settings=settings)

    start = agent.run_sync("Hi").events[0]

    assert isinstance(start, RunStart)
    assert start.instructions == "Use the key [REDACTED] when asked."
    assert start.settings == {"extra_body": {"api_key": "[REDACTED]", "user": "ann"}}
