"""Budget(max_cost_usd) is enforced, or refused at run start: never silently ignored (issue 12, item 7)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Iterator

import pytest
from pydantic import ValidationError

from agentkit import Agent, Budget, ModelPrice, ModelRequest, ModelResponse, UserError, tool
from agentkit.models import _pricing
from agentkit.models._pricing import check_cost_limit, litellm_table, price_table
from agentkit.models._retry import RetryPolicy
from agentkit.models.base import Model, RequestParams
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.models.prompted import PromptedModel
from agentkit.pricing import UnpricedModelWarning
from agentkit.settings import ModelSettings
from agentkit.strategies import SelfConsistency
from agentkit.testing import FunctionModel, RecordedRequest, ScriptedModel, TestModel, call, response, text
from agentkit.usage import Usage
from tests.emulator import Emulator, Fault, Reply
from tests.emulator import Usage as EmuUsage
from tests.emulator.fixtures import emulator  # noqa: F401 - fixture

Messages = list[ModelRequest | ModelResponse]
LIMIT = Budget(max_cost_usd=0.01)
WARN = Budget(max_cost_usd=0.01, unpriced="warn")
PRICE = ModelPrice(input_per_mtok=1.0, output_per_mtok=4.0)
FIVE_M = Usage(input_tokens=4_000_000, output_tokens=1_000_000)  # $8 at PRICE


def refused(model: str) -> str:
    return (
        f"Budget(max_cost_usd=0.01) can't be enforced: agentkit has no price for model {model!r}, so its requests "
        "would count as $0. Give its price with Agent(..., price=ModelPrice(input_per_mtok=..., output_per_mtok=...)), "
        'or let runs go on without a cost limit for this model: Budget(max_cost_usd=0.01, unpriced="warn").'
    )


def unenforced(model: str) -> str:
    return (
        f"Budget(max_cost_usd=0.01) is not enforced for model {model!r}: agentkit has no price for it, so its "
        "requests count as $0. Give its price with Agent(..., price=ModelPrice(input_per_mtok=..., "
        "output_per_mtok=...)) to enforce the limit."
    )


class HomeModel(Model):
    """A user's own adapter for a model no price table knows; answers with 5M tokens of usage."""

    def __init__(self, name: str = "my-llama") -> None:
        self.name = name
        self.requests = 0

    @property
    def model_name(self) -> str:
        return self.name

    @property
    def provider(self) -> str:
        return "acme"

    async def request(self, messages: Messages, settings: ModelSettings, params: RequestParams) -> ModelResponse:
        self.requests += 1
        return text("done", usage=FIVE_M)


@tool(side_effect="pure")
def look(x: int) -> int:
    """Look at x."""
    return x


def spender() -> FunctionModel:
    """Calls `look` with 5M tokens of usage each time, until asked for the final answer."""

    def reply(messages: Messages, info: RecordedRequest) -> ModelResponse:
        if info.params.final_answer:
            return text("best guess", usage=Usage(input_tokens=100, output_tokens=10))
        return response(call("look", x=len(messages)), usage=FIVE_M)

    return FunctionModel(reply)


@pytest.fixture(autouse=True)
def _fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_pricing, "_WARNED", set())


@pytest.fixture
def no_litellm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(sys.modules, "litellm", None)
    litellm_table.cache_clear()
    yield
    litellm_table.cache_clear()


# --- a price makes the limit bite --------------------------------------------------------------------


async def test_five_million_tokens_under_a_cent_stop_the_run_when_the_model_has_a_price() -> None:
    model = spender()
    agent = Agent(model, tools=[look], budget=Budget(max_cost_usd=0.01, max_turns=5), price=PRICE)

    result = await agent.run("go")  # before the fix: cost $0, the run went on until max_turns

    assert result.stop_reason == "max_cost_usd"
    assert result.output == "best guess"
    assert len(model.requests) == 2  # one tool turn, then the final answer without tools
    assert model.requests[-1].params.final_answer is True
    assert result.usage.cost_usd == pytest.approx(8.0 + (100 * 1.0 + 10 * 4.0) / 1e6)


async def test_the_same_run_raises_with_on_exceeded_raise() -> None:
    from agentkit import BudgetExceeded

    agent = Agent(spender(), tools=[look], price=PRICE)
    with pytest.raises(BudgetExceeded) as info:
        await agent.run("go", budget=Budget(max_cost_usd=0.01, max_turns=5, on_exceeded="raise"))
    assert info.value.limit == "max_cost_usd"


async def test_a_user_price_wins_over_the_table(emulator: Emulator, no_litellm: None) -> None:  # noqa: F811
    emulator.script(Reply(text="a", usage=EmuUsage(input_tokens=1_000_000, output_tokens=100_000)))
    model = OpenAIResponsesModel("gpt-5", base_url=emulator.base_url, api_key="k")
    table_cost = (
        1_000_000 * price_table()["gpt-5"]["input_cost_per_token"]
        + 100_000 * (price_table()["gpt-5"]["output_cost_per_token"])
    )
    try:
        result = await Agent(model, price=PRICE).run("hi")
    finally:
        await model.close()
    assert result.usage.cost_usd == pytest.approx(1.0 + 0.4)
    assert table_cost != pytest.approx(1.4)
    emulator.assert_all_consumed()


async def test_the_users_price_also_bills_answers_of_fallback_models(emulator: Emulator) -> None:  # noqa: F811
    emulator.script(Fault.server_error(500))
    backup = FunctionModel(lambda m, i: text("from backup", usage=Usage(input_tokens=1_000_000, output_tokens=0)))
    model = OpenAIChatModel(
        "my-llama", base_url=emulator.base_url, api_key="k", retry=RetryPolicy.never(), fallback_models=[backup]
    )
    try:
        result = await Agent(model, price=PRICE).run("hi")
    finally:
        await model.close()
    assert result.output == "from backup"
    assert result.usage.cost_usd == pytest.approx(1.0)
    emulator.assert_all_consumed()


async def test_a_strategy_bills_every_branch_at_the_users_price() -> None:
    model = FunctionModel(lambda m, i: text("42", usage=Usage(input_tokens=1_000_000, output_tokens=0)))
    agent = Agent(model, price=PRICE, budget=Budget(max_cost_usd=2.5))

    result = await agent.run("go", strategy=SelfConsistency(5))

    assert result.usage.cost_usd == pytest.approx(2.0)  # the third $1 request would pass $2.50: not admitted
    assert result.stop_reason == "max_cost_usd"


# --- no price: refuse at run start, or warn once ------------------------------------------------------


async def test_a_custom_model_without_a_price_is_refused_at_run_start() -> None:
    model = HomeModel()
    with pytest.raises(UserError) as info:
        await Agent(model, budget=LIMIT).run("go")
    assert str(info.value) == refused("acme:my-llama")
    assert model.requests == 0


def test_an_openai_compatible_server_without_a_price_is_refused_at_run_start(no_litellm: None) -> None:
    model = OpenAIChatModel("my-llama", base_url="http://127.0.0.1:9/v1", api_key="k")
    with pytest.raises(UserError) as info:
        Agent(model).run_sync("go", budget=LIMIT)
    assert str(info.value) == refused("127.0.0.1:my-llama")


async def test_streaming_and_stepping_runs_are_refused_too() -> None:
    agent = Agent(HomeModel(), budget=LIMIT)
    with pytest.raises(UserError, match="can't be enforced"):
        async for _ in agent.stream("go"):
            pass
    with pytest.raises(UserError, match="can't be enforced"):
        async with agent.iter("go"):
            pass


async def test_a_fallback_model_without_a_price_is_refused() -> None:
    model = OpenAIChatModel("gpt-4.1", api_key="k", fallback_models=[HomeModel("backup")])
    with pytest.raises(UserError) as info:
        await Agent(model, budget=LIMIT).run("go")
    assert str(info.value) == refused("acme:backup")


async def test_a_prompted_wrapper_is_priced_by_its_inner_model() -> None:
    with pytest.raises(UserError) as info:
        await Agent(PromptedModel(HomeModel()), budget=LIMIT).run("go")
    assert str(info.value) == refused("acme:my-llama")


async def test_warn_once_per_model_and_the_run_goes_on() -> None:
    model = HomeModel()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = await Agent(model, budget=WARN).run("one")
        second = await Agent(model, budget=WARN).run("two")
        await Agent(HomeModel("other"), budget=WARN).run("three")
    assert [(w.category, str(w.message)) for w in caught] == [
        (UnpricedModelWarning, unenforced("acme:my-llama")),
        (UnpricedModelWarning, unenforced("acme:other")),
    ]
    assert issubclass(UnpricedModelWarning, UserWarning)
    assert (first.output, second.output) == ("done", "done")
    assert first.stop_reason == "final"
    assert first.usage.cost_usd == 0.0  # what "not enforced" means: 5M tokens counted as $0


async def test_a_price_given_per_agent_does_not_apply_to_another_model_given_per_run() -> None:
    agent = Agent(ScriptedModel(["ok"]), price=PRICE, budget=LIMIT)
    with pytest.raises(UserError) as info:
        await agent.run("go", model=HomeModel())
    assert str(info.value) == refused("acme:my-llama")


def test_unpriced_accepts_only_raise_or_warn() -> None:
    with pytest.raises(ValidationError, match="unpriced\n  Input should be 'raise' or 'warn'"):
        Budget(max_cost_usd=1, unpriced="ignore")


# --- what counts as priced ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "name"),
    [
        (lambda: OpenAIResponsesModel("gpt-5", api_key="k"), "gpt-5"),
        (lambda: OpenAIResponsesModel("o4-mini-2025-04-16", api_key="k"), "o4-mini (dated)"),
        (lambda: OpenAIChatModel("deepseek-chat", api_key="k", provider="deepseek"), "deepseek-chat"),
        (lambda: _litellm_model("anthropic/claude-sonnet-4-5"), "claude via litellm"),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_table_models_are_priced_without_litellm(model: Callable[[], Model], name: str, no_litellm: None) -> None:
    built = model()
    check_cost_limit(built, LIMIT, None)
    assert _pricing.known_price(built) is not None


def _litellm_model(name: str) -> Model:
    from agentkit.models.litellm import LiteLLMModel

    return LiteLLMModel(name)


def test_test_models_count_as_priced_at_zero() -> None:
    for model in (ScriptedModel(["ok"]), FunctionModel(lambda m, i: "ok"), TestModel()):
        check_cost_limit(model, LIMIT, None)
        assert _pricing.known_price(model) == ModelPrice(input_per_mtok=0, output_per_mtok=0)
    named_like_a_real_model = FunctionModel(lambda m, i: "ok", name="my-llama", provider="acme")
    check_cost_limit(named_like_a_real_model, LIMIT, None)


async def test_a_test_models_scripted_cost_still_counts() -> None:
    model = ScriptedModel([text("ok", usage=Usage(input_tokens=1, output_tokens=1, cost_usd=0.02))])
    result = await Agent(model, budget=LIMIT).run("go")
    assert result.usage.cost_usd == 0.02


def test_local_models_are_free() -> None:
    pytest.importorskip("xllamacpp")
    from agentkit.models._llama_server import find_smollm2_gguf
    from agentkit.models.local import LocalModel

    for model in (LocalModel(), LocalModel(find_smollm2_gguf())):
        check_cost_limit(model, LIMIT, None)
        assert _pricing.known_price(model) == ModelPrice(input_per_mtok=0, output_per_mtok=0)


def test_no_cost_limit_means_no_check() -> None:
    check_cost_limit(HomeModel(), None, None)
    check_cost_limit(HomeModel(), Budget(max_turns=3), None)
    check_cost_limit(HomeModel(), LIMIT, PRICE)


async def test_a_strategy_run_without_a_price_is_refused() -> None:
    model = HomeModel()
    with pytest.raises(UserError) as info:
        await Agent(model, budget=LIMIT).run("go", strategy=SelfConsistency(3))
    assert str(info.value) == refused("acme:my-llama")
    assert model.requests == 0


async def test_fallbacks_of_a_prompted_models_inner_model_are_checked() -> None:
    inner = OpenAIChatModel("gpt-4.1", api_key="k", fallback_models=[HomeModel("backup")])
    with pytest.raises(UserError) as info:
        await Agent(PromptedModel(inner), budget=LIMIT).run("go")
    assert str(info.value) == refused("acme:backup")
