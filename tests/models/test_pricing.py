"""Cost per request: the price table agentkit ships (no litellm needed), litellm's as a fallback, user prices."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentkit import Agent, ModelPrice
from agentkit.models._pricing import cost_usd, litellm_table, price_entry, price_table, table_price
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.openai_responses import OpenAIResponsesModel
from agentkit.usage import Usage
from tests.emulator import Emulator, Reply
from tests.emulator import Usage as EmuUsage
from tests.models._helpers import opened

ROOT = Path(__file__).resolve().parents[2]
PRICES_FILE = ROOT / "agentkit" / "models" / "prices.json"
# (model, provider): OpenAI o-series and gpt-5, DeepSeek, Anthropic, as the adapters name them
SUPPORTED = [("gpt-5", "openai"), ("o4-mini", "openai"), ("deepseek-chat", "deepseek"), ("claude-sonnet-4-5", None)]
LITELLM_NAMES = {"deepseek-chat": "deepseek/deepseek-chat", "claude-sonnet-4-5": "anthropic/claude-sonnet-4-5"}


@pytest.fixture
def no_litellm(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """litellm can't be imported or found, and the cached tables are read again."""
    monkeypatch.setitem(sys.modules, "litellm", None)
    litellm_table.cache_clear()
    price_table.cache_clear()
    yield
    litellm_table.cache_clear()
    price_table.cache_clear()


def litellm_costs(usage: Usage) -> dict[str, float]:
    """What litellm itself charges for ``usage`` (input and output tokens) on the SUPPORTED models."""
    litellm = pytest.importorskip("litellm")
    costs = {}
    for model, _ in SUPPORTED:
        prompt, completion = litellm.cost_per_token(
            model=LITELLM_NAMES.get(model, model),
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
        )
        costs[model] = prompt + completion
    return costs


# --- the shipped table -----------------------------------------------------------------------------


def test_the_shipped_table_is_small_sorted_and_packaged() -> None:
    text = PRICES_FILE.read_text(encoding="utf-8")
    assert len(text) < 300_000
    models = json.loads(text)["models"]
    assert list(models) == sorted(models)
    assert price_table() == models  # read through importlib.resources: the file ships inside the package
    for model, provider in SUPPORTED:
        assert price_entry(model, provider, price_table())["input_cost_per_token"] > 0


def test_the_shipped_table_is_what_the_refresh_script_makes_from_litellm() -> None:
    pytest.importorskip("litellm")
    source = json.loads(PRICES_FILE.read_text(encoding="utf-8"))["source"]
    installed = importlib.metadata.version("litellm")
    if not source.startswith(f"litellm {installed} "):
        pytest.skip(f"prices.json comes from {source!r}; litellm {installed} is installed")
    spec = importlib.util.spec_from_file_location("refresh_prices", ROOT / "scripts" / "refresh_prices.py")
    assert spec is not None and spec.loader is not None
    script: Any = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.render(script.litellm_table(), source) == PRICES_FILE.read_text(encoding="utf-8")


def test_without_litellm_the_shipped_table_prices_supported_models_like_litellm(no_litellm: None) -> None:
    usage = Usage(input_tokens=1234, output_tokens=567)
    with pytest.raises(ImportError):
        import litellm  # noqa: F401
    assert litellm_table() == {}
    expected = _expected_from_the_shipped_file(usage)
    for model, provider in SUPPORTED:
        assert cost_usd(model, usage, provider) == pytest.approx(expected[model], rel=1e-12)
        assert expected[model] > 0


def _expected_from_the_shipped_file(usage: Usage) -> dict[str, float]:
    models = json.loads(PRICES_FILE.read_text(encoding="utf-8"))["models"]
    keys = {"gpt-5": "gpt-5", "o4-mini": "o4-mini", "deepseek-chat": "deepseek/deepseek-chat"}
    out = {}
    for model, _ in SUPPORTED:
        entry = models[keys.get(model, model)]
        out[model] = (
            usage.input_tokens * entry["input_cost_per_token"] + usage.output_tokens * entry["output_cost_per_token"]
        )
    return out


def test_the_shipped_prices_match_litellms_own_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    usage = Usage(input_tokens=1234, output_tokens=567)
    expected = litellm_costs(usage)  # computed by the real litellm, before hiding it
    monkeypatch.setitem(sys.modules, "litellm", None)
    litellm_table.cache_clear()
    try:
        for model, provider in SUPPORTED:
            assert cost_usd(model, usage, provider) == pytest.approx(expected[model], rel=1e-9)
            assert expected[model] > 0
    finally:
        litellm_table.cache_clear()


async def test_adapters_report_cost_without_litellm(emulator: Emulator, no_litellm: None) -> None:
    """gpt-5 over the Responses API and deepseek-chat over Chat Completions, end to end."""
    usage = EmuUsage(input_tokens=200_000, output_tokens=30_000, reasoning_tokens=10_000, cached_tokens=50_000)
    emulator.script(Reply(text="a", usage=usage), Reply(text="b", usage=usage))
    gpt5 = opened(OpenAIResponsesModel("gpt-5", base_url=emulator.base_url, api_key="k"))
    deepseek = opened(OpenAIChatModel("deepseek-chat", base_url=emulator.base_url, api_key="k", provider="deepseek"))
    tokens = Usage(input_tokens=200_000, output_tokens=30_000, reasoning_tokens=10_000, cached_tokens=50_000)
    for model, key in ((gpt5, "gpt-5"), (deepseek, "deepseek/deepseek-chat")):
        result = await Agent(model).run("hi")
        entry = price_table()[key]
        expected = (
            150_000 * entry["input_cost_per_token"]
            + 50_000 * entry["cache_read_input_token_cost"]
            + 30_000 * entry["output_cost_per_token"]
        )
        assert result.usage.cost_usd == pytest.approx(expected, rel=1e-12)
        assert result.usage.cost_usd == pytest.approx(table_price(model.model_name, model.provider).cost(tokens))  # type: ignore[union-attr]
        assert result.usage.cost_usd > 0
    emulator.assert_all_consumed()


# --- lookups -----------------------------------------------------------------------------------------


def test_cost_counts_cached_input_and_reasoning_output() -> None:
    entry = price_entry("o4-mini")
    usage = Usage(input_tokens=1000, cached_tokens=400, output_tokens=500, reasoning_tokens=300)
    expected = (
        600 * entry["input_cost_per_token"]
        + 400 * entry["cache_read_input_token_cost"]
        + 500 * entry["output_cost_per_token"]
    )
    assert cost_usd("o4-mini", usage) == pytest.approx(expected)
    assert expected > 0


def test_matches_litellm_cost_per_token() -> None:
    litellm = pytest.importorskip("litellm")
    usage = Usage(input_tokens=1234, output_tokens=567)
    prompt, completion = litellm.cost_per_token(model="gpt-4.1", prompt_tokens=1234, completion_tokens=567)
    assert cost_usd("gpt-4.1", usage) == pytest.approx(prompt + completion)


def test_lookup_by_provider_prefix_and_dated_name() -> None:
    table = price_table()
    assert price_entry("deepseek-reasoner", "deepseek") == table["deepseek/deepseek-reasoner"]
    assert price_entry("anthropic/claude-sonnet-4-5") == table["claude-sonnet-4-5"]
    assert price_entry("gpt-4.1-2099-01-01") == table["gpt-4.1"]


def test_agentkit_provider_names_map_to_litellm_prefixes() -> None:
    together = next(k for k in price_table() if k.startswith("together_ai/") and "/" in k.removeprefix("together_ai/"))
    assert price_entry(together.removeprefix("together_ai/"), "together") == price_table()[together]
    fireworks = next(k for k in price_table() if k.startswith("fireworks_ai/accounts/"))
    assert price_entry(fireworks.removeprefix("fireworks_ai/"), "fireworks") == price_table()[fireworks]


def test_a_model_missing_from_the_shipped_table_is_looked_up_in_litellms() -> None:
    table = litellm_table()
    if not table:
        pytest.skip("litellm is not installed")
    missing = next(k for k, v in table.items() if k.startswith("mistral/") and "input_cost_per_token" in v)
    assert missing not in price_table()
    assert price_entry(missing) == table[missing]


def test_unknown_models_have_no_price_and_cost_nothing() -> None:
    assert table_price("my-local-model") is None
    assert cost_usd("my-local-model", Usage(input_tokens=10, output_tokens=10)) == 0.0


def test_the_local_provider_is_free_even_for_a_name_in_the_table() -> None:
    usage = Usage(input_tokens=10**6, output_tokens=10**6)
    assert cost_usd("gpt-5", usage, "openai") > 0
    assert cost_usd("gpt-5", usage, "local") == 0.0
    assert table_price("gpt-5", "local") == ModelPrice(input_per_mtok=0, output_per_mtok=0)


def test_a_given_table_wins() -> None:
    table = {"mine": {"input_cost_per_token": 1.0, "output_cost_per_token": 2.0}}
    assert cost_usd("mine", Usage(input_tokens=3, output_tokens=4), table=table) == 11.0


# --- ModelPrice --------------------------------------------------------------------------------------


def test_model_price_is_per_million_tokens() -> None:
    price = ModelPrice(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5, reasoning_per_mtok=10.0)
    usage = Usage(input_tokens=1_000_000, cached_tokens=200_000, output_tokens=500_000, reasoning_tokens=100_000)
    assert price.cost(usage) == pytest.approx(0.8 * 2.0 + 0.2 * 0.5 + 0.4 * 8.0 + 0.1 * 10.0)


def test_model_price_defaults_cached_to_input_and_reasoning_to_output() -> None:
    price = ModelPrice(input_per_mtok=2.0, output_per_mtok=8.0)
    usage = Usage(input_tokens=1_000_000, cached_tokens=200_000, output_tokens=500_000, reasoning_tokens=100_000)
    assert price.cost(usage) == pytest.approx(2.0 + 0.5 * 8.0)


def test_model_price_rejects_negative_prices() -> None:
    with pytest.raises(ValidationError, match="input_per_mtok\n  Input should be greater than or equal to 0"):
        ModelPrice(input_per_mtok=-1, output_per_mtok=1)


def test_table_entries_become_model_prices() -> None:
    price = table_price("o4-mini", "openai")
    entry = price_table()["o4-mini"]
    assert price is not None
    assert price.input_per_mtok == pytest.approx(entry["input_cost_per_token"] * 1e6)
    assert price.output_per_mtok == pytest.approx(entry["output_cost_per_token"] * 1e6)
    assert price.cached_input_per_mtok == pytest.approx(entry["cache_read_input_token_cost"] * 1e6)
    assert price.reasoning_per_mtok is None
