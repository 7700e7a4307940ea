"""Cost per request from litellm's price table."""

from __future__ import annotations

import pytest

from agentkit.models._pricing import cost_usd, price_entry, price_table
from agentkit.usage import Usage


def test_the_bundled_table_is_litellms() -> None:
    litellm = pytest.importorskip("litellm")
    table = price_table()
    assert len(table) > 1000
    for model in ("o4-mini", "gpt-4.1", "deepseek-reasoner", "claude-sonnet-4-5"):
        assert table[model]["input_cost_per_token"] == litellm.model_cost[model]["input_cost_per_token"]


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
    assert price_entry("deepseek-reasoner", "deepseek") == price_table()["deepseek/deepseek-reasoner"]
    assert price_entry("anthropic/claude-sonnet-4-5") == price_table()["claude-sonnet-4-5"]
    assert price_entry("gpt-4.1-2099-01-01") == price_table()["gpt-4.1"]


def test_unknown_models_cost_nothing() -> None:
    assert cost_usd("my-local-model", Usage(input_tokens=10, output_tokens=10)) == 0.0


def test_a_given_table_wins() -> None:
    table = {"mine": {"input_cost_per_token": 1.0, "output_cost_per_token": 2.0}}
    assert cost_usd("mine", Usage(input_tokens=3, output_tokens=4), table=table) == 11.0
