"""A session continues on each wire format after a typed answer: the stored messages (JSON rows in a
SQLite file) go back through the emulator, which refuses an unanswered tool call or changed reasoning state
with each provider's own 400."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentkit import Session
from agentkit.sessions import SQLiteSessionStore
from tests.core.test_conversations import FINAL, WEATHER, WIRES, Forecast, model_for, text_agent, typed_agent
from tests.emulator import Emulator, Reply
from tests.models._helpers import close_models
from tests.models.conftest import LITELLM_WARNING
from tests.sessions.agents import user_prompts

__all__ = ["close_models"]

pytestmark = pytest.mark.filterwarnings(LITELLM_WARNING)


@pytest.mark.parametrize("wire", WIRES)
async def test_a_session_continues_after_a_typed_answer_on_every_wire(wire: str, tmp_path: Path) -> None:
    store = SQLiteSessionStore(tmp_path / "sessions.sqlite")
    with Emulator() as emu:
        model = model_for(wire, emu)
        emu.script(
            Reply(reasoning="Look it up.", tool_calls=[WEATHER]),
            Reply(reasoning="Answer.", tool_calls=[FINAL]),
            Reply(reasoning="Recall.", text="It was sunny in Paris."),
        )
        first = await typed_agent(model, wire).run("Weather in Paris?", session=Session("w", store=store))
        assert first.output == Forecast(city="Paris", weather="sunny, 24 C")
        second = await text_agent(model, wire).run("What did you find?", session=Session("w", store=store))
        assert second.output == "It was sunny in Paris."
        assert [r.status for r in emu.requests] == [200, 200, 200]
        emu.assert_all_consumed()
    stored = store.load("w")
    assert stored == second.messages
    assert user_prompts(stored) == ["Weather in Paris?", "What did you find?"]
