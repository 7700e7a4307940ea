"""The prompted-mode templates: registered with the others, all used, all renderable."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from agentkit.prompts import TEMPLATES, render
from agentkit.prompts.prompted import TEMPLATES as PROMPTED

MODELS = Path(__file__).resolve().parents[2] / "agentkit" / "models"


def test_registered_once_and_unchanged() -> None:
    assert set(PROMPTED) <= set(TEMPLATES)
    assert all(TEMPLATES[name] == body for name, body in PROMPTED.items())


def test_every_template_is_used() -> None:
    source = "".join(path.read_text() for path in MODELS.glob("*prompted*.py"))
    unused = [name for name in PROMPTED if not re.search(rf'"{name}"', source)]
    assert unused == []


@pytest.mark.parametrize("name", sorted(PROMPTED))
def test_renders_with_its_placeholders(name: str) -> None:
    fields = {m.group("named") or m.group("braced") for m in string.Template.pattern.finditer(PROMPTED[name])}
    fields.discard(None)
    values = {field: f"<{field}>" for field in fields}
    text = render(name, **values)
    assert "$" not in text
    for field in fields:
        assert f"<{field}>" in text
