"""Model profiles: which family a model name belongs to, and what its settings become."""

from __future__ import annotations

import dataclasses

import pytest

from agentkit import ModelSettings
from agentkit._cli.progress import RunProgress, event_line
from agentkit._report.model import describe
from agentkit.events import SettingDropped, event_adapter
from agentkit.exceptions import UserError
from agentkit.models._pricing import price_table, table_price
from agentkit.models.base import RequestParams
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.models.profiles import (
    EFFORT_SCALE,
    FAMILIES,
    SAMPLING,
    DroppedSetting,
    fit_settings,
    match_family,
    nearest_effort,
    profile_for,
)
from agentkit.models.profiles._announce import model_profile
from agentkit.testing import ScriptedModel


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("o4-mini", "OpenAI o-series"),
        ("o3-2025-04-16", "OpenAI o-series"),
        ("o1-mini", "OpenAI o1-mini / o1-preview"),
        ("openrouter/openai/o3", "OpenAI o-series"),
        ("gpt-5", "OpenAI GPT-5"),
        ("gpt-5-mini", "OpenAI GPT-5"),
        ("gpt-5.1", "OpenAI GPT-5.1"),
        ("gpt-5.1-codex", "OpenAI GPT-5 Codex"),
        ("gpt-5-chat-latest", "OpenAI GPT-5 Chat"),
        ("gpt-5.2", "OpenAI GPT-5.2 and later"),
        ("gpt-4.1-mini", "OpenAI GPT-4.1"),
        ("gpt-4o", "OpenAI GPT-4o / GPT-4"),
        ("anthropic/claude-sonnet-4-5", "Claude 4 (thinking budget)"),
        ("us.anthropic.claude-sonnet-4-20250514-v1:0", "Claude 4 (thinking budget)"),
        ("claude-opus-4-5-20251101", "Claude Opus 4.5 (effort)"),
        ("claude-opus-4-6", "Claude 4.6 and later (adaptive thinking)"),
        ("deepseek-chat", "DeepSeek V3 (non-thinking)"),
        ("deepseek-reasoner", "DeepSeek R1"),
        ("deepseek-v4-pro", "DeepSeek V4"),
        ("Qwen3-8B-Q4_K_M.gguf", "Qwen3 / QwQ"),
        ("gemini/gemini-2.5-pro", "Gemini 2.5"),
        ("gemini-3-pro-preview", "Gemini 3 Pro"),
        ("meta-llama/Llama-3.3-70B-Instruct", "Llama 3 / 4"),
    ],
)
def test_the_longest_matching_prefix_names_the_family(model: str, family: str) -> None:
    found = match_family(model)
    assert found is not None and found.family == family


def test_a_prefix_matches_only_at_a_word_boundary() -> None:
    assert match_family("o10-experimental") is None
    assert match_family("gpt-50") is None


def test_numbers_come_from_the_price_table() -> None:
    profile = profile_for("openai", "gpt-4.1")
    assert profile.context_window == price_table()["gpt-4.1"]["max_input_tokens"]
    assert profile.price == table_price("gpt-4.1", "openai") and profile.price is not None
    assert profile.source == "agentkit"


def test_an_unknown_model_drops_nothing() -> None:
    profile = profile_for(None, "my-finetune-7b")
    assert profile.source == "default" and profile.family == "unknown model"
    settings = ModelSettings(temperature=0.3, top_p=0.5, reasoning_effort="minimal", parallel_tool_calls=False)
    assert fit_settings(profile, "my-finetune-7b", settings).settings == settings


def test_the_table_uses_known_names_only() -> None:
    prefixes = [prefix for family in FAMILIES for prefix in family.models]
    assert len(prefixes) == len(set(prefixes))
    for family in FAMILIES:
        assert set(family.sampling) <= set(SAMPLING)
        assert set(family.efforts or ()) <= set(EFFORT_SCALE)


@pytest.mark.parametrize(
    ("value", "supported", "expected"),
    [
        ("minimal", ("low", "medium", "high"), "low"),
        ("minimal", ("none", "low", "medium", "high"), "low"),  # a tie goes to the higher level
        ("medium", ("low", "high"), "high"),
        ("high", ("medium",), "medium"),
        ("low", ("minimal", "high"), "minimal"),
    ],
)
def test_nearest_effort(value: str, supported: tuple[str, ...], expected: str) -> None:
    assert nearest_effort(value, supported) == expected


def test_o_series_drop_sampling_and_map_minimal_to_low() -> None:
    settings = ModelSettings(temperature=0.2, top_p=0.9, reasoning_effort="minimal", max_tokens=50)
    fitted = fit_settings(profile_for("openai", "o4-mini"), "o4-mini", settings)
    assert fitted.settings == ModelSettings(reasoning_effort="low", max_tokens=50)
    assert fitted.dropped == (
        DroppedSetting("temperature", 0.2, "OpenAI o-series models take no temperature"),
        DroppedSetting("top_p", 0.9, "OpenAI o-series models take no top_p"),
        DroppedSetting(
            "reasoning_effort",
            "minimal",
            "OpenAI o-series models take reasoning_effort 'low', 'medium' or 'high' (sent the nearest)",
            replacement="low",
        ),
    )


def test_gpt5_keeps_minimal_and_gpt41_drops_effort() -> None:
    minimal = ModelSettings(reasoning_effort="minimal")
    assert fit_settings(profile_for("openai", "gpt-5"), "gpt-5", minimal).dropped == ()
    fitted = fit_settings(profile_for("openai", "gpt-4.1"), "gpt-4.1", minimal.merge(ModelSettings(temperature=0.1)))
    assert fitted.settings == ModelSettings(temperature=0.1)
    assert [(d.setting, d.reason) for d in fitted.dropped] == [
        ("reasoning_effort", "OpenAI GPT-4.1 models do not reason")
    ]


@pytest.mark.parametrize(
    ("settings", "dropped"),
    [
        (ModelSettings(temperature=0.5), []),  # thinking off: any temperature
        (ModelSettings(temperature=0.5, reasoning_effort="low"), ["temperature"]),
        (ModelSettings(temperature=1.0, thinking_budget=2000), []),
        (ModelSettings(top_p=0.9, reasoning_effort="low"), ["top_p"]),
        (ModelSettings(top_p=0.97, reasoning_effort="low"), []),
    ],
)
def test_claude_with_thinking_takes_temperature_1_and_top_p_from_095(
    settings: ModelSettings, dropped: list[str]
) -> None:
    name = "anthropic/claude-sonnet-4-5"
    fitted = fit_settings(profile_for("anthropic", name), name, settings)
    assert [d.setting for d in fitted.dropped] == dropped


def test_claude_thinking_temperature_reason() -> None:
    name = "claude-sonnet-4-5"
    fitted = fit_settings(profile_for("anthropic", name), name, ModelSettings(temperature=0.3, reasoning_effort="low"))
    assert fitted.dropped[0].reason == "with thinking on, Claude 4 (thinking budget) models take only temperature=1.0"


def test_strict_refuses_with_the_setting_the_model_and_the_fix() -> None:
    settings = ModelSettings(temperature=0.2, reasoning_effort="minimal", strict=True)
    with pytest.raises(UserError) as caught:
        fit_settings(profile_for("openai", "o4-mini"), "o4-mini", settings)
    assert str(caught.value) == (
        "Model 'o4-mini' does not accept these settings. ModelSettings(temperature=0.2) is refused: OpenAI "
        "o-series models take no temperature. ModelSettings(reasoning_effort='minimal') is refused: OpenAI o-series "
        "models take reasoning_effort 'low', 'medium' or 'high' (sent the nearest). Fix: remove temperature; set "
        "reasoning_effort='low'; or leave ModelSettings(strict=False) to have them dropped with a SettingDropped event."
    )


def test_strict_settings_the_model_accepts_pass() -> None:
    settings = ModelSettings(reasoning_effort="low", max_tokens=10, strict=True)
    assert fit_settings(profile_for("openai", "o4-mini"), "o4-mini", settings).settings == settings


def test_an_adapter_takes_a_profile_override() -> None:
    own = dataclasses.replace(profile_for("openai", "o4-mini"), family="my deployment")
    model = OpenAIChatModel("my-o4", api_key="k", profile=own)
    assert model_profile(model) is own
    body = model.build_body([], ModelSettings(temperature=0.2, max_tokens=5), RequestParams())
    assert "temperature" not in body and body["max_completion_tokens"] == 5
    assert model_profile(OpenAIChatModel("my-o4", api_key="k")) == profile_for("openai", "my-o4")
    assert model_profile(ScriptedModel([])) is None


def test_the_cli_and_the_report_show_a_dropped_setting() -> None:
    event = SettingDropped(
        run_id="r1",
        setting="reasoning_effort",
        value="minimal",
        model="openai:o4-mini",
        reason="OpenAI o-series models take reasoning_effort 'low', 'medium' or 'high' (sent the nearest)",
        replacement="low",
    )
    line = event_line(event, RunProgress())
    assert line is not None and line.plain == (
        "  ⚠ reasoning_effort='minimal' sent as 'low' to openai:o4-mini: OpenAI o-series models take "
        "reasoning_effort 'low', 'medium' or 'high' (sent the nearest)"
    )
    assert describe(event).startswith("setting dropped: setting=reasoning_effort, value=minimal")
    assert event_adapter().validate_json(event.model_dump_json()) == event
