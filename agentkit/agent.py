"""The :class:`Agent`: configuration plus ``run`` / ``run_sync`` / ``stream`` / ``iter`` / ``start``."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Generic, Self, overload

from typing_extensions import TypeVar

from agentkit._closing import close_after_error, close_history
from agentkit._effort import EffortSchedule, scheduled_caller
from agentkit._instructions import (
    InstructionsAttribute,
    InstructionsFunction,
    RunInstructions,
    assemble,
    check_text,
)
from agentkit._lifecycle import RunModels, settle
from agentkit._loop import (
    End,
    EventSink,
    ModelCaller,
    ModelRequestNode,
    Node,
    OutputValidator,
    RunConfig,
    RunState,
    ToolGuard,
    advance,
    call_model,
)
from agentkit._output import OutputSpec
from agentkit._run_start import run_start_event
from agentkit._tool_exec import ToolInvoker, invoke_directly
from agentkit._user_content import Prompt, split_prompt, with_content
from agentkit.approval import Approver
from agentkit.attachments import Attachment
from agentkit.compaction.policy import ContextPolicy
from agentkit.context import RunContext
from agentkit.events import AgentEvent, FinalResultEvent
from agentkit.exceptions import UserError
from agentkit.guardrails import GuardrailRunner, InputGuardrail, OutputGuardrail, run_directly
from agentkit.guardrails._gate import InputGate
from agentkit.guardrails._wiring import guard_run, guard_strategy
from agentkit.guardrails.guardrail import GuardrailFunction, collect
from agentkit.messages import ModelRequest, ModelResponse, RequestPart, UserPart
from agentkit.models import Model, check_spec, infer_model
from agentkit.models._pricing import check_cost_limit
from agentkit.pricing import ModelPrice
from agentkit.redaction import redact_event
from agentkit.result import AgentResult
from agentkit.sessions._binding import session_iter, session_run
from agentkit.sessions.session import Session
from agentkit.settings import ModelSettings
from agentkit.tools import SideEffect, Tool, ToolLike, ToolRegistry
from agentkit.tools import tool as make_tool
from agentkit.tracing import traced
from agentkit.usage import Budget

if TYPE_CHECKING:
    from agentkit.background import RunHandle
    from agentkit.strategies._branching import BranchExecutor
    from agentkit.strategies.base import Strategy

__all__ = ["Agent", "AgentRun", "RunOptions"]

DepsT = TypeVar("DepsT", default=None)
OutputT = TypeVar("OutputT", default=str)
F = TypeVar("F", bound=Callable[..., Any])
V = TypeVar("V", bound=OutputValidator)
GI = TypeVar("GI", bound=GuardrailFunction | InputGuardrail)
GO = TypeVar("GO", bound=GuardrailFunction | OutputGuardrail)


@dataclass(frozen=True)
class RunOptions:
    """Per-run overrides and hooks. Strategies and durable runs use the hooks; most users never do."""

    model: Model | str | None = None
    settings: ModelSettings | None = None
    budget: Budget | None = None
    emit: EventSink | None = None
    invoke_tool: ToolInvoker = invoke_directly
    model_caller: ModelCaller = call_model
    tool_guard: ToolGuard | None = None
    approver: Approver | None = None
    clock: Callable[[], float] | None = None
    """Seconds elapsed in the run, for ``max_seconds`` (durable runs pass their recorded step time)."""
    run_id: str | None = None
    extra_parts: Sequence[RequestPart] = field(default_factory=tuple)
    user_content: Sequence[RequestPart] = field(default_factory=tuple)
    """The first user message's parts when the prompt holds images or documents (else one text part)."""
    instructions: str | None = None
    """Instructions for this run only, sent after the agent's own (see :attr:`Agent.instructions`)."""
    guardrail_runner: GuardrailRunner = run_directly
    """Runs each guardrail check (durable runs record each as a step)."""
    input_gate: InputGate | None = None
    """Input guardrails already started for this run's input: a strategy's branches share one."""
    branch_executor: BranchExecutor | None = None
    """Where a strategy's independent branches run (durable runs make them child runs on the queue)."""
    stream: bool = False
    """Stream model responses, their deltas as events (:meth:`Agent.stream` sets it; a strategy's branches keep it)."""


class AgentRun(Generic[OutputT]):
    """A run you drive step by step: ``async for node in run`` yields each node as it is reached.

    After the :class:`End` node, :attr:`result` holds the :class:`AgentResult`.
    """

    def __init__(self, config: RunConfig[OutputT], state: RunState, first: Node, events: list[AgentEvent]) -> None:
        self._config = config
        self._state = state
        self.next_node: Node = first
        self._started = False
        self._events = events
        self.result: AgentResult[OutputT] | None = None
        self.new_message_index = len(state.messages)
        self._closed: list[ModelRequest | ModelResponse] | None = None

    @property
    def run_id(self) -> str:
        """This run's id."""
        return self._config.run_id

    @property
    def messages(self) -> list[ModelRequest | ModelResponse]:
        """The transcript so far; after a step raised (cancelled, an error), closed for another run."""
        return self._closed if self._closed is not None else self._state.messages

    @property
    def usage(self) -> Any:
        """Usage so far."""
        return self._state.usage

    def fork(self, *, run_id: str, emit: EventSink) -> AgentRun[OutputT]:
        """A copy of this run at its current node, with its own state and event sink.

        Branches share the transcript so far and then diverge (beam search, DVTS). The copy's events go
        to its own event list and to ``emit``.
        """
        events: list[AgentEvent] = []

        async def sink(event: AgentEvent) -> None:
            events.append(event)
            await emit(event)

        state = self._state
        copied = replace(
            state,
            messages=list(state.messages),
            failures=dict(state.failures),
            warned=set(state.warned),
            context=state.context.copy(),
        )
        child = AgentRun(replace(self._config, run_id=run_id, emit=sink), copied, self.next_node, events)
        child.new_message_index = self.new_message_index
        return child

    async def next(self) -> Node:
        """Execute the current node and return the next one."""
        if isinstance(self.next_node, End):
            return self.next_node
        self._closed = None
        try:
            self.next_node = await advance(self.next_node, self._config, self._state)
        except BaseException as exc:
            self._closed = close_after_error(exc, self._state.messages)
            raise
        if isinstance(self.next_node, End):
            await self._finish(self.next_node)
        return self.next_node

    async def _finish(self, end: End[Any]) -> None:
        state = self._state
        state.messages[:] = close_history(state.messages, "answered")
        await self._config.emit(
            FinalResultEvent(run_id=self.run_id, output=end.output, stop_reason=end.stop_reason, usage=state.usage)
        )
        self.result = AgentResult(
            output=end.output,
            usage=state.usage,
            messages=state.messages,
            stop_reason=end.stop_reason,
            run_id=self.run_id,
            new_message_index=state.context.new_index(self.new_message_index),
            events=self._events,
        )

    def __aiter__(self) -> AgentRun[OutputT]:
        return self

    async def __anext__(self) -> Node:
        if not self._started:
            self._started = True
            return self.next_node
        if isinstance(self.next_node, End):
            raise StopAsyncIteration
        return await self.next()


class Agent(Generic[DepsT, OutputT]):
    """One reasoning model, a tool registry and a typed output.

    >>> agent = Agent("openai:o4-mini", instructions="Be brief.", tools=[get_weather])  # doctest: +SKIP
    >>> agent.run_sync("Weather in Paris?").output  # doctest: +SKIP

    ``price`` overrides the price table for the agent's model (runs given another model price it from
    the table); a ``Budget(max_cost_usd=...)`` needs a price (see :mod:`agentkit.pricing`).
    """

    instructions = InstructionsAttribute()
    """The static instructions, a ``str`` (``""`` when none; assign a new text to change them), and the
    decorator for dynamic ones: ``@agent.instructions`` on ``(ctx: RunContext[Deps]) -> str | None`` (or a
    function without parameters; sync or async), evaluated once per run. Every request of a run starts
    with the static text, then each function's text, then the run's ``instructions=``; none of it is
    stored in ``result.messages``."""

    def __init__(
        self,
        model: Model | str,
        *,
        instructions: str | None = None,
        tools: Iterable[ToolLike] = (),
        output_type: type[OutputT] = str,  # type: ignore[assignment]
        settings: ModelSettings | None = None,
        budget: Budget | None = None,
        price: ModelPrice | None = None,
        deps_type: type[DepsT] | None = None,
        name: str | None = None,
        retries: int = 2,
        output_retries: int = 2,
        max_parallel_tools: int = 8,
        approver: Approver | None = None,
        context: ContextPolicy | None = None,
        input_guardrails: Iterable[InputGuardrail | GuardrailFunction] = (),
        output_guardrails: Iterable[OutputGuardrail | GuardrailFunction] = (),
        effort_schedule: EffortSchedule | None = None,
    ) -> None:
        if retries < 0 or output_retries < 0:
            raise UserError("retries and output_retries must be >= 0.")
        if max_parallel_tools < 1:
            raise UserError("max_parallel_tools must be >= 1.")
        self._model_spec = model
        self._model: Model | None = prepare_model(model) if isinstance(model, Model) else None
        self._static_instructions = ""
        self._instruction_functions: list[InstructionsFunction] = []
        self.instructions = instructions
        self.registry = ToolRegistry(tools)
        self.output = OutputSpec.of(output_type)
        self.settings = settings or ModelSettings()
        self.budget = budget
        self.price = price
        self.deps_type = deps_type
        self.name = name or "agent"
        self.retries = retries
        self.output_retries = output_retries
        self.max_parallel_tools = max_parallel_tools
        self.approver = approver
        self.context = context or ContextPolicy()
        """Context management (on by default): see :class:`~agentkit.ContextPolicy`."""
        self.effort_schedule = effort_schedule
        """Lowers ``reasoning_effort`` as a run's budget runs out (see :class:`~agentkit.EffortSchedule`)."""
        self.output_validators: list[OutputValidator] = []
        self.input_guardrails: list[InputGuardrail] = collect(InputGuardrail, input_guardrails)
        """Checks of each run's input, beside its first model request (see :mod:`agentkit.guardrails`)."""
        self.output_guardrails: list[OutputGuardrail] = collect(OutputGuardrail, output_guardrails)
        """Checks of each run's validated output, before it is returned."""
        self._run_models = RunModels(lambda spec: prepare_model(infer_model(spec)))
        if isinstance(model, str):
            check_model_spec(model)

    # --- configuration ---------------------------------------------------------------------------

    @property
    def model(self) -> Model:
        """The model, created on first use (so creating an Agent never opens connections)."""
        if self._model is None:
            self._model = prepare_model(infer_model(self._model_spec))
        return self._model

    @overload
    def tool(self, function: F, /) -> Tool[Any]: ...

    @overload
    def tool(
        self,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        side_effect: SideEffect = "mutating",
        timeout: float | None = None,
        retries: int | None = None,
        requires_approval: bool = False,
        secret_args: Iterable[str] = (),
        in_thread: bool = True,
    ) -> Callable[[Callable[..., Any]], Tool[Any]]: ...

    def tool(
        self,
        function: F | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        side_effect: SideEffect = "mutating",
        timeout: float | None = None,
        retries: int | None = None,
        requires_approval: bool = False,
        secret_args: Iterable[str] = (),
        in_thread: bool = True,
    ) -> Tool[Any] | Callable[[F], Tool[Any]]:
        """Register a tool on this agent: ``@agent.tool`` or ``@agent.tool(side_effect="pure")``."""

        def register(func: F) -> Tool[Any]:
            made = make_tool(
                name=name,
                description=description,
                side_effect=side_effect,
                timeout=timeout,
                retries=retries,
                requires_approval=requires_approval,
                secret_args=secret_args,
                in_thread=in_thread,
            )(func)
            return self.registry.add(made)

        return register(function) if function is not None else register

    def output_validator(self, function: V) -> V:
        """Register ``(ctx, output) -> output`` (sync or async) run on every final answer.

        Raise :class:`~agentkit.ModelRetry` inside it to reject the answer; the model sees your message.
        """
        self.output_validators.append(function)
        return function

    def input_guardrail(self, function: GI) -> GI:
        """Register ``(ctx, prompt) -> GuardrailResult`` (sync or async), run beside each run's first model
        request; a tripped result stops the run with :class:`~agentkit.InputGuardrailTripped`."""
        self.input_guardrails += collect(InputGuardrail, [function], self.input_guardrails)
        return function

    def output_guardrail(self, function: GO) -> GO:
        """Register ``(ctx, output) -> GuardrailResult`` (sync or async), run on each validated output before
        it is returned; a tripped result stops the run with :class:`~agentkit.OutputGuardrailTripped`."""
        self.output_guardrails += collect(OutputGuardrail, [function], self.output_guardrails)
        return function

    def as_tool(
        self,
        *,
        name: str | None = None,
        description: str,
        budget: Budget | None = None,
        side_effect: SideEffect | None = None,
    ) -> Tool[Any]:
        """This agent as a tool another agent can call with one ``task`` string (see docs: Agents as tools).

        The sub-run gets the caller's ``deps``; its budget is ``budget`` (else this agent's own) capped by
        what the calling run has left, its usage counts in the caller's, its events reach the caller's
        stream tagged with ``parent_call_id``, and its failures are tool failures. ``name`` defaults to
        :attr:`name`; ``side_effect`` to ``"mutating"`` if any of this agent's tools is, else ``"idempotent"``.
        """
        from agentkit._agent_tool import agent_tool

        return agent_tool(self, name=name, description=description, budget=budget, side_effect=side_effect)

    # --- running ---------------------------------------------------------------------------------

    @session_run
    async def run(
        self,
        prompt: Prompt,
        *,
        deps: DepsT = None,  # type: ignore[assignment]
        message_history: Sequence[ModelRequest | ModelResponse] | None = None,
        session: str | Session | None = None,
        model: Model | str | None = None,
        settings: ModelSettings | None = None,
        budget: Budget | None = None,
        strategy: Strategy | None = None,
        options: RunOptions | None = None,
        instructions: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AgentResult[OutputT]:
        """Run to the end and return the result. ``instructions`` are added to the agent's for this run.

        ``session`` (an id or a :class:`~agentkit.sessions.Session`) continues a stored conversation: the run
        holds the session, starts from its messages and appends the ones it adds (see :mod:`agentkit.sessions`).
        ``attachments`` (or a list ``prompt``) send images and documents (see :mod:`agentkit.attachments`).
        """
        prompt, content = split_prompt(prompt, attachments)
        opts = _options(with_content(options, content), model, settings, budget, instructions)
        if strategy is not None:
            name = getattr(strategy, "name", type(strategy).__name__)
            with traced(opts.emit, agent_name=self.name, strategy=name) as emit:
                traced_opts = replace(opts, emit=emit)
                run_with = strategy.run
                return await guard_strategy(
                    self.input_guardrails,
                    prompt,
                    deps,
                    message_history,
                    traced_opts,
                    lambda o: run_with(self, prompt, deps=deps, message_history=message_history, options=o),
                )
        async with self.iter(prompt, deps=deps, message_history=message_history, options=opts) as run:
            async for _ in run:
                pass
        assert run.result is not None
        return run.result

    def run_sync(
        self,
        prompt: Prompt,
        *,
        deps: DepsT = None,  # type: ignore[assignment]
        message_history: Sequence[ModelRequest | ModelResponse] | None = None,
        session: str | Session | None = None,
        model: Model | str | None = None,
        settings: ModelSettings | None = None,
        budget: Budget | None = None,
        strategy: Strategy | None = None,
        options: RunOptions | None = None,
        instructions: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AgentResult[OutputT]:
        """:meth:`run` for code that is not async. Fails clearly inside a running event loop."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            pass
        else:
            raise UserError("run_sync() was called inside a running event loop; use 'await agent.run(...)' there.")
        return asyncio.run(
            self._run_then_close(
                prompt,
                deps=deps,
                message_history=message_history,
                session=session,
                model=model,
                settings=settings,
                budget=budget,
                strategy=strategy,
                options=options,
                instructions=instructions,
                attachments=attachments,
            )
        )

    async def _run_then_close(self, prompt: Prompt, **kwargs: Any) -> AgentResult[OutputT]:
        """``run``, then release the models' connections: they belong to this ``run_sync``'s event loop."""
        try:
            return await self.run(prompt, **kwargs)
        finally:
            await self.aclose()

    async def aclose(self) -> None:
        """Close the connections this agent opened in the running event loop: its model's, and those of models
        made from model strings given per run (``model="openai:gpt-5"``) or to a strategy. The agent stays
        usable: a later run opens new ones. ``async with Agent(...) as agent:`` calls it at the end."""
        await self._run_models.aclose()
        if self._model is not None:
            await self._model.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def stream(
        self,
        prompt: Prompt,
        *,
        deps: DepsT = None,  # type: ignore[assignment]
        message_history: Sequence[ModelRequest | ModelResponse] | None = None,
        session: str | Session | None = None,
        model: Model | str | None = None,
        settings: ModelSettings | None = None,
        budget: Budget | None = None,
        instructions: str | None = None,
        attachments: Sequence[Attachment] = (),
        strategy: Strategy | None = None,
    ) -> AsyncIterator[AgentEvent]:
        """Run and yield typed events as they happen; the last one is a :class:`FinalResultEvent`.

        With ``strategy``, each branch's events carry its id in ``branch``; the last event is the untagged
        :class:`FinalResultEvent` with the chosen answer.
        """
        prompt, content = split_prompt(prompt, attachments)
        queue: asyncio.Queue[AgentEvent | None] = asyncio.Queue()

        async def sink(event: AgentEvent) -> None:
            await queue.put(event)

        opts = RunOptions(
            model=model,
            settings=settings,
            budget=budget,
            emit=sink,
            instructions=instructions,
            user_content=content,
            stream=True,
        )
        task = asyncio.create_task(self._run_streaming(prompt, deps, message_history, opts, session, strategy))
        task.add_done_callback(lambda _: queue.put_nowait(None))
        try:
            while (event := await queue.get()) is not None:
                yield event
            task.result()
        finally:
            await settle(task)  # a consumer that stopped early: cancel the run, and drop its late error

    async def _run_streaming(
        self,
        prompt: str,
        deps: Any,
        history: Sequence[ModelRequest | ModelResponse] | None,
        options: RunOptions,
        session: str | Session | None = None,
        strategy: Strategy | None = None,
    ) -> None:
        if strategy is not None:
            await self.run(
                prompt, deps=deps, message_history=history, session=session, strategy=strategy, options=options
            )
            return
        async with self.iter(prompt, deps=deps, message_history=history, options=options, session=session) as run:
            async for _ in run:
                pass

    def stream_output(
        self,
        prompt: Prompt,
        *,
        deps: DepsT = None,  # type: ignore[assignment]
        message_history: Sequence[ModelRequest | ModelResponse] | None = None,
        session: str | Session | None = None,
        model: Model | str | None = None,
        settings: ModelSettings | None = None,
        budget: Budget | None = None,
        instructions: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncIterator[OutputT]:
        """Run and yield the output as it streams: the answer text so far, or a partially validated
        ``output_type`` (fields still missing are ``None``); each value differs from the one before, and the
        last is the validated output (see docs: Streaming typed output)."""
        from agentkit._stream_output import partial_outputs

        events = self.stream(
            prompt,
            deps=deps,
            message_history=message_history,
            session=session,
            model=model,
            settings=settings,
            budget=budget,
            instructions=instructions,
            attachments=attachments,
        )
        return partial_outputs(events, self.output)

    @session_iter
    @asynccontextmanager
    async def iter(
        self,
        prompt: Prompt,
        *,
        deps: DepsT = None,  # type: ignore[assignment]
        message_history: Sequence[ModelRequest | ModelResponse] | None = None,
        session: str | Session | None = None,
        options: RunOptions | None = None,
        stream: bool = False,
        instructions: str | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncIterator[AgentRun[OutputT]]:
        """Step through a run: ``async with agent.iter(task) as run: async for node in run: ...``.

        With ``session``, the session is held for the ``async with`` block; a run that reached its end has its
        new messages appended when the block exits.
        """
        prompt, content = split_prompt(prompt, attachments)
        opts = with_content(options, content) or RunOptions()
        opts = replace(opts, instructions=instructions) if instructions is not None else opts
        events: list[AgentEvent] = []
        with traced(opts.emit, agent_name=self.name) as emit:
            config = self._config(deps, replace(opts, emit=emit), events, stream or opts.stream)
            check_cost_limit(config.model, config.budget, config.price)
            messages = close_history(message_history or [])
            state = RunState(messages=messages)
            request = ModelRequest(parts=self._first_parts(prompt, opts))
            config = replace(config, instructions=await self._run_instructions(config, [*messages, request], opts))
            config = guard_run(config, self, prompt, [*messages, request], opts)
            first = ModelRequestNode(request)
            await config.emit(run_start_event(config, prompt))
            yield AgentRun(config, state, first, events)

    def start(self, prompt: str, **kwargs: Any) -> RunHandle:
        """Start a durable background run and return its handle at once (see :mod:`agentkit.background`)."""
        from agentkit.background import start_run

        return start_run(self, prompt, **kwargs)

    # --- internals -------------------------------------------------------------------------------

    def _config(self, deps: Any, opts: RunOptions, events: list[AgentEvent], stream: bool) -> RunConfig[OutputT]:
        user_sink = opts.emit

        async def emit(event: AgentEvent) -> None:
            event = redact_event(event, self.registry)
            events.append(event)
            if user_sink is not None:
                await user_sink(event)

        return RunConfig(
            model=self._model_for(opts.model),
            settings=self.settings.merge(opts.settings),
            registry=self.registry,
            output=self.output,
            budget=opts.budget or self.budget,
            deps=deps,
            run_id=opts.run_id or uuid.uuid4().hex,
            retries=self.retries,
            output_retries=self.output_retries,
            max_parallel_tools=self.max_parallel_tools,
            emit=emit,
            stream=stream,
            invoke_tool=opts.invoke_tool,
            model_caller=scheduled_caller(self.effort_schedule, opts.model_caller),
            tool_guard=opts.tool_guard,
            approver=opts.approver or self.approver,
            output_validators=tuple(self.output_validators),
            clock=opts.clock,
            price=self.price if opts.model in (None, self._model, self._model_spec) else None,
            context=self.context,
        )

    def _model_for(self, spec: Model | str | None) -> Model:
        """A run's model: the agent's, the given one, or one made from a string (kept per event loop)."""
        if spec is None or spec == self._model_spec:
            return self.model
        return self._run_models.get(spec) if isinstance(spec, str) else prepare_model(spec)

    def _first_parts(self, prompt: str, opts: RunOptions) -> list[RequestPart]:
        return [*opts.extra_parts, *(opts.user_content or [UserPart(content=prompt)])]

    async def _run_instructions(
        self, config: RunConfig[OutputT], messages: list[ModelRequest | ModelResponse], opts: RunOptions
    ) -> RunInstructions:
        """This run's instructions (see :mod:`agentkit._instructions`); functions see ``messages``."""
        per_run = check_text(opts.instructions, "instructions=")
        ctx = RunContext(deps=config.deps, run_id=config.run_id, messages=messages)
        return await assemble(self._static_instructions, tuple(self._instruction_functions), per_run, ctx)


def _options(
    options: RunOptions | None,
    model: Model | str | None,
    settings: ModelSettings | None,
    budget: Budget | None,
    instructions: str | None = None,
) -> RunOptions:
    opts = options or RunOptions()
    return replace(
        opts,
        instructions=instructions if instructions is not None else opts.instructions,
        model=model if model is not None else opts.model,
        settings=settings if settings is not None else opts.settings,
        budget=budget if budget is not None else opts.budget,
    )


def check_model_spec(spec: str) -> None:
    """Fail at construction (not at first run) for a malformed model string."""
    check_spec(spec)


def prepare_model(model: Model) -> Model:
    """Wrap models without native tool calling in prompted mode."""
    if model.supports_tools:
        return model
    from agentkit.models.prompted import PromptedModel

    return PromptedModel(model)
