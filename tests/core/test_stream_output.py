"""``agent.stream_output()``: partial typed output as the answer streams, deduplicated, validated output last."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field

from agentkit import Agent, ModelRetry, RunContext, tool
from agentkit._output import OutputSpec
from agentkit._partial import NOTHING, PartialValidator, parse_partial
from agentkit.exceptions import UserError
from agentkit.messages import ToolCall
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, TestModel, call, response, text


class Weather(BaseModel):
    city: str
    temp: int


class City(BaseModel):
    name: str
    sights: list[str] = Field(default_factory=list)


class Trip(BaseModel):
    title: str
    cities: list[City]


def fields(value: Any) -> Any:
    """A partial value as plain data (``None`` for fields not arrived yet)."""
    return value.model_dump() if isinstance(value, BaseModel) else value


async def partials(agent: Agent[Any, Any], prompt: str = "go") -> list[Any]:
    return [value async for value in agent.stream_output(prompt)]


# --- text output ---------------------------------------------------------------------------------


async def test_text_output_yields_the_text_so_far() -> None:
    agent = Agent(ScriptedModel(["Hello there!"], chunk_size=5))

    assert await partials(agent) == ["Hello", "Hello ther", "Hello there!"]


async def test_text_restarts_at_each_model_request_after_a_tool_call() -> None:
    @tool(side_effect="pure")
    def lookup() -> str:
        """Look it up."""
        return "42"

    model = ScriptedModel([response(text("Let me check."), call("lookup", id="c1")), "It is 42."], chunk_size=7)

    values = await partials(Agent(model, tools=[lookup]))

    assert values == ["Let me ", "Let me check.", "It is 4", "It is 42."]


# --- typed output through the output tool --------------------------------------------------------


async def test_model_output_yields_each_changed_partial_value_then_the_validated_one() -> None:
    # '{"city": "Paris", "temp": 21}' in pieces of 6: '{"city' '": "Pa' 'ris", ' '"temp"' ': 21}'
    model = ScriptedModel([call("final_result", city="Paris", temp=21)], chunk_size=6)

    values = await partials(Agent(model, output_type=Weather))

    assert [fields(v) for v in values] == [
        {"city": None, "temp": None},
        {"city": "Pa", "temp": None},
        {"city": "Paris", "temp": None},
        {"city": "Paris", "temp": 21},
    ]
    assert all(isinstance(v, Weather) for v in values)
    assert [v.model_fields_set for v in values[:3]] == [set(), {"city"}, {"city"}]
    assert values[-1] == Weather(city="Paris", temp=21)


async def test_nested_models_and_lists_fill_in_as_they_stream() -> None:
    trip: dict[str, Any] = {"title": "Rome", "cities": [{"name": "Rome", "sights": ["Forum", "Pantheon"]}]}
    model = ScriptedModel([call("final_result", **trip)], chunk_size=9)

    values = [fields(v) for v in await partials(Agent(model, output_type=Trip))]

    # '{"title":' ' "Rome", ' '"cities":' ' [{"name"' ': "Rome",' ' "sights"' ': ["Forum' '", "Panth' 'eon"]}]}'
    assert values == [
        {"title": None, "cities": None},
        {"title": "Rome", "cities": None},
        {"title": "Rome", "cities": [{"name": None, "sights": []}]},
        {"title": "Rome", "cities": [{"name": "Rome", "sights": []}]},
        {"title": "Rome", "cities": [{"name": "Rome", "sights": ["Forum"]}]},
        {"title": "Rome", "cities": [{"name": "Rome", "sights": ["Forum", "Panth"]}]},
        {"title": "Rome", "cities": [{"name": "Rome", "sights": ["Forum", "Pantheon"]}]},
    ]


async def test_a_non_object_output_type_streams_from_under_its_result_key() -> None:
    model = ScriptedModel([call("final_result", result=[1, 22, 333])], chunk_size=4)

    # '{"re' 'sult' '": [' '1, 2' '2, 3' '33]}'
    assert await partials(Agent(model, output_type=list[int])) == [[], [1], [1, 22], [1, 22, 333]]


async def test_a_retried_answer_starts_over_and_the_validated_output_comes_last() -> None:
    model = ScriptedModel(
        [call("final_result", city="Oslo", temp="cold"), call("final_result", city="Rome", temp=19)], chunk_size=30
    )

    values = [fields(v) for v in await partials(Agent(model, output_type=Weather))]

    assert values == [{"city": "Oslo", "temp": None}, {"city": "Rome", "temp": 19}]


async def test_an_output_validator_s_change_arrives_as_the_last_value() -> None:
    agent = Agent(ScriptedModel([call("final_result", city="paris", temp=21)], chunk_size=100), output_type=Weather)

    @agent.output_validator
    def capitalise(ctx: RunContext[None], output: Weather) -> Weather:
        return output.model_copy(update={"city": output.city.title()})

    assert [fields(v) for v in await partials(agent)] == [
        {"city": "paris", "temp": 21},
        {"city": "Paris", "temp": 21},
    ]


async def test_other_tool_calls_stream_no_output() -> None:
    @tool(side_effect="pure")
    def forecast(city: str) -> str:
        """Forecast."""
        return "21"

    model = ScriptedModel([call("forecast", city="Paris"), call("final_result", city="Paris", temp=21)], chunk_size=50)

    values = await partials(Agent(model, tools=[forecast], output_type=Weather))

    assert values == [Weather(city="Paris", temp=21)]


async def test_a_function_model_streams_in_chunks_too() -> None:
    def answer(messages: list[Any], info: RecordedRequest) -> Any:
        assert info.params.output_tool is not None
        return response(ToolCall(id="c", name=info.params.output_tool.name, arguments='{"city":"Nice","temp":25}'))

    values = await partials(Agent(FunctionModel(answer, chunk_size=12), output_type=Weather))

    # '{"city":"Nic' 'e","temp":25' '}': 25 shows once it is complete (it might have been 250)
    assert [fields(v) for v in values] == [
        {"city": "Nic", "temp": None},
        {"city": "Nice", "temp": None},
        {"city": "Nice", "temp": 25},
    ]


async def test_test_model_streams_its_generated_output_in_chunks() -> None:
    values = await partials(Agent(TestModel(chunk_size=3), output_type=Weather))

    assert len(values) > 2 and values[0].model_fields_set == set()
    assert isinstance(values[-1], Weather) and values[-1].model_fields_set == {"city", "temp"}


async def test_a_sub_agent_s_output_is_not_the_run_s() -> None:
    helper = Agent(ScriptedModel(["helper says hi"], chunk_size=100), name="helper")
    helper_tool = helper.as_tool(description="Ask the helper.")
    model = ScriptedModel([call("helper", task="hi", id="c1"), "done"], chunk_size=100)

    assert await partials(Agent(model, tools=[helper_tool])) == ["done"]


async def test_stopping_early_cancels_the_run() -> None:
    model = ScriptedModel([call("final_result", city="Paris", temp=21)], chunk_size=3)
    stream = Agent(model, output_type=Weather).stream_output("go")

    async for value in stream:
        assert fields(value) == {"city": None, "temp": None}
        break
    await stream.aclose()  # type: ignore[attr-defined]


async def test_errors_of_the_run_propagate() -> None:
    agent = Agent(ScriptedModel([]))
    with pytest.raises(UserError, match="ScriptedModel ran out of responses"):
        await partials(agent)


async def test_model_retry_in_validator_restarts_the_partials() -> None:
    agent = Agent(ScriptedModel(["draft", "final"], chunk_size=10))
    seen: list[str] = []

    @agent.output_validator
    def check(ctx: RunContext[None], output: str) -> str:
        seen.append(output)
        if output == "draft":
            raise ModelRetry("Not a draft, please.")
        return output

    assert await partials(agent) == ["draft", "final"]
    assert seen == ["draft", "final"]


# --- the partial parser and validator ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 12', {}),
        ('{"a": 12,', {"a": 12}),
        ("[1, 2", [1]),
        ('{"a": "route 66', {"a": "route 66"}),
        ('{"a": "say \\"12', {"a": 'say "12'}),
        ('{"a": "x\\\\", "b": 1.5', {"a": "x\\"}),
        ('{"a": tr', {}),
        ('{"a": true', {"a": True}),
        ('{"a": false, "b": -', {"a": False}),
        ('{"a": 1e', {}),
        ('{"a": 1e5}', {"a": 100000.0}),
        ("", NOTHING),
        ("not json", NOTHING),
    ],
)
def test_parse_partial_leaves_out_a_number_still_streaming(text: str, expected: Any) -> None:
    assert parse_partial(text) == expected


def test_a_field_that_fails_its_constraints_waits() -> None:
    class Code(BaseModel):
        code: str = Field(min_length=3)
        n: int

    validator = PartialValidator(OutputSpec.of(Code))

    assert fields(validator.from_arguments('{"code": "ab')) == {"code": None, "n": None}
    assert fields(validator.from_arguments('{"code": "abc')) == {"code": "abc", "n": None}


def test_aliases_are_read_from_the_json() -> None:
    class Aliased(BaseModel):
        city_name: str = Field(alias="cityName")
        temp: int

    validator = PartialValidator(OutputSpec.of(Aliased))

    value = validator.from_arguments('{"cityName": "Li')
    assert value.city_name == "Li" and value.model_fields_set == {"city_name"}


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(UserError) as info:
        ScriptedModel(["x"], chunk_size=0)
    assert str(info.value) == "chunk_size must be >= 1 (or None: one delta per part), got 0."
