"""EffortSchedule on the wire: the Responses adapter sends the lowered effort as ``reasoning.effort``."""

from __future__ import annotations

from agentkit import Budget, EffortSchedule, ModelSettings
from tests.emulator import Emulator, Reply
from tests.emulator import ToolCall as Call
from tests.models._helpers import responses_model, weather_agent


async def test_each_request_carries_the_scheduled_effort(emulator: Emulator) -> None:
    emulator.script(
        Reply(reasoning="Paris first.", tool_calls=[Call("get_weather", {"city": "Paris"})]),
        Reply(reasoning="Now Rome.", tool_calls=[Call("get_weather", {"city": "Rome"})]),
        Reply(reasoning="Paris is warmer.", text="Paris is sunnier and warmer than Rome."),
    )
    agent = weather_agent(
        responses_model(emulator),
        settings=ModelSettings(reasoning_effort="high"),
        effort_schedule=EffortSchedule([(0.3, "medium"), (0.6, "low")]),
    )

    result = await agent.run("Paris or Rome: which is warmer?", budget=Budget(max_turns=3))

    assert result.output == "Paris is sunnier and warmer than Rome."
    emulator.assert_all_consumed()
    bodies = emulator.bodies("/v1/responses")
    assert [body["reasoning"]["effort"] for body in bodies] == ["high", "medium", "low"]
