"""Fixtures for the emulator's own tests."""

from .fixtures import deepseek_emulator, emulator

__all__ = ["deepseek_emulator", "emulator"]
