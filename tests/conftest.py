"""Test-wide setup: no test reaches the internet; providers' SDKs never phone home."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from agentkit.testing import block_network

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("OPENAI_API_KEY", "sk-test-not-a-real-key")
os.environ.setdefault("ANTHROPIC_API_KEY", "sk-ant-test-not-a-real-key")


@pytest.fixture(autouse=True)
def _no_internet() -> Iterator[None]:
    with block_network():
        yield


@pytest.fixture(autouse=True)
def _own_agentkit_home(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Run databases, sessions and saved-run listings go to a fresh directory, never ``~/.agentkit``."""
    monkeypatch.setenv("AGENTKIT_HOME", str(tmp_path_factory.mktemp("agentkit-home")))
    monkeypatch.delenv("AGENTKIT_DB", raising=False)
