"""Fixtures for the adapter tests: emulators on 127.0.0.1 and a retry policy that records its waits."""

from __future__ import annotations

import pytest

from tests.emulator.fixtures import deepseek_emulator, emulator
from tests.models._helpers import close_models, retry_policy, waits

__all__ = ["close_models", "deepseek_emulator", "emulator", "retry_policy", "waits"]

# litellm 1.110 builds pydantic TypedDicts with ReadOnly items while streaming Anthropic thinking; pydantic
# warns about it (a UserWarning inside litellm, harmless) and the test suite turns warnings into errors.
LITELLM_WARNING = "ignore:Items? .* on TypedDict class .* (is|are) using the .ReadOnly. qualifier:UserWarning"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/models/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings(LITELLM_WARNING))
