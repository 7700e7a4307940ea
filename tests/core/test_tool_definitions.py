"""Tool definition errors name the tool and the parameter; sync tools run in worker threads unless told not to."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agentkit import Agent, RunContext, Tool, ToolDefinitionError, UserError, tool
from agentkit.messages import ModelRequest, ToolResult
from agentkit.testing import ScriptedModel, call

DB_ERROR = (
    "tool 'price_of', parameter 'db': type sqlite3.Connection cannot be sent to a model; take it from ctx.deps instead"
)


def price_of(db: sqlite3.Connection, item: str) -> float:
    """The price of an item."""
    raise AssertionError("never called")


def _register_with_tool(func: Callable[..., Any]) -> object:
    return tool(func)


def _register_with_options(func: Callable[..., Any]) -> object:
    return tool(side_effect="pure")(func)


def _register_on_agent(func: Callable[..., Any]) -> object:
    return Agent(ScriptedModel([])).tool(func)


def _register_in_constructor(func: Callable[..., Any]) -> object:
    return Agent(ScriptedModel([]), tools=[func])


def _register_from_function(func: Callable[..., Any]) -> object:
    return Tool.from_function(func)


REGISTRATIONS = [
    _register_with_tool,
    _register_with_options,
    _register_on_agent,
    _register_in_constructor,
    _register_from_function,
]


@pytest.mark.parametrize("register", REGISTRATIONS)
def test_an_unsupported_type_names_the_tool_and_the_parameter(register: Callable[..., object]) -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        register(price_of)
    assert str(caught.value) == DB_ERROR
    assert isinstance(caught.value, UserError)


def test_a_container_of_an_unsupported_type() -> None:
    def price_all(dbs: list[sqlite3.Connection]) -> None: ...

    with pytest.raises(ToolDefinitionError) as caught:
        tool(price_all)
    assert str(caught.value) == (
        "tool 'price_all', parameter 'dbs': type list[sqlite3.Connection] cannot be sent to a model; "
        "take it from ctx.deps instead"
    )


def test_a_callable_parameter() -> None:
    def apply(item: str, on_done: Callable[[str], None]) -> None: ...

    with pytest.raises(ToolDefinitionError) as caught:
        tool(apply)
    assert str(caught.value) == (
        "tool 'apply', parameter 'on_done': type collections.abc.Callable[[str], None] cannot be sent to a "
        "model; take it from ctx.deps instead"
    )


def test_the_tools_given_name_is_the_one_named() -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        tool(name="lookup_price")(price_of)
    assert str(caught.value).startswith("tool 'lookup_price', parameter 'db': type sqlite3.Connection")


def test_the_connection_from_deps_is_fine() -> None:
    @tool
    def price_of(ctx: RunContext[sqlite3.Connection], item: str) -> None: ...

    assert list(price_of.parameters["properties"]) == ["item"]


@pytest.mark.parametrize("register", REGISTRATIONS)
def test_an_unannotated_parameter_is_an_error(register: Callable[..., object]) -> None:
    def stock(item, warehouse: str) -> None:  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(ToolDefinitionError) as caught:
        register(stock)
    assert str(caught.value) == (
        "tool 'stock', parameter 'item': no type annotation, so the model is not told what to send; "
        "annotate it, e.g. 'item: str' (or 'item: Any' to accept any JSON value)"
    )


def test_an_unannotated_ctx_is_pointed_at_run_context() -> None:
    def stock(ctx, item: str) -> None:  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(ToolDefinitionError) as caught:
        tool(stock)
    assert str(caught.value) == (
        "tool 'stock', parameter 'ctx': no type annotation; annotate it 'ctx: RunContext[Deps]' to receive "
        "the run context as the first parameter"
    )


def test_an_unannotated_lambda_is_an_error() -> None:
    with pytest.raises(ToolDefinitionError) as caught:
        Tool.from_function(lambda pin: pin, name="unlock")
    assert str(caught.value).startswith("tool 'unlock', parameter 'pin': no type annotation")


def test_any_accepts_any_json_value() -> None:
    @tool
    def stock(item: Any) -> None: ...

    assert stock.parameters["properties"] == {"item": {}}


# --- sync tools run in worker threads; in_thread=False calls them on the event loop's thread -------


@pytest.fixture
def db() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")  # made in this thread: sqlite3 refuses it in any other
    connection.execute("create table prices (item text, price real)")
    connection.execute("insert into prices values ('tea', 2.5)")
    yield connection
    connection.close()


def _price_tool(in_thread: bool) -> Tool[Any]:
    @tool(side_effect="pure", in_thread=in_thread)
    def price(ctx: RunContext[sqlite3.Connection], item: str) -> float:
        """The price of an item."""
        return float(ctx.deps.execute("select price from prices where item = ?", (item,)).fetchone()[0])

    return price


def _tool_result_text(model: ScriptedModel) -> str:
    request = model.requests[-1].messages[-1]
    assert isinstance(request, ModelRequest)
    part = request.parts[0]
    return part.content_text() if isinstance(part, ToolResult) else str(getattr(part, "content", ""))


def test_a_sync_tool_runs_in_a_worker_thread_where_sqlite_refuses_the_connection(db: sqlite3.Connection) -> None:
    model = ScriptedModel([call("price", item="tea"), "done"])
    Agent(model, tools=[_price_tool(in_thread=True)], deps_type=sqlite3.Connection).run_sync("?", deps=db)
    assert "SQLite objects created in a thread can only be used in that same thread" in _tool_result_text(model)


def test_in_thread_false_calls_it_on_the_event_loops_thread(db: sqlite3.Connection) -> None:
    model = ScriptedModel([call("price", item="tea"), "done"])
    Agent(model, tools=[_price_tool(in_thread=False)], deps_type=sqlite3.Connection).run_sync("?", deps=db)
    assert _tool_result_text(model) == "2.5"


@pytest.mark.parametrize(("in_thread", "same_thread"), [(True, False), (False, True)])
def test_which_thread_a_sync_tool_runs_in(in_thread: bool, same_thread: bool) -> None:
    seen: list[int] = []
    agent = Agent(ScriptedModel([call("where"), "done"]))

    @agent.tool(in_thread=in_thread)
    def where() -> str:
        seen.append(threading.get_ident())
        return "here"

    agent.run_sync("?")
    assert (seen == [threading.get_ident()]) is same_thread
