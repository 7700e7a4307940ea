"""The deployment check (``scripts/check_deployment.py``): a small run of it on PostgreSQL, and its
verdicts on side-effect journals that break, or keep, the crash guarantees."""

from __future__ import annotations

import os
import random

import pytest

from scripts.check_deployment import Kill, Performed, Settings, check_effects, run_check, run_of

POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgres"], indirect=True)


@pytest.mark.postgres
@POSTGRES_ONLY
def test_runs_survive_workers_killed_at_random_and_are_taken_over_by_the_others(db_url: str) -> None:
    seed = int(os.environ.get("AGENTKIT_KILL_SEED", random.randrange(1_000_000)))
    print(f"AGENTKIT_KILL_SEED={seed}")  # shown on failure, to replay the same turns and kill points
    # every fifth run is a SelfConsistency(3) run: its branches are child runs, killed and taken over too
    settings = Settings(runs=10, kills=2, workers=2, worker_concurrency=10, call_s=0.1, seed=seed, timeout_s=90)
    report = run_check(db_url, settings)
    print(report.summary(settings))
    assert report.violations == []
    assert (report.succeeded, len(report.kills), report.workers_started) == (10, 2, 4)
    assert report.takeovers >= 1, "the killed workers held unfinished runs"
    assert all(kill.resumed_after_s is not None for kill in report.kills)


def _kill(pid: int, recorded: set[str], lines_before: int) -> Kill:
    return Kill(at=0.0, executor_id=f"w{pid}", pid=pid, recorded=recorded, lines_before=lines_before, orphans={"r1"})


ONE_RUN = ["r1:m0", "r1:0:c0", "r1:m1"]


RERUN = Performed([("model", "r1:m0", 1), ("tool", "r1:0:c0", 1), ("tool", "r1:0:c0", 2), ("model", "r1:m1", 2)])
"""Worker 1 performs the model call and the tool call, worker 2 the tool call again and the last model call."""


def test_a_call_in_flight_at_a_kill_may_run_again_in_another_worker() -> None:
    performed = RERUN
    assert check_effects(performed, ONE_RUN, [_kill(1, {"r1:m0"}, 2)]) == []
    assert performed.performed_again() == 1


def test_a_call_that_runs_again_without_a_kill_is_a_violation() -> None:
    performed = RERUN
    assert check_effects(performed, ONE_RUN, []) == [
        "r1:0:c0 was performed again although its process was not killed: pids [1, 2]"
    ]


def test_a_call_recorded_before_a_kill_that_runs_after_it_is_a_violation() -> None:
    performed = RERUN
    assert check_effects(performed, ONE_RUN, [_kill(1, {"r1:m0", "r1:0:c0"}, 2)]) == [
        "calls recorded before the kill of w1 ran again: ['r1:0:c0']"
    ]


def test_a_call_performed_but_never_recorded_is_a_violation() -> None:
    performed = Performed([("model", "r1:m0", 1), ("tool", "r1:0:c0", 1), ("model", "r1:m1", 1)])
    assert check_effects(performed, ["r1:m0", "r1:m1"], []) == [
        "recorded but never performed: []; performed, never recorded: ['r1:0:c0']"
    ]


def test_the_calls_of_a_strategy_run_belong_to_its_branches() -> None:
    assert run_of("t-003:m2") == "t-003"
    assert run_of("t-003:1:call_9") == "t-003"
    assert run_of("t-s004:2:m1") == "t-s004:2"
    assert run_of("t-s004:2:1:call_9") == "t-s004:2"
