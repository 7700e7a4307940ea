"""Pytest fixtures for tests that talk to the emulator.

Import them into a ``conftest.py``::

    from tests.emulator.fixtures import emulator, deepseek_emulator  # noqa: F401
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .server import Emulator


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A running emulator (plain-chat mode, no latency) stopped after the test."""
    with Emulator() as emu:
        yield emu


@pytest.fixture
def deepseek_emulator() -> Iterator[Emulator]:
    """A running emulator whose /v1/chat/completions behaves like DeepSeek in thinking mode."""
    with Emulator(chat_mode="deepseek") as emu:
        yield emu
