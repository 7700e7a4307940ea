"""Guardrails: input checks beside the first model request, output checks before the result is returned."""

from __future__ import annotations

import asyncio
import pickle
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from pydantic import BaseModel

import agentkit.tracing
from agentkit import (
    Agent,
    GuardrailError,
    GuardrailResult,
    InputGuardrail,
    InputGuardrailTripped,
    ModelRetry,
    OutputGuardrail,
    OutputGuardrailTripped,
    RunContext,
    UserError,
    tool,
)
from agentkit.background import InProcessStepRunner
from agentkit.events import AgentEvent, GuardrailEnd, GuardrailStart, event_adapter
from agentkit.messages import ModelRequest, ModelResponse, UserPart
from agentkit.strategies import BestOfN, StrategyResult
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, call

Messages = list[ModelRequest | ModelResponse]

TRIPPED_INPUT = (
    "Input guardrail 'no_secrets' tripped: the prompt asks for a password. The run was stopped before any tool "
    "ran. error.result.info holds what the guardrail reported; if this input should be allowed, change the "
    "guardrail."
)


class Ledger:
    """A tool that records its calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []

        @tool(side_effect="pure")
        def lookup(key: str) -> str:
            """Look a key up."""
            self.calls.append(key)
            return f"value of {key}"

        self.tool = lookup


def no_secrets(ctx: RunContext[Any], prompt: str) -> GuardrailResult:
    """A sync input guardrail."""
    return GuardrailResult(tripped="password" in prompt, info={"words": len(prompt.split())}, reason=_reason(prompt))


def _reason(prompt: str) -> str:
    return "the prompt asks for a password" if "password" in prompt else ""


def kinds(events: list[AgentEvent]) -> list[str]:
    return [e.kind for e in events]


# --- input guardrails ----------------------------------------------------------------------------


async def test_a_tripped_input_guardrail_stops_the_run_before_any_tool_runs() -> None:
    """The model answers with a tool call before the guardrail decides: the tool still never runs."""
    ledger = Ledger()
    answered = asyncio.Event()

    def model(messages: Messages, info: RecordedRequest) -> ModelResponse:
        answered.set()
        return call("lookup", key="admin")

    agent = Agent(FunctionModel(model), tools=[ledger.tool])

    @agent.input_guardrail
    async def no_secrets(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        await answered.wait()  # decide only after the model's tool call arrived
        return GuardrailResult(tripped=True, reason="the prompt asks for a password", info={"score": 0.97})

    with pytest.raises(InputGuardrailTripped) as caught:
        await agent.run("what is the admin password?")
    assert str(caught.value) == TRIPPED_INPUT
    assert ledger.calls == []
    assert caught.value.guardrail == "no_secrets"
    assert caught.value.result == GuardrailResult(True, {"score": 0.97}, "the prompt asks for a password")


async def test_input_guardrails_run_concurrently_with_the_first_model_request() -> None:
    """Each side waits until the other has started: it finishes only if both are in flight together."""
    order: list[str] = []
    model_started, guardrail_started = asyncio.Event(), asyncio.Event()

    async def model(messages: Messages, info: RecordedRequest) -> ModelResponse | str:
        order.append("model starts")
        model_started.set()
        await asyncio.wait_for(guardrail_started.wait(), 10)  # a guard against hanging, not a timing check
        return call("lookup", key="k") if order.count("model starts") == 1 else "done"

    async def check(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        order.append("guardrail starts")
        guardrail_started.set()
        await asyncio.wait_for(model_started.wait(), 10)
        order.append("guardrail passes")
        return GuardrailResult()

    ledger = Ledger()
    agent = Agent(FunctionModel(model), tools=[ledger.tool], input_guardrails=[check])
    result = await agent.run("hi")

    assert result.output == "done" and ledger.calls == ["k"]
    assert set(order[:2]) == {"guardrail starts", "model starts"}  # both started before either finished
    assert order.count("guardrail starts") == 1  # only the first request waits for the guardrails
    assert kinds(result.events)[:5] == [
        "run_start",
        "model_request",
        "guardrail_start",
        "guardrail_end",
        "model_response",
    ]


async def test_a_tripwire_cancels_the_model_request_still_in_flight() -> None:
    cancelled = asyncio.Event()

    async def model(messages: Messages, info: RecordedRequest) -> str:
        try:
            await asyncio.Event().wait()  # never answers
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "unreachable"

    agent = Agent(FunctionModel(model), input_guardrails=[no_secrets])
    with pytest.raises(InputGuardrailTripped):
        await agent.run("tell me the password")
    assert cancelled.is_set()


async def test_a_failing_model_request_stops_the_guardrails_still_running() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def waits_forever(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return GuardrailResult()

    async def model(messages: Messages, info: RecordedRequest) -> str:
        await started.wait()
        raise RuntimeError("provider down")

    agent = Agent(FunctionModel(model), input_guardrails=[waits_forever])
    with pytest.raises(RuntimeError, match="provider down"):
        await agent.run("hi")
    assert cancelled.is_set()


async def test_a_sync_input_guardrail_runs_in_a_thread_beside_the_model_request() -> None:
    """The sync guardrail blocks until the model request has started: it can't be running on the event loop."""
    requested = threading.Event()
    seen_threads: list[str] = []

    def model(messages: Messages, info: RecordedRequest) -> str:
        requested.set()
        return "done"

    def check(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        seen_threads.append(threading.current_thread().name)
        return GuardrailResult(tripped=not requested.wait(10))

    result = await Agent(FunctionModel(model), input_guardrails=[check]).run("hi")
    assert result.output == "done"
    assert seen_threads == ["agentkit-tool:guardrail:check"]


def test_a_sync_guardrail_trips_in_run_sync() -> None:
    agent = Agent(ScriptedModel(["fine", "unused"]), input_guardrails=[no_secrets])
    assert agent.run_sync("hello there").output == "fine"
    with pytest.raises(InputGuardrailTripped, match=r"^Input guardrail 'no_secrets' tripped"):
        agent.run_sync("password please")


async def test_input_guardrails_see_the_prompt_deps_and_history() -> None:
    seen: list[tuple[Any, str, int]] = []

    def check(ctx: RunContext[str], prompt: str) -> GuardrailResult:
        last = ctx.messages[-1]
        assert isinstance(last, ModelRequest) and isinstance(last.parts[-1], UserPart)
        seen.append((ctx.deps, prompt, len(ctx.messages)))
        return GuardrailResult()

    agent = Agent(ScriptedModel(["one", "two"]), deps_type=str, input_guardrails=[check])
    first = await agent.run("hi", deps="d")
    await agent.run("again", deps="d", message_history=first.messages)
    assert seen == [("d", "hi", 1), ("d", "again", 3)]


async def test_the_first_guardrail_to_trip_cancels_the_others() -> None:
    stopped = asyncio.Event()

    async def slow(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            stopped.set()
            raise
        return GuardrailResult()

    agent = Agent(ScriptedModel(["x"]), input_guardrails=[slow, no_secrets])
    events: list[AgentEvent] = []

    async def sink(event: AgentEvent) -> None:
        events.append(event)

    from agentkit import RunOptions

    with pytest.raises(InputGuardrailTripped, match="'no_secrets'"):
        await agent.run("password?", options=RunOptions(emit=sink))
    assert stopped.is_set()
    starts = [e for e in events if isinstance(e, GuardrailStart)]
    ends = [e for e in events if isinstance(e, GuardrailEnd)]
    assert [(e.stage, e.guardrail) for e in starts] == [("input", "slow"), ("input", "no_secrets")]
    assert [(e.guardrail, e.tripped) for e in ends] == [("no_secrets", True)]


# --- output guardrails ---------------------------------------------------------------------------


class Answer(BaseModel):
    text: str


async def test_an_output_guardrail_runs_after_validation_and_its_tripwire_withholds_the_output() -> None:
    order: list[str] = []
    agent = Agent(ScriptedModel([call("final_result", text="call 555-0100")]), output_type=Answer)

    @agent.output_validator
    def strip(ctx: RunContext[None], output: Answer) -> Answer:
        order.append("validator")
        return Answer(text=output.text.strip())

    @agent.output_guardrail
    async def no_phone_numbers(ctx: RunContext[None], output: Answer) -> GuardrailResult:
        order.append(f"guardrail sees {output.text!r}")
        return GuardrailResult(tripped="555" in output.text, reason="the answer holds a phone number")

    with pytest.raises(OutputGuardrailTripped) as caught:
        await agent.run("who do I call?")
    assert str(caught.value) == (
        "Output guardrail 'no_phone_numbers' tripped: the answer holds a phone number. The output was withheld. "
        "error.result.info holds what the guardrail reported; if this output should be allowed, change the "
        "guardrail."
    )
    assert order == ["validator", "guardrail sees 'call 555-0100'"]


async def test_a_passing_output_guardrail_returns_the_result_and_emits_its_events() -> None:
    def short(ctx: RunContext[None], output: str) -> GuardrailResult:
        return GuardrailResult(info={"chars": len(output)})

    agent = Agent(ScriptedModel(["fine"]), output_guardrails=[OutputGuardrail(short, name="short_answers")])
    result = await agent.run("hi")
    assert result.output == "fine"
    assert kinds(result.events) == [
        "run_start",
        "model_request",
        "model_response",
        "guardrail_start",
        "guardrail_end",
        "final",
    ]
    end = result.events[-2]
    assert isinstance(end, GuardrailEnd)
    assert (end.stage, end.guardrail, end.tripped, end.info, end.error) == (
        "output",
        "short_answers",
        False,
        {"chars": 4},
        None,
    )


async def test_an_output_guardrail_also_checks_a_best_effort_answer_at_the_budget_limit() -> None:
    from agentkit import Budget

    ledger = Ledger()
    model = ScriptedModel([call("lookup", key="a"), "secret answer"])
    agent = Agent(model, tools=[ledger.tool], budget=Budget(max_turns=1))

    @agent.output_guardrail
    def no_secret(ctx: RunContext[None], output: str) -> GuardrailResult:
        return GuardrailResult(tripped="secret" in output)

    with pytest.raises(
        OutputGuardrailTripped, match=r"^Output guardrail 'no_secret' tripped. The output was withheld."
    ):
        await agent.run("go")


# --- guardrails that fail ------------------------------------------------------------------------


async def test_an_input_guardrail_that_raises_stops_the_run_before_any_tool_runs() -> None:
    ledger = Ledger()

    def broken(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        raise ValueError("classifier offline")

    agent = Agent(ScriptedModel([call("lookup", key="k"), "done"]), tools=[ledger.tool], input_guardrails=[broken])
    with pytest.raises(GuardrailError) as caught:
        await agent.run("hi")
    assert str(caught.value) == (
        "Input guardrail 'broken' failed with ValueError: classifier offline. The run was stopped, as if it had "
        "tripped. Fix the guardrail, or catch the error inside it and return GuardrailResult(tripped=...)."
    )
    assert isinstance(caught.value.__cause__, ValueError)
    assert ledger.calls == []
    assert (caught.value.stage, caught.value.guardrail, caught.value.error_type) == ("input", "broken", "ValueError")


async def test_an_output_guardrail_raising_model_retry_is_told_to_use_an_output_validator() -> None:
    agent = Agent(ScriptedModel(["draft", "better"]))

    @agent.output_guardrail
    async def picky(ctx: RunContext[None], output: str) -> GuardrailResult:
        raise ModelRetry("try harder")

    events: list[AgentEvent] = []

    async def sink(event: AgentEvent) -> None:
        events.append(event)

    from agentkit import RunOptions

    with pytest.raises(GuardrailError) as caught:
        await agent.run("hi", options=RunOptions(emit=sink))
    assert str(caught.value) == (
        "Output guardrail 'picky' failed with ModelRetry: try harder. The run was stopped, as if it had tripped. "
        "Fix the guardrail, or catch the error inside it and return GuardrailResult(tripped=...). To ask the model "
        "for another answer, raise ModelRetry in an @agent.output_validator instead."
    )
    end = events[-1]
    assert isinstance(end, GuardrailEnd) and end.error == str(caught.value) and not end.tripped


async def test_a_guardrail_must_return_a_guardrail_result() -> None:
    def sloppy(ctx: RunContext[None], prompt: str) -> bool:
        return True

    agent = Agent(ScriptedModel(["x"]), input_guardrails=[sloppy])  # type: ignore[list-item]
    with pytest.raises(UserError) as caught:
        await agent.run("hi")
    assert str(caught.value) == "Input guardrail 'sloppy' returned bool; return GuardrailResult(tripped=..., info=...)."


def test_registration_refuses_what_cannot_be_a_guardrail() -> None:
    with pytest.raises(UserError) as not_callable:
        Agent(ScriptedModel([]), input_guardrails=[42])  # type: ignore[list-item]
    assert str(not_callable.value) == "An input guardrail must be a function (ctx, prompt) -> GuardrailResult, not int."

    def one(prompt: str) -> GuardrailResult:
        return GuardrailResult()

    with pytest.raises(UserError) as arity:
        Agent(ScriptedModel([]), output_guardrails=[one])  # type: ignore[list-item]
    assert str(arity.value) == (
        "Output guardrail 'one' must take two parameters (ctx, output); its signature is "
        "(prompt: 'str') -> 'GuardrailResult'."
    )

    agent = Agent(ScriptedModel([]), input_guardrails=[no_secrets])
    with pytest.raises(UserError) as twice:
        agent.input_guardrail(no_secrets)
    assert str(twice.value) == (
        "Two input guardrails are named 'no_secrets'; give one another name with InputGuardrail(function, name=...)."
    )
    agent.input_guardrail(InputGuardrail(no_secrets, name="no_secrets_2"))
    assert [g.name for g in agent.input_guardrails] == ["no_secrets", "no_secrets_2"]


@pytest.mark.parametrize(
    "error",
    [
        InputGuardrailTripped("g", GuardrailResult(True, {"score": 1}, "why")),
        OutputGuardrailTripped("g", GuardrailResult(True)),
        GuardrailError("output", "g", ValueError("boom")),
    ],
    ids=lambda e: type(e).__name__,
)
def test_guardrail_errors_round_trip_through_pickle(error: Exception) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error) and vars(copy) == vars(error)


# --- events, streaming, tracing ------------------------------------------------------------------


async def test_guardrail_events_serialise_and_round_trip() -> None:
    agent = Agent(ScriptedModel(["ok"]), input_guardrails=[no_secrets], output_guardrails=[OutputGuardrail(no_secrets)])
    result = await agent.run("hello world")
    guardrail_events = [e for e in result.events if e.kind.startswith("guardrail")]
    assert len(guardrail_events) == 4
    for event in guardrail_events:
        assert event_adapter().validate_json(event.model_dump_json()) == event
        assert event.run_id == result.run_id


async def test_streaming_an_input_tripwire_ends_the_stream_with_the_error() -> None:
    ledger = Ledger()
    agent = Agent(ScriptedModel([call("lookup", key="k"), "done"]), tools=[ledger.tool], input_guardrails=[no_secrets])
    seen: list[AgentEvent] = []
    with pytest.raises(InputGuardrailTripped, match=r"^Input guardrail 'no_secrets' tripped"):
        async for event in agent.stream("the password?"):
            seen.append(event)
    assert "tool_call_start" not in kinds(seen) and ledger.calls == []
    ends = [e for e in seen if isinstance(e, GuardrailEnd)]
    assert [(e.guardrail, e.tripped, e.reason) for e in ends] == [
        ("no_secrets", True, "the prompt asks for a password")
    ]


async def test_streaming_a_passing_run_streams_guardrail_events_in_order() -> None:
    agent = Agent(
        ScriptedModel(["done"]), input_guardrails=[no_secrets], output_guardrails=[OutputGuardrail(no_secrets)]
    )
    seen = kinds([event async for event in agent.stream("hello")])
    assert seen[:3] == ["run_start", "model_request", "guardrail_start"]
    assert "text_delta" in seen[3:5] and "guardrail_end" in seen[3:5]  # the answer streams while the check runs
    assert seen[5:] == ["model_response", "guardrail_start", "guardrail_end", "final"]


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    agentkit.tracing.instrument(provider, capture_content=True)
    try:
        yield exporter
    finally:
        agentkit.tracing.uninstrument()
        provider.shutdown()


async def test_each_guardrail_gets_a_span_under_the_run(spans: InMemorySpanExporter) -> None:
    agent = Agent(ScriptedModel(["ok"]), name="helper", input_guardrails=[no_secrets])
    with pytest.raises(InputGuardrailTripped):
        await agent.run("password")
    by_name = {s.name: s for s in spans.get_finished_spans()}
    run, guardrail = by_name["invoke_agent helper"], by_name["guardrail no_secrets"]
    assert guardrail.parent is not None and run.context is not None
    assert guardrail.parent.span_id == run.context.span_id
    assert dict(guardrail.attributes or {}) == {
        "agentkit.guardrail.name": "no_secrets",
        "agentkit.guardrail.stage": "input",
        "agentkit.guardrail.tripped": True,
        "agentkit.guardrail.reason": "the prompt asks for a password",
        "agentkit.guardrail.info": '{"words": 1}',
    }
    assert run.status.status_code is StatusCode.ERROR


# --- strategies and durable runs -----------------------------------------------------------------


async def test_a_strategy_checks_its_input_once_and_a_tripwire_ends_the_whole_strategy() -> None:
    ledger = Ledger()
    checked: list[str] = []

    def check(ctx: RunContext[None], prompt: str) -> GuardrailResult:
        checked.append(prompt)
        return no_secrets(ctx, prompt)

    model = FunctionModel(lambda messages, info: call("lookup", key="k") if len(messages) == 1 else "done")
    agent = Agent(model, tools=[ledger.tool], input_guardrails=[check])

    result = await agent.run("hello", strategy=BestOfN(3, verifier=lambda output: True))
    assert result.output == "done" and checked == ["hello"] and ledger.calls == ["k"]  # a pure tool: cached
    assert kinds(result.events).count("guardrail_start") == 1

    with pytest.raises(InputGuardrailTripped, match=r"^Input guardrail 'check' tripped"):
        await agent.run("the password", strategy=BestOfN(3, verifier=lambda output: True))
    assert checked == ["hello", "the password"] and ledger.calls == ["k"]


async def test_a_strategy_drops_the_branches_whose_output_trips() -> None:
    answers = iter(["answer-0", "answer-1", "answer-2"])
    agent = Agent(FunctionModel(lambda messages, info: next(answers)))

    @agent.output_guardrail
    def not_zero(ctx: RunContext[None], output: str) -> GuardrailResult:
        return GuardrailResult(tripped=output == "answer-0")

    result = await agent.run("go", strategy=BestOfN(3, verifier=lambda output: True))
    assert isinstance(result, StrategyResult)
    assert result.output in {"answer-1", "answer-2"}
    failed = [c for c in result.candidates if c.status == "failed"]
    assert len(failed) == 1 and (failed[0].error or "").startswith(
        "OutputGuardrailTripped: Output guardrail 'not_zero'"
    )


class RecordingSteps(InProcessStepRunner):
    """Records the name of every step, in the order their numbers are taken."""

    def __init__(self) -> None:
        super().__init__("run-1")
        self.names: list[str] = []

    def model_call(self, call: Any, *, name: str = "model", timeout: float | None = None) -> Any:
        self.names.append(name)
        return super().model_call(call, name=name, timeout=timeout)


durable_agent = Agent(ScriptedModel([]), name="durable")


async def test_a_durable_run_records_each_guardrail_verdict_as_a_step_before_the_model_request(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    agent = Agent(
        ScriptedModel(["fine"]), input_guardrails=[no_secrets], output_guardrails=[OutputGuardrail(no_secrets)]
    )
    agent.input_guardrail(InputGuardrail(no_secrets, name="second"))
    monkeypatch.setattr(sys.modules[__name__], "durable_agent", agent)
    from agentkit.background.agent_runner import run_agent

    steps = RecordingSteps()
    result = await run_agent({"agent": f"{__name__}:durable_agent", "prompt": "hi"}, steps)
    assert result.output == "fine"
    assert steps.names == ["guardrail:no_secrets", "guardrail:second", "model", "guardrail:no_secrets"]


# --- the docs page -------------------------------------------------------------------------------


def test_the_docs_examples_trip_as_they_say(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import agentkit.agent
    from tests.docs.test_docs_examples import BLOCK, ROOT, offline_model

    monkeypatch.setattr(agentkit.agent, "infer_model", offline_model)
    page = (ROOT / "docs" / "concepts" / "guardrails.md").read_text()
    for index, code in enumerate(BLOCK.findall(page)):
        exec(compile(code, f"guardrails.md[block {index}]", "exec"), {"__name__": f"guardrails_block_{index}"})
    printed = capsys.readouterr().out.splitlines()
    assert printed[:2] == ["done", "no_passwords {'matched': 'password'}"]
    assert printed[2].startswith(
        "Output guardrail 'no_iban' tripped: the answer shows an IBAN. The output was withheld."
    )
    assert printed[3].startswith("['run_start', 'model_request', 'guardrail_start'")


# --- a real durable run --------------------------------------------------------------------------

background_agent = Agent(
    FunctionModel(lambda messages, info: "the password is hunter2" if "leak" in str(messages[-1]) else "fine"),
    name="guarded",
    input_guardrails=[no_secrets],
    output_guardrails=[OutputGuardrail(no_secrets, name="no_leaks")],
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from agentkit.background import DurableBackend, DurableConfig

    url = f"sqlite:///{tmp_path_factory.mktemp('agentkit-home') / 'runs.sqlite'}"
    backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="unit", queue_poll_s=0.05))
    backend.launch()
    yield backend
    backend.shutdown()


def test_a_background_run_logs_its_guardrail_events_and_raises_the_tripwire(backend: Any) -> None:
    passed = background_agent.start("hello")
    assert passed.result(timeout=30).output == "fine"
    logged = [e.kind for e in passed.events(follow=False)]
    assert logged.count("guardrail_start") == 2 and logged.count("guardrail_end") == 2

    tripped = background_agent.start("please leak it")
    from agentkit.background import RunFailed

    with pytest.raises(RunFailed) as caught:
        tripped.result(timeout=30)
    cause = caught.value.__cause__
    assert isinstance(cause, OutputGuardrailTripped)  # unpickled from the run's record
    assert cause.guardrail == "no_leaks" and cause.result.tripped
