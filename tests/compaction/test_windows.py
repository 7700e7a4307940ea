"""Where a run's context window comes from: the model's own, the shipped (litellm) table, agentkit's
family table, none for test models; and context management is on for an agent given no policy."""

from __future__ import annotations

import pytest

from agentkit import Agent
from agentkit.compaction import context_window
from agentkit.events import ContextCompacted
from agentkit.models._pricing import price_table
from agentkit.models.openai_chat import OpenAIChatModel
from agentkit.testing import FunctionModel, TestModel
from tests.compaction.test_loop import Reader, read_page


def chat(name: str) -> OpenAIChatModel:
    return OpenAIChatModel(name, base_url="http://127.0.0.1:9/v1", api_key="sk-test")


def test_a_model_in_the_shipped_table_has_litellms_window() -> None:
    assert context_window(chat("gpt-4.1")) == price_table()["gpt-4.1"]["max_input_tokens"]


@pytest.mark.parametrize(
    ("name", "window"),
    [("my-qwen3-finetune", 32_768), ("acme-llama-3.1-70b-awq", 131_072), ("claude-next-preview", 200_000)],
)
def test_a_model_the_tables_lack_gets_its_familys_window(name: str, window: int) -> None:
    assert name not in price_table()
    assert context_window(chat(name)) == window


def test_an_unknown_model_and_test_models_have_no_window() -> None:
    assert context_window(chat("mystery-model")) is None
    assert context_window(TestModel()) is None


def test_the_models_own_window_wins_over_the_tables() -> None:
    model = chat("gpt-4.1")
    model.context_window = 8_000  # type: ignore[attr-defined]
    assert context_window(model) == 8_000


async def test_context_management_is_on_without_a_policy() -> None:
    reader = Reader(pages=40)
    model = FunctionModel(reader)
    model.context_window = 4_000  # type: ignore[attr-defined]
    result = await Agent(model, tools=[read_page]).run("Read pages 0 to 39, then tell me the vault code.")

    assert result.output == "Code: 4417"
    assert reader.problems == []
    compacted = [e for e in result.events if isinstance(e, ContextCompacted)]
    assert compacted and all(e.window == 4_000 and e.reason == "threshold" for e in compacted)
    assert max(reader.sizes) <= 4_000
