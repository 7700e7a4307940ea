"""Sessions and context management: a run that summarizes part of the stored conversation stores its
compacted transcript as the conversation from now on (a restart), never the stored part twice."""

from __future__ import annotations

from agentkit import Agent, ContextPolicy, ModelRequest, ModelResponse, Session, TextPart, UserPart
from agentkit.result import AgentResult
from agentkit.sessions import MemorySessionStore, SessionStore
from agentkit.sessions._binding import to_store
from agentkit.testing import FunctionModel
from agentkit.usage import Usage
from tests.compaction._helpers import unanswered_calls
from tests.compaction.test_loop import Reader, read_page
from tests.sessions.agents import user_prompts


def _turn(prompt: str, answer: str) -> list[ModelRequest | ModelResponse]:
    return [ModelRequest(parts=[UserPart(content=prompt)]), ModelResponse(parts=[TextPart(content=answer)])]


def test_a_restart_starts_the_conversation_again_and_keeps_the_rows(store: SessionStore) -> None:
    store.append("s", _turn("a", "1") + _turn("b", "2"))
    store.append("s", _turn("summary", "ok"), restart=True)
    store.append("s", _turn("c", "3"))
    assert user_prompts(store.load("s")) == ["summary", "c"]
    assert [(i.id, i.messages) for i in store.list_sessions()] == [("s", 4)]
    store.append("s", _turn("again", "ok"), restart=True)
    assert user_prompts(store.load("s")) == ["again"]
    assert store.delete("s") == 10


def test_what_a_run_stores() -> None:
    history = _turn("a", "1")
    run = _turn("b", "2")
    plain = AgentResult(output="2", usage=Usage(), messages=history + run, stop_reason="final", run_id="r")
    plain.new_message_index = 2
    assert to_store(plain, loaded=2) == (run, False)
    summarized = AgentResult(output="2", usage=Usage(), messages=run, stop_reason="final", run_id="r")
    assert to_store(summarized, loaded=2) == (run, True)  # the boundary went into a summary
    assert to_store(summarized, loaded=0) == (run, False)  # a new session: everything is new


async def test_a_long_session_with_context_management_continues_without_repeating_itself() -> None:
    store = MemorySessionStore()
    reader = Reader(pages=30)
    agent = Agent(FunctionModel(reader), tools=[read_page], context=ContextPolicy(window=3000))
    first = await agent.run("Read pages 0 to 29.", session=Session("long", store=store))
    assert store.load("long") == first.messages
    reader.pages = 40
    second = await agent.run("Read 10 more.", session=Session("long", store=store))
    assert second.output == "Code: 4417"
    assert reader.problems == []
    stored = store.load("long")
    assert unanswered_calls(stored) == []
    assert isinstance(stored[-1], ModelResponse) and stored[-1].text == "Code: 4417"
    assert second.new_message_index == 0  # the second run summarized across its own start: a restart
    assert stored == second.messages
    assert user_prompts(stored)[0].startswith("[Earlier turns of this conversation were summarized")
    assert "Read pages 0 to 29." not in user_prompts(stored)  # the first run's turns are not stored twice
    third = await agent.run("Anything else?", session=Session("long", store=store))
    assert third.output == "Code: 4417"
    assert unanswered_calls(store.load("long")) == []
