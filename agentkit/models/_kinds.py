"""What kind of model a :class:`~agentkit.models.base.Model` is, without importing the modules that
define those kinds (a model of a kind whose module was never imported can't be of that kind)."""

from __future__ import annotations

import sys

from agentkit.models.base import Model

__all__ = ["inner_model", "is_test_model"]


def inner_model(model: Model) -> Model:
    """The text model inside a prompted-mode wrapper (or ``model`` itself)."""
    prompted = sys.modules.get("agentkit.models.prompted")
    return model.inner if prompted is not None and isinstance(model, prompted.PromptedModel) else model


def is_test_model(model: Model) -> bool:
    """Whether ``model`` is one of :mod:`agentkit.testing`'s models."""
    testing = sys.modules.get("agentkit.testing")
    return testing is not None and isinstance(model, (testing.ScriptedModel, testing.FunctionModel, testing.TestModel))
