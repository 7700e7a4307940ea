"""Durable runs record each summarizing request as a model step: a resumed run replays the same
compactions and finishes with the same answer."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from agentkit.background import DurableBackend, DurableConfig, RunCancelled
from tests.background.conftest import database
from tests.compaction import bg_compacting


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DurableBackend]:
    with database("sqlite", tmp_path_factory.mktemp("agentkit-home")) as url:
        backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="unit", queue_poll_s=0.05))
        backend.launch()
        yield backend
        backend.shutdown()


def test_summaries_are_recorded_as_model_steps(backend: DurableBackend) -> None:
    handle = bg_compacting.reader.start("Read the pages, then tell me the vault code.")
    result = handle.result(timeout=60)
    assert result.output == "Code: 4417"
    events = [e for e in handle.events() if e.kind == "context_compacted"]
    summaries = sum("summarize" in e.data["rungs"] for e in events)
    assert summaries > 0
    names = [s.name for s in backend.store.steps(handle.id)]
    assert names.count("agentkit.model:model") == bg_compacting.PAGES + 1 + summaries
    assert result.usage.requests == bg_compacting.PAGES + 1 + summaries


def test_a_resumed_run_replays_the_same_compactions(backend: DurableBackend) -> None:
    handle = bg_compacting.reader.start("Read the pages, then tell me the vault code.")
    deadline = time.monotonic() + 30
    while not any(e.kind == "context_compacted" and "summarize" in e.data["rungs"] for e in handle.events()):
        assert time.monotonic() < deadline, "no summary before the deadline"
        time.sleep(0.02)
    handle.cancel()
    with pytest.raises(RunCancelled):
        handle.result(timeout=10)
    handle.resume()
    result = handle.result(timeout=60)  # a replay taking other decisions would fail with ReplayDiverged
    assert result.output == "Code: 4417"
    compactions = [e.data for e in handle.events() if e.kind == "context_compacted"]
    summaries = sum("summarize" in c["rungs"] for c in compactions)
    names = [s.name for s in backend.store.steps(handle.id)]
    assert names.count("agentkit.model:model") == bg_compacting.PAGES + 1 + summaries
