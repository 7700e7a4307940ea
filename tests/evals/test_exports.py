"""The public surface of agentkit.evals: ``__all__`` resolves, is sorted, and the package is reachable."""

from __future__ import annotations

import agentkit
import agentkit.evals


def test_every_exported_name_resolves_to_agentkit_code() -> None:
    assert sorted(agentkit.evals.__all__) == agentkit.evals.__all__
    aliases = {"EvaluatorLike", "Strategies"}  # type aliases (unions) have no module of their own
    for name in set(agentkit.evals.__all__) - aliases:
        value = getattr(agentkit.evals, name)
        assert getattr(value, "__module__", "agentkit.evals").startswith("agentkit.evals"), name


def test_evals_is_reachable_from_agentkit() -> None:
    assert agentkit.evals.evaluate.__name__ == "evaluate"
