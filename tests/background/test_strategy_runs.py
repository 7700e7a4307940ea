"""``agent.start(task, strategy=...)``: each branch a durable child run on the queue, one shared budget,
the parent waiting durably; across worker processes, a SIGKILL costs at most the branches it ran."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentkit.background import DurableBackend, DurableConfig, RunState, RunStore
from agentkit.cli import app
from agentkit.exceptions import UserError
from agentkit.strategies import BeamSearch, BestOfN, StrategyResult
from tests.background import bg_strategy_agents as agents
from tests.background.conftest import DATABASES, database
from tests.background.harness import SideEffects, Worker


@pytest.fixture(scope="module", params=DATABASES)
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DurableBackend]:
    with database(request.param, tmp_path_factory.mktemp("agentkit-home")) as url:
        backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="unit", queue_poll_s=0.05))
        backend.launch()
        yield backend
        backend.shutdown()


def _tool_lines(path: Path) -> Counter[str]:
    """How often each branch (child run id) ran its tool."""
    return Counter(line.split()[1] for line in path.read_text().splitlines() if line.startswith("tool "))


def test_best_of_n_runs_each_branch_as_a_child_run(backend: DurableBackend, tmp_path: Path) -> None:
    effects = tmp_path / "lines.txt"
    handle = agents.solver.start(f"{effects} 0", strategy=agents.best_of_4)
    result = handle.result(timeout=60)
    assert isinstance(result, StrategyResult)
    assert (result.output, result.reason) == ("9", "branch 0 had the highest score (1) of 4 candidates")
    assert [(c.status, c.output, c.score) for c in result.candidates] == [
        ("finished", "9", 1.0),
        ("finished", "7", 0.0),
        ("finished", "7", 0.0),
        ("finished", "9", 1.0),
    ]
    assert (result.usage.requests, result.usage.tool_calls) == (8, 4)
    children = backend.store.children(handle.id)
    assert [c.id for c in children] == [f"{handle.id}:{i}" for i in range(4)]
    assert all(c.state is RunState.SUCCEEDED and c.parent == handle.id for c in children)
    assert _tool_lines(effects) == Counter({f"{handle.id}:{i}": 1 for i in range(4)})


def test_the_run_list_hides_branches_and_show_prints_the_tree(backend: DurableBackend, tmp_path: Path) -> None:
    handle = agents.solver.start(f"{tmp_path / 'lines.txt'} 0", strategy=agents.vote_of_5)
    assert handle.result(timeout=60).output == "7"
    listed = [run.id for run in backend.store.list(limit=None)]
    assert handle.id in listed and not any(run_id.startswith(f"{handle.id}:") for run_id in listed)
    branches = [run for run in backend.store.list(limit=None, branches=True) if run.id not in listed]
    assert all(run.parent is not None for run in branches)
    assert {f"{handle.id}:{i}" for i in range(5)} <= {run.id for run in branches}
    url = backend.config.system_db_url
    shown = CliRunner().invoke(app, ["runs", "show", handle.id, "--db", url]).output.splitlines()
    assert "strategy: self_consistency" in shown
    tree = shown[shown.index("branches (5; each a child run):") + 1 :][:5]
    assert [line.split() for line in tree] == [[str(i), "succeeded", "unit", f"{handle.id}:{i}"] for i in range(5)]
    child = CliRunner().invoke(app, ["runs", "show", f"{handle.id}:2", "--db", url]).output
    assert f"strategy: self_consistency (branch of {handle.id})" in child


def test_the_events_of_a_strategy_run_carry_its_branches_events(backend: DurableBackend, tmp_path: Path) -> None:
    handle = agents.solver.start(f"{tmp_path / 'lines.txt'} 0", strategy=agents.best_of_4)
    handle.result(timeout=60)
    entries = list(handle.events())
    own = [e.kind for e in entries if e.run_id == handle.id]
    assert own == ["strategy_branch", "final"]
    for i in range(4):
        branch = [e for e in entries if e.run_id == f"{handle.id}:{i}"]
        assert [e.kind for e in branch][:2] == ["strategy_branch", "run_start"]
        assert {e.event.branch for e in branch} == {str(i)}
        assert [e.seq for e in branch] == list(range(len(branch)))


def test_the_shared_budget_counts_every_branchs_requests_exactly(backend: DurableBackend, tmp_path: Path) -> None:
    handle = agents.tight.start(f"{tmp_path / 'lines.txt'} 0", strategy=agents.vote_of_5)
    result = handle.result(timeout=60)
    assert result.usage.requests == 6  # Budget(max_turns=6) over 5 branches of 2 requests each
    assert result.stop_reason == "max_turns"
    finished = [c for c in result.candidates if c.finished]
    stopped = [c for c in result.candidates if c.status == "stopped"]
    assert 1 <= len(finished) <= 3 and len(finished) + len(stopped) == 5  # who got the 6 requests is a race
    assert all(c.usage.requests == 2 for c in finished)
    assert {c.limit for c in stopped} == {"max_turns"}


def test_the_shared_budget_never_passes_max_tool_calls(backend: DurableBackend, tmp_path: Path) -> None:
    effects = tmp_path / "lines.txt"
    handle = agents.three_tool_calls.start(f"{effects} 0", strategy=agents.vote_of_5)
    result = handle.result(timeout=60)
    assert result.usage.tool_calls == 3  # Budget(max_tool_calls=3) over 5 branches that each call the tool once
    assert sum(_tool_lines(effects).values()) == 3
    assert len([c for c in result.candidates if c.finished]) == 3


def test_the_concurrency_cap_holds_across_child_runs(backend: DurableBackend, tmp_path: Path) -> None:
    handle = agents.solver.start(f"{tmp_path / 'lines.txt'} 0.2", strategy=agents.two_at_a_time)
    result = handle.result(timeout=60)
    assert result.extra["peak_in_flight"] == 2
    children = backend.store.children(handle.id)
    starts = sorted((c.created_at or 0.0, c.updated_at or 0.0) for c in children)
    for i, (created, _) in enumerate(starts[2:], start=2):
        assert sum(1 for _, ended in starts[:i] if ended <= created) >= i - 1


def test_cancelling_a_strategy_run_cancels_its_branches_and_resume_finishes_it(
    backend: DurableBackend, tmp_path: Path
) -> None:
    effects = tmp_path / "lines.txt"
    handle = agents.solver.start(f"{effects} 1.0", strategy=agents.vote_of_5)
    deadline = time.monotonic() + 20
    while len(backend.store.children(handle.id)) < 5:
        assert time.monotonic() < deadline, "the branches did not start"
        time.sleep(0.05)
    handle.cancel()
    deadline = time.monotonic() + 20
    while not all(c.state is RunState.CANCELLED for c in backend.store.children(handle.id)):
        assert time.monotonic() < deadline, [c.state for c in backend.store.children(handle.id)]
        time.sleep(0.05)
    handle.resume()
    assert handle.result(timeout=60).output == "7"
    assert all(c.state is RunState.SUCCEEDED for c in backend.store.children(handle.id))


def test_a_strategy_that_cannot_run_durably_is_refused_at_start(backend: DurableBackend) -> None:
    beam = BeamSearch(width=2, step_scorer=lambda step: 1.0)
    with pytest.raises(UserError) as caught:
        agents.solver.start("x 0", strategy=beam)
    assert str(caught.value) == (
        "BeamSearch can't run as a background run: it runs agent steps concurrently inside one run, which a "
        "replay after a crash could not repeat step for step. Run it in process with "
        "agent.run(task, strategy=BeamSearch(...)), or start a BestOfN, SelfConsistency, AdaptiveConsistency "
        "or Reflect strategy."
    )


def test_a_strategy_with_a_lambda_verifier_is_refused_at_start_with_the_fix(backend: DurableBackend) -> None:
    with pytest.raises(UserError) as caught:
        agents.solver.start("x 0", strategy=BestOfN(2, verifier=lambda out: 1.0))
    message = str(caught.value)
    assert message.startswith("The BestOfN strategy can't be stored with the run (")
    assert message.endswith(
        "); workers unpickle it. Define its verifier, key and other functions at module level (not lambdas or "
        "nested functions), so a worker can import them."
    )


@pytest.mark.parametrize("kind", DATABASES)
def test_branches_spread_over_workers_and_a_sigkill_reruns_no_finished_branch(kind: str, tmp_path: Path) -> None:
    effects = tmp_path / "lines.txt"
    with database(kind, tmp_path) as url:
        workers = [Worker(url, f"w{i}", heartbeat_timeout=3.0, branch_concurrency=2) for i in range(2)]
        try:
            for worker in workers:
                worker.wait_ready()
            config = DurableConfig(system_db_url=url)
            handle = agents.solver.start(f"{effects} 0.5", strategy=agents.vote_of_5, config=config, execute=False)
            store = RunStore(config)
            finished_before = _wait_for_a_finished_branch(store, handle.id)
            _victim(store, handle.id, workers).kill()
            result = handle.result(timeout=90)
            assert result.output == "7" and [c.status for c in result.candidates] == ["finished"] * 5
            ran = _tool_lines(effects)
            assert all(ran[child] == 1 for child in finished_before), (finished_before, ran)
            pids = {pid for _, pid in SideEffects.read(effects).lines}
            assert len(pids) == 2  # both workers ran branches
            store.close()
        finally:
            for worker in workers:
                worker.stop()


def _wait_for_a_finished_branch(store: RunStore, run_id: str) -> set[str]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done = {c.id for c in store.children(run_id) if c.state is RunState.SUCCEEDED}
        if done:
            return done
        time.sleep(0.02)
    raise AssertionError("no branch finished in 30 s")


def _victim(store: RunStore, run_id: str, workers: list[Worker]) -> Worker:
    """A worker running an unfinished branch (branches are claimed a poll after they are queued)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        live = {c.executor_id for c in store.children(run_id) if c.state is RunState.RUNNING}
        for i, worker in enumerate(workers):
            if f"w{i}" in live:
                return worker
        time.sleep(0.02)
    raise AssertionError("no worker ran a branch in 30 s")


def test_a_strategy_run_recovered_by_a_restarted_worker_finishes(db_url: str) -> None:
    """A worker killed mid-run restarts under the same executor id: DBOS recovers its runs while it
    launches, and the parent and branches must find that backend's database (they once found none
    and used the default one: branches replayed with their tools refused, the parent waited forever)."""
    from scripts.stress_strategy_recovery import cycle

    assert cycle(db_url, timeout=60) is None
