"""The LongRun responder: its checks must catch a cut or missing newest tool result on every wire format."""

from __future__ import annotations

from typing import Any

import pytest

from .long_run import PLANTED, UNKNOWN, LongRun, newest_tool_result, page_text

JSON = dict[str, Any]
TOOLS = [{"type": "function", "function": {"name": "read_page", "parameters": {}}}]


def chat(call_id: str, content: str) -> JSON:
    return {
        "tools": TOOLS,
        "messages": [{"role": "user", "content": "go"}, {"role": "tool", "tool_call_id": call_id, "content": content}],
    }


def responses(call_id: str, content: str) -> JSON:
    return {"tools": TOOLS, "input": [{"type": "function_call_output", "call_id": call_id, "output": content}]}


def anthropic(call_id: str, content: str) -> JSON:
    block = {"type": "tool_result", "tool_use_id": call_id, "content": [{"type": "text", "text": content}]}
    return {"tools": TOOLS, "messages": [{"role": "user", "content": [block]}]}


@pytest.mark.parametrize("wire", [chat, responses, anthropic])
def test_newest_tool_result_is_read_on_every_wire_format(wire: Any) -> None:
    assert newest_tool_result(wire("call_p3", "abc")) == ("call_p3", "abc")
    assert newest_tool_result({"messages": [{"role": "user", "content": "go"}]}) is None


@pytest.mark.parametrize("wire", [chat, responses, anthropic])
def test_a_cut_or_stale_newest_result_is_recorded(wire: Any) -> None:
    run = LongRun(steps=3, page_chars=100)
    first = run({"tools": TOOLS, "messages": [{"role": "user", "content": "go"}]})
    assert [c.call_id for c in first.tool_calls] == ["call_p0"]
    second = run(wire("call_p0", page_text(0, 100)))  # whole: fine
    assert second.text == PLANTED and run.problems == []
    run(wire("call_p1", page_text(1, 100)[:60]))  # cut
    run(wire("call_p1", page_text(2, 100)))  # stale id (call_p2 is the newest)
    assert run.problems == [
        "after call call_p1: newest tool result is call_p1: " + repr(page_text(1, 100)[:60]),
        "after call call_p2: newest tool result is call_p1: " + repr(page_text(2, 100)[:80]),
    ]


def test_summaries_keep_the_fact_and_the_final_answer_reads_it() -> None:
    run = LongRun(steps=0)
    summary = run({"messages": [{"role": "user", "content": f"Transcript to add: ... {PLANTED} ..."}]})
    assert summary.text is not None and "vault code is 4417" in summary.text and run.summaries == 1
    later = run({"tools": TOOLS, "messages": [{"role": "user", "content": summary.text}]})
    assert later.text == "The vault code is 4417."
    forgotten = run({"tools": TOOLS, "messages": [{"role": "user", "content": "no facts here"}]})
    assert forgotten.text == UNKNOWN
