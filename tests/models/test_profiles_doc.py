"""The "Models and profiles" page is generated from the profile table and kept up to date."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from agentkit.models.profiles import FAMILIES, profile_for

ROOT = Path(__file__).resolve().parents[2]


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_profiles_doc", ROOT / "scripts" / "gen_profiles_doc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_page_is_up_to_date() -> None:
    page = (ROOT / "docs" / "reference" / "profiles.md").read_text(encoding="utf-8")
    assert page == generator().render(), "run: .venv/bin/python scripts/gen_profiles_doc.py"


def test_every_family_has_a_row_and_an_example_of_its_own() -> None:
    module = generator()
    page = module.render()
    for family in FAMILIES:
        assert page.count(f"| {family.family} |") == 2
        provider, name = module.EXAMPLES[family.family]
        assert profile_for(provider, name).family == family.family
    assert set(module.EXAMPLES) == {family.family for family in FAMILIES}


def test_check_mode_reports_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = generator()
    page = tmp_path / "profiles.md"
    monkeypatch.setattr(module, "OUTPUT", page)
    page.write_text("stale", encoding="utf-8")
    assert module.main(["--check"]) == 1
    assert module.main([]) == 0 and module.main(["--check"]) == 0


def test_the_page_is_in_the_nav() -> None:
    assert "reference/profiles.md" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
