"""Every agentkit error survives pickling: durable runs record a step's error by pickling it."""

from __future__ import annotations

import pickle

import pytest

from agentkit.background.errors import RunDatabaseCorrupt
from agentkit.exceptions import (
    AgentkitError,
    BudgetExceeded,
    ContextWindowExceeded,
    ModelConnectionError,
    ModelHTTPError,
    ModelResponseError,
    ModelRetry,
    ModelStreamError,
    ToolRetriesExceeded,
    UserError,
)
from agentkit.messages import ModelRequest, UserPart
from agentkit.sessions import SessionBusy
from agentkit.usage import Usage

HISTORY = [ModelRequest(parts=[UserPart(content="hi")])]

ERRORS: list[AgentkitError] = [
    UserError("Bad input. Fix it."),
    ModelRetry("try again"),
    ModelHTTPError(500, "gpt-x", {"error": "boom"}, "Try later."),
    ContextWindowExceeded(400, "gpt-x", "maximum context length is 8192 tokens", window=8192, tokens=9000),
    ModelConnectionError("gpt-x", "connection reset", attempts=3),
    ModelStreamError("gpt-x", "cut"),
    ModelResponseError("gpt-x", "invalid JSON", attempts=2),
    BudgetExceeded("max_turns", Usage(requests=3), HISTORY, "detail"),
    ToolRetriesExceeded("pay", 1, "boom", HISTORY),
]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: type(e).__name__)
def test_an_error_round_trips_through_pickle(error: AgentkitError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.args == error.args
    assert vars(copy) == vars(error)


def test_errors_outside_the_core_module_round_trip_too() -> None:
    corrupt = RunDatabaseCorrupt("Bad file.", database="/tmp/runs.sqlite", reason="file is not a database")
    for error in [SessionBusy("user-42"), corrupt]:
        copy = pickle.loads(pickle.dumps(error))
        assert type(copy) is type(error) and str(copy) == str(error) and vars(copy) == vars(error)
