"""Named templates: every area registered once, loud failures on misuse."""

from __future__ import annotations

import pytest

from agentkit.prompts import TEMPLATES, core, prompted, register, render, strategies


def test_every_area_is_registered() -> None:
    for area in (core, prompted, strategies):
        assert all(TEMPLATES[name] == text for name, text in area.TEMPLATES.items())


def test_missing_value_and_unknown_name_fail_loudly() -> None:
    with pytest.raises(KeyError, match="tool"):
        render("tool_unknown", available="a")
    with pytest.raises(KeyError, match="no prompt template named 'nope'"):
        render("nope")


def test_a_name_can_only_be_defined_once() -> None:
    with pytest.raises(KeyError, match=r"prompt templates defined twice: \['tool_unknown'\]"):
        register({"tool_unknown": "again"})
