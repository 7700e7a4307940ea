"""The public surface: ``__all__`` is complete, every name resolves, and nothing else is exported."""

from __future__ import annotations

import pytest

import agentkit
import agentkit.testing


def test_all_matches_the_lazy_table() -> None:
    assert set(agentkit.__all__) - {"__version__"} == set(agentkit._LAZY)
    assert sorted(agentkit.__all__) == agentkit.__all__ or set(dir(agentkit)) == set(agentkit.__all__)


@pytest.mark.parametrize("name", agentkit.__all__)
def test_every_name_resolves(name: str) -> None:
    value = getattr(agentkit, name)
    assert value is not None
    if name != "__version__":
        assert getattr(value, "__module__", "agentkit").startswith("agentkit")


def test_unknown_name_is_a_clear_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'agentkit' has no attribute 'Agnet'"):
        agentkit.Agnet  # type: ignore[attr-defined]  # noqa: B018


def test_testing_exports_resolve() -> None:
    for name in agentkit.testing.__all__:
        assert getattr(agentkit.testing, name) is not None


def test_submodules_load_on_attribute_access() -> None:
    import subprocess
    import sys

    code = "import agentkit; print(agentkit.runs.get.__module__, agentkit.strategies.BestOfN.__name__)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["agentkit.runs", "BestOfN"]


def test_model_price_is_public() -> None:
    from agentkit.pricing import ModelPrice

    assert "ModelPrice" in agentkit.__all__
    assert agentkit.ModelPrice is ModelPrice


def test_model_response_error_is_public() -> None:
    from agentkit.exceptions import ModelConnectionError, ModelResponseError

    assert agentkit.ModelResponseError is ModelResponseError
    assert issubclass(ModelResponseError, ModelConnectionError)


def test_sessions_are_public() -> None:
    from agentkit.sessions import Session, SessionBusy, SessionStore

    assert (agentkit.Session, agentkit.SessionBusy, agentkit.SessionStore) == (Session, SessionBusy, SessionStore)
    assert agentkit.sessions.MemorySessionStore.__name__ == "MemorySessionStore"


def test_guardrails_are_public() -> None:
    from agentkit import guardrails

    names = ["GuardrailError", "GuardrailResult", "GuardrailTripped", "InputGuardrail", "InputGuardrailTripped"]
    names += ["OutputGuardrail", "OutputGuardrailTripped"]
    for name in names:
        assert name in agentkit.__all__ and getattr(agentkit, name) is getattr(guardrails, name)
    assert issubclass(agentkit.InputGuardrailTripped, agentkit.GuardrailTripped)
    assert issubclass(agentkit.GuardrailTripped, agentkit.AgentkitError)
    assert issubclass(agentkit.GuardrailError, agentkit.AgentkitError)


def test_attachments_are_public() -> None:
    from agentkit.attachments import Document, Image

    assert (agentkit.Image, agentkit.Document) == (Image, Document)
