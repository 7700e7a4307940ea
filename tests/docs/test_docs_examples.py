"""Every Python code block in the docs and the README runs.

Model strings ("openai:...", "local", ...) are served by ``TestModel`` here, so the examples run
offline; everything else — tools, schemas, output types, budgets — is real.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import agentkit.agent
from agentkit.models import Model, infer_model
from agentkit.testing import TestModel

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def blocks() -> list[tuple[str, int, str]]:
    found = []
    for path in FILES:
        text = path.read_text()
        for index, match in enumerate(BLOCK.finditer(text)):
            found.append((str(path.relative_to(ROOT)), index, match.group(1)))
    return found


def offline_model(spec: Model | str) -> Model:
    return spec if isinstance(spec, Model) else TestModel()


@pytest.mark.parametrize(
    ("path", "index", "code"), blocks(), ids=lambda v: str(v) if not isinstance(v, str) or len(v) < 40 else ""
)
def test_code_block_runs(path: str, index: int, code: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(agentkit.agent, "infer_model", offline_model)
    exec(compile(code, f"{path}[block {index}]", "exec"), {"__name__": f"docs_block_{index}"})


def test_blocks_were_found() -> None:
    assert len(blocks()) >= 10
    assert infer_model is not offline_model
