"""Fixtures for the context-management tests: emulators on 127.0.0.1, adapters closed after each test."""

from __future__ import annotations

import pytest

from tests.emulator.fixtures import deepseek_emulator, emulator
from tests.models._helpers import close_models

__all__ = ["close_models", "deepseek_emulator", "emulator"]

# litellm 1.110 builds pydantic TypedDicts with ReadOnly items (a harmless UserWarning inside litellm).
LITELLM_WARNING = "ignore:Items? .* on TypedDict class .* (is|are) using the .ReadOnly. qualifier:UserWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/compaction/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings(LITELLM_WARNING))
