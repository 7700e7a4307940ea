"""The public surface of agentkit.strategies is complete, and its prompts are registered."""

from __future__ import annotations

import importlib
import string

from agentkit import strategies
from agentkit.prompts import TEMPLATES
from agentkit.prompts.strategies import TEMPLATES as STRATEGY_TEMPLATES

MODULES = [
    "adaptive",
    "beam",
    "best_of_n",
    "dvts",
    "reflect",
    "result",
    "self_consistency",
    "step_scorers",
    "verifiers",
]


def test_all_public_names_of_the_modules_are_exported() -> None:
    public = {name for m in MODULES for name in importlib.import_module(f"agentkit.strategies.{m}").__all__}
    assert public | {"Strategy", "ToolPolicy"} == set(strategies.__all__)
    for name in strategies.__all__:
        assert getattr(strategies, name) is not None


def test_strategy_templates_are_registered_and_well_formed() -> None:
    assert set(STRATEGY_TEMPLATES) <= set(TEMPLATES)
    for name, body in STRATEGY_TEMPLATES.items():
        assert TEMPLATES[name] == body
        string.Template(body).substitute({k: "x" for k in _placeholders(body)})


def _placeholders(body: str) -> set[str]:
    return {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(body) if m.group("named")}
