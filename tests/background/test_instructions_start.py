"""``agent.start(..., instructions=...)``: the run's instructions are stored with it and reach the model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentkit import Agent, RunContext, UserError
from agentkit.background import DurableBackend, DurableConfig
from agentkit.messages import ModelRequest, ModelResponse, SystemPart
from agentkit.testing import FunctionModel, RecordedRequest


def _echo_instructions(messages: list[ModelRequest | ModelResponse], info: RecordedRequest) -> str:
    """Answers with the system text the request carried."""
    first = messages[0]
    assert isinstance(first, ModelRequest)
    return " | ".join(p.content for p in first.parts if isinstance(p, SystemPart))


echo = Agent(FunctionModel(_echo_instructions), instructions="Be durable.", name="echo")


@echo.instructions
def _run_id(ctx: RunContext[None]) -> str:
    return f"Run {ctx.run_id}."


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DurableBackend]:
    url = f"sqlite:///{tmp_path_factory.mktemp('agentkit-home') / 'runs.sqlite'}"
    backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="unit", queue_poll_s=0.05))
    backend.launch()
    yield backend
    backend.shutdown()


def test_a_background_run_carries_its_instructions(backend: DurableBackend) -> None:
    """The worker reads the run's instructions from the stored spec's payload, as a replay would."""
    with_extra = echo.start("hi", instructions="Only this run.")
    plain = echo.start("hi")
    assert with_extra.result(timeout=20).output == f"Be durable.\n\nRun {with_extra.id}.\n\nOnly this run."
    assert plain.result(timeout=20).output == f"Be durable.\n\nRun {plain.id}."


def test_start_refuses_instructions_that_are_not_text(backend: DurableBackend) -> None:
    with pytest.raises(UserError) as info:
        echo.start("hi", instructions=3)
    assert str(info.value) == (
        "instructions= must be a str (or None), not int; "
        "for instructions computed per run, register a function with @agent.instructions."
    )
