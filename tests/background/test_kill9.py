"""Crash tests: a worker killed with SIGKILL mid-run; every run still finishes, and no finished call
(model or tool) is ever performed again. A call in flight at a kill is performed again, once, with the
same idempotency key."""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agentkit.background import DurableConfig, RunHandle, RunSpec, RunStore, start_run
from tests.background import bg_agents
from tests.background import bg_approval_agents as approval_agents
from tests.background.harness import (
    RUNNER,
    SideEffects,
    Worker,
    fake_call_id,
    finished_calls,
    line_count,
    wait_for_calls_by,
    wait_for_lines,
)

RUNS = 20
CALL_S = 0.05


@dataclass
class Kill:
    """What was known when a worker was killed: the finished calls, then the length of the file."""

    pid: int
    finished: set[str]
    lines_before: int


@dataclass
class CrashTest:
    db_url: str
    effects_path: Path
    rng: random.Random
    heartbeat_timeout: float
    call_id: Callable[[Any], str] = fake_call_id
    kills: list[Kill] = field(default_factory=list)

    def worker(self, executor_id: str, concurrency: int = RUNS) -> Worker:
        worker = Worker(self.db_url, executor_id, heartbeat_timeout=self.heartbeat_timeout, concurrency=concurrency)
        worker.wait_ready()
        return worker

    def kill_at_random_point(self, worker: Worker, store: RunStore, run_ids: list[str], total_calls: int) -> None:
        wait_for_calls_by(self.effects_path, worker.pid)
        done = line_count(self.effects_path)
        wait_for_lines(self.effects_path, self.rng.randint(done + 5, done + max(6, (total_calls - done) // 2)))
        worker.kill()
        finished = finished_calls(store, run_ids, self.call_id)
        self.kills.append(Kill(worker.pid, finished, line_count(self.effects_path)))
        assert len(finished) < total_calls, "the kill came after every run had finished"

    def check(self, store: RunStore, run_ids: list[str]) -> None:
        effects = SideEffects.read(self.effects_path)
        recorded = finished_calls(store, run_ids, self.call_id)
        assert effects.all_calls() == recorded, "a performed call has no record, or vice versa"
        for pid, calls in effects.calls_by_pid().items():
            twice = [call for call, n in Counter(calls).items() if n > 1]
            assert not twice, f"worker {pid} performed calls twice: {twice}"
        for kill in self.kills:
            after = [call for call, _ in effects.lines[kill.lines_before :]]
            again = kill.finished.intersection(after)
            assert not again, f"calls finished before the kill of {kill.pid} were performed again: {sorted(again)}"
            killed_calls = {call for call, pid in effects.lines if pid == kill.pid}
            rerun = Counter(call.split(":", 1)[0] for call in killed_calls.intersection(after))
            assert all(n == 1 for n in rerun.values()), f"a run re-ran more than its call in flight: {rerun}"
            assert after, "nothing was left to do after the kill"


def _seeded() -> random.Random:
    seed = int(os.environ.get("AGENTKIT_KILL_SEED", random.randrange(1_000_000)))
    print(f"AGENTKIT_KILL_SEED={seed}")  # shown on failure, to replay the same kill points
    return random.Random(seed)


def _start_runs(store: RunStore, effects: Path, rng: random.Random) -> tuple[list[RunHandle], list[int]]:
    turns = [rng.randint(3, 8) for _ in range(RUNS)]
    handles = [
        store.start(RunSpec(RUNNER, {"path": str(effects), "turns": n, "delay_s": CALL_S}, title=f"run {i}"))
        for i, n in enumerate(turns)
    ]
    return handles, turns


def _check_results_and_events(handles: list[RunHandle], turns: list[int]) -> None:
    for handle, n in zip(handles, turns, strict=True):
        assert len(handle.result(timeout=40)["keys"]) == n
        events = list(handle.events(follow=False))
        assert [(e.seq, e.data["turn"]) for e in events] == [(i, i) for i in range(n)]


def test_a_worker_killed_twice_and_restarted_with_its_id_finishes_every_run_once(db_url: str, tmp_path: Path) -> None:
    test = CrashTest(db_url, tmp_path / "effects.txt", _seeded(), heartbeat_timeout=30.0)
    worker = test.worker("w1")
    store = RunStore(DurableConfig(system_db_url=db_url, executor_id="test-client"))
    try:
        handles, turns = _start_runs(store, test.effects_path, test.rng)
        ids = [h.id for h in handles]
        for _ in range(2):
            test.kill_at_random_point(worker, store, ids, 2 * sum(turns))
            worker = test.worker("w1")  # takes its runs back at once
        _check_results_and_events(handles, turns)
        test.check(store, ids)
    finally:
        worker.stop()
        store.close()


def test_when_one_of_two_workers_is_killed_the_other_finishes_its_runs(db_url: str, tmp_path: Path) -> None:
    test = CrashTest(db_url, tmp_path / "effects.txt", _seeded(), heartbeat_timeout=1.5)
    half = RUNS // 2  # so that each worker takes runs
    doomed, survivor = test.worker("w1", half), test.worker("w2", half)
    store = RunStore(DurableConfig(system_db_url=db_url, executor_id="test-client"))
    try:
        handles, turns = _start_runs(store, test.effects_path, test.rng)
        ids = [h.id for h in handles]
        test.kill_at_random_point(doomed, store, ids, 2 * sum(turns))
        orphans = [run_id for run_id in ids if store.status(run_id).executor_id == "w1"]
        orphans = [run_id for run_id in orphans if not store.status(run_id).state.finished]
        assert orphans, "the killed worker held no unfinished run"
        _check_results_and_events(handles, turns)
        assert {store.status(run_id).executor_id for run_id in orphans} == {"w2"}
        test.check(store, ids)
    finally:
        survivor.stop()
        store.close()


def test_agent_runs_survive_a_worker_killed_mid_run(db_url: str, tmp_path: Path) -> None:
    """The real agent loop (scripted model, a mutating tool appending to a file), killed and restarted."""
    test = CrashTest(db_url, tmp_path / "effects.txt", _seeded(), 30.0, call_id=bg_agents.call_id_of)
    worker = test.worker("w1")
    config = DurableConfig(system_db_url=db_url, executor_id="test-client")
    store = RunStore(config)
    try:
        turns = [test.rng.randint(2, 6) for _ in range(RUNS)]
        deps = {"path": str(test.effects_path), "delay_s": CALL_S}
        handles = [
            start_run(
                bg_agents.writer,
                f"run{i} {n} {test.effects_path} {CALL_S}",
                deps=deps,
                run_id=f"run{i}",
                agent_ref="tests.background.bg_agents:writer",
                config=config,
                execute=False,
            )
            for i, n in enumerate(turns)
        ]
        ids = [h.id for h in handles]
        test.kill_at_random_point(worker, store, ids, sum(2 * n + 1 for n in turns))
        worker = test.worker("w1")
        for handle, n in zip(handles, turns, strict=True):
            assert handle.result(timeout=40).output == f"{handle.id}:m{n}"
            assert [e.kind for e in handle.events(follow=False)].count("tool_call_end") == n
        test.check(store, ids)
    finally:
        worker.stop()
        store.close()


def _restarted(worker: Worker, db_url: str) -> Worker:
    worker.kill()
    worker = Worker(db_url, "w1")  # the same executor id: takes its runs back at once
    worker.wait_ready()
    return worker


def test_a_run_waiting_for_approval_survives_kills_and_is_never_asked_twice(db_url: str, tmp_path: Path) -> None:
    effects = tmp_path / "effects.txt"
    config = DurableConfig(system_db_url=db_url, executor_id="test-client")
    store = RunStore(config)
    worker = Worker(db_url, "w1")
    worker.wait_ready()
    try:
        handle = start_run(
            approval_agents.refunder,
            f"k refund 1 {effects} 1.0",  # the answer after the tool takes 1 s
            deps={"path": str(effects)},
            agent_ref=approval_agents.REF,
            config=config,
            execute=False,
        )
        handle.wait_for_approval(timeout=20)
        worker = _restarted(worker, db_url)  # killed while it waits
        assert [p.call_id for p in handle.wait_for_approval(timeout=20)] == ["k-c0"]
        handle.approve("k-c0")  # from this process: the worker is another one
        wait_for_lines(effects, 3)  # the first answer, the tool, the final answer (in flight)
        worker = _restarted(worker, db_url)  # killed after the decision: it must not be asked again
        assert handle.result(timeout=20).output == "refunded k-o0"
        kinds = [e.kind for e in handle.events(follow=False)]
        names = [s.name for s in store.steps(handle.id)]
    finally:
        worker.stop()
        store.close()
    assert approval_agents.tool_runs(str(effects)) == ["k-o0"]
    assert (kinds.count("approval_requested"), kinds.count("approval_decided"), names.count("DBOS.recv")) == (1, 1, 1)
    models = [line.split()[1] for line in effects.read_text().splitlines() if line.startswith("model ")]
    assert models == ["k:m0", "k:m1", "k:m1"], "only the answer in flight at the second kill runs again"
