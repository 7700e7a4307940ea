"""The HTML run report: content, structure, strategy branches, XSS safety."""

from __future__ import annotations

import base64
import hashlib
import re

from inline_snapshot import snapshot

from agentkit import Agent
from agentkit._report.assets import SCRIPT
from agentkit.report import render_html
from agentkit.strategies import BestOfN
from agentkit.strategies.result import Candidate, StrategyResult
from agentkit.testing import FunctionModel
from agentkit.usage import Usage

from . import obs_app
from .html_outline import Element, find, outline, parse
from .report_events import ANSWER, best_of_two, hostile_run, trip_run


def test_report_of_a_run_shows_timeline_steps_tools_tokens_and_cost() -> None:
    html = render_html(trip_run())

    assert outline(html) == snapshot(
        [
            "h1: Run run-trip final",
            "dt: Duration",
            "dd: 4.15 s",
            "dt: Steps",
            "dd: 2",
            "dt: Tool calls",
            "dd: 2",
            "dt: Tokens",
            "dd: 420 in / 140 out (50 reasoning)",
            "dt: Cost",
            "dd: $0.0056",
            "dt: Model",
            "dd: openai:o4-mini",
            "h2: Task",
            "h2: Answer",
            "h2: Timeline",
            "bar tl-model: step 1: openai:o4-mini · 1.20 s · 120 in / 80 out (50 reasoning)",
            "bar tl-tool: get_weather · 300 ms",
            "bar tl-tool tl-error: find_museums · 2.00 s · failed",
            "bar tl-model: step 2: openai:o4-mini · 900 ms · 300 in / 60 out",
            "h2: Setup",
            "h4: Instructions",
            "h4: Tools (2)",
            "summary: get_weather",
            "h4: Parameters (JSON schema)",
            "summary: find_museums",
            "h4: Parameters (JSON schema)",
            "h4: Settings",
            "th: temperature",
            "td: 0.3",
            "th: stop",
            'td: ["END"]',
            "h4: Budget",
            "th: max_cost_usd",
            "td: 0.01",
            "h2: Steps",
            "h3: Step 1 openai:o4-mini1.20 s · 120 in / 80 out (50 reasoning) · $0.0021",
            "summary: Reasoning",
            "summary: get_weather 300 ms · c1",
            "h4: Arguments",
            "h4: Result",
            "summary: find_museums 2.00 s · c2 failed",
            "h4: Arguments",
            "h4: Retry prompt",
            "h3: Step 2 openai:o4-mini900 ms · 300 in / 60 out · $0.0035",
            "h4: Text",
            "h2: Events",
            "li: +3.23 s budget warning: limit=max_cost_usd, used=0.0085, maximum=0.01",
        ]
    )


def test_timeline_bars_are_placed_by_time_and_parallel_calls_get_their_own_lane() -> None:
    elements = parse(render_html(trip_run()))

    bars = [(b.attrs["class"], b.attrs["style"]) for b in find(elements, "tl-bar")]
    assert bars == snapshot(
        [
            ("tl-bar tl-model", "left:0.24%;width:28.92%"),
            ("tl-bar tl-tool", "top:18px;left:29.40%;width:7.23%"),
            ("tl-bar tl-tool tl-error", "top:28px;left:29.40%;width:48.19%"),
            ("tl-bar tl-model", "left:78.07%;width:21.69%"),
        ]
    )
    tracks = [t.attrs["style"] for t in find(elements, "tl-track")]
    assert tracks == ["height:38px", "height:18px"]


def test_report_from_a_result_matches_the_report_from_its_saved_events() -> None:
    agent: Agent[None, str] = Agent(obs_app.weather_model(), tools=[obs_app.get_weather])
    result = agent.run_sync("Weather in Paris?")
    as_dicts = [e.model_dump(mode="json") for e in result.events]

    from_result = render_html(result)
    assert from_result == render_html(as_dicts)
    assert from_result == render_html(result.events)
    assert len(find(parse(from_result), "tl-bar")) == 3
    assert "It is 21 °C and clear in Paris." in from_result


def test_strategy_branches_and_their_scores() -> None:
    html = render_html(best_of_two())

    rows = [line for line in outline(html) if line.startswith(("th:", "td:"))]
    assert rows == snapshot(
        [
            "th: Branch",
            "th: Strategy",
            "th: Status",
            "th: Scores",
            "th: Detail",
            "td: b0",
            "td: best_of_n",
            "td: chosen",
            "td: 0.9",
            "td: correct",
            "td: b1",
            "td: best_of_n",
            "td: pruned",
            "td: 0.25",
            "td: off by one",
        ]
    )
    labels = [e.all_text() for e in find(parse(html), "tl-label")]
    assert labels == ["step 1 · branch b0", "step 1 · branch b1"]  # numbered per branch


def test_strategy_candidates_from_a_strategy_result() -> None:
    spent = Usage(input_tokens=1_200, output_tokens=55, cost_usd=0.0005)
    candidates = [
        Candidate(index=0, branch_id="b0", status="finished", output="4", score=0.9, feedback="correct", usage=spent),
        Candidate(index=1, branch_id="b1", status="pruned", output="5", score=0.25, feedback="off by one", usage=spent),
    ]
    result = StrategyResult(
        output="4",
        usage=Usage(input_tokens=100, output_tokens=10, cost_usd=0.001),
        messages=[],
        stop_reason="final",
        run_id="run-s",
        events=best_of_two(),
        strategy="best_of_n",
        candidates=candidates,
        chosen=0,
        reason="Highest verifier score.",
    )

    elements = parse(render_html(result))

    section = next(e for e in elements if e.attrs.get("id") == "strategy")
    rows = [[" ".join(c.all_text().split()) for c in r.children if c.tag in {"th", "td"}] for r in parse_rows(section)]
    assert [c.all_text() for c in section.children[:2]] == ["Strategy: best_of_n", "Highest verifier score."]
    assert rows == snapshot(
        [
            ["#", "Branch", "Status", "Score", "Tokens", "Cost", "Answer", "Feedback"],
            ["0", "b0", "finished · chosen", "0.9", "1,255", "$0.0005", "4", "correct"],
            ["1", "b1", "pruned", "0.25", "1,255", "$0.0005", "5", "off by one"],
        ]
    )
    assert [r.attrs.get("class") for r in elements if r.tag == "tr"] == [None, "chosen", "pruned"]


def parse_rows(section: Element) -> list[Element]:
    found: list[Element] = []
    for child in section.children:
        found += [child] if child.tag == "tr" else parse_rows(child)
    return found


def test_every_piece_of_content_is_escaped() -> None:
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&</pre></textarea>"
    html = render_html(hostile_run(payload), error=payload)

    elements = parse(html)
    assert [e.tag for e in elements if e.tag in {"script", "img", "textarea", "iframe"}] == ["script"]
    assert [(e.tag, k) for e in elements for k in e.attrs if k.startswith("on")] == []
    assert "<script>alert" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 10
    script = next(e for e in elements if e.tag == "script")
    assert script.all_text() == SCRIPT


def test_the_script_is_pinned_by_the_content_security_policy_and_nothing_loads_from_the_network() -> None:
    html = render_html(trip_run())

    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    csp = next(e.attrs["content"] for e in parse(html) if e.attrs.get("http-equiv") == "Content-Security-Policy")
    assert csp == f"default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{digest}'"
    assert not re.search(r"(src|href)=\"(https?:)?//", html)


def test_an_unfinished_run_with_an_error() -> None:
    events = trip_run()[:7]

    html = render_html(events, error="ModelHTTPError: Model 'o4-mini' answered HTTP 500")

    lines = outline(html)
    assert "h1: Run run-trip failed" in lines
    assert "h2: Error" in lines and "h2: Answer" not in lines
    assert "ModelHTTPError: Model &#x27;o4-mini&#x27; answered HTTP 500" in html


def test_a_request_that_got_no_response_is_marked() -> None:
    html = render_html(trip_run()[:9])

    assert "No response was recorded for this request." in html
    assert "h1: Run run-trip did not finish" in outline(html)


def test_unknown_event_kinds_are_skipped_and_counted() -> None:
    events: list[object] = [e.model_dump(mode="json") for e in trip_run()]
    events.insert(3, {"kind": "from_the_future", "ts": 1.0})

    html = render_html(events)  # type: ignore[arg-type]

    assert "1 event(s) of kinds this version does not know were skipped." in html
    assert ANSWER in html


def test_long_contents_are_cut_with_a_note() -> None:
    events = trip_run()
    end = events[5]
    long_result = end.model_copy(update={"result": end.result.model_copy(update={"content": "x" * 25_000})})  # type: ignore[union-attr]
    events[5] = long_result

    html = render_html(events)

    assert "x" * 20_000 in html and "x" * 20_001 not in html
    assert "… [5,000 more characters not shown]" in html


def test_report_of_a_best_of_n_run_marks_the_chosen_candidate() -> None:
    answers = iter(["3", "4", "5"])
    agent: Agent[None, str] = Agent(FunctionModel(lambda messages, info: next(answers)))
    result = agent.run_sync("2+2?", strategy=BestOfN(n=3, verifier=lambda output: 1.0 if output == "4" else 0.0))

    elements = parse(render_html(result))

    chosen = [r for r in elements if r.tag == "tr" and r.attrs.get("class") == "chosen"]
    assert len(chosen) == 1
    assert [c.all_text() for c in chosen[0].children][6] == "4"  # the Answer column
    labels = sorted(e.all_text().split(" · ")[1] for e in find(elements, "tl-label"))
    assert labels == ["branch 0", "branch 1", "branch 2"]
