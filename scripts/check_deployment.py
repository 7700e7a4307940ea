"""Deployment check: several ``agentkit worker`` processes on one PostgreSQL database, killed at random.

    bash scripts/with_postgres.sh .venv/bin/python scripts/check_deployment.py [--runs 50] [--kills 5]
    .venv/bin/python scripts/check_deployment.py --db postgresql://user@host/db

Starts ``--workers`` worker processes (``python -m agentkit worker tests.background.bg_agents:writer``,
each with its own ``--executor-id`` and a short ``--heartbeat-timeout``), submits ``--runs`` runs of that
agent with ``execute=False``, and while runs are in flight SIGKILLs a worker that holds unfinished runs,
``--kills`` times, starting a replacement with a new executor id after each kill. The killed worker's
runs are taken over by a live worker once its heartbeat is older than the timeout.

The agent (:mod:`tests.background.bg_agents`) makes ``turns`` tool calls and ``turns + 1`` model calls
per run, and every call appends ``"<kind> <call id> <pid>"`` to a shared file *before* it returns, so
the file says which process performed which call. What the script checks, and exits 1 if any fails:

1. every run reaches ``succeeded`` and its output is the one its prompt asks for;
2. each run's result holds each of its calls once: every model and tool call is recorded as a step
   exactly once, with ``turns`` tool steps, and the run's event log has ``turns`` ``tool_call_end``;
3. the calls performed (the file) are exactly the calls recorded (the steps);
4. no process performed a call twice;
5. a call was performed again only after the process that performed it had been killed (a call cut off
   by SIGKILL before its result was recorded - mid-body, or after its body returned - legitimately runs
   again, once per kill; a call performed by a worker that was never killed never runs again, so no
   live worker was declared dead);
6. no call whose result was recorded when a worker was killed was performed after that kill, and each
   run re-performed at most one call (the one in flight) per kill;
7. every run the killed worker held unfinished was finished by another worker (a takeover), and every
   "Recovering the runs of dead workers" line of a worker names only killed workers.

Every ``--strategy-every``-th run (default 5) is a strategy run, ``SelfConsistency(3)``: its three
branches are child runs (``"<run>:<i>"``) that any worker may execute, and the checks above hold for each
branch as for a run (the parent answers with branch 0's answer, the first of three distinct ones).
A killed worker may hold a parent, branches, or both.

Runs get a fresh version label (``--version``), so on a shared database these workers only touch these
runs.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from agentkit.background import DurableConfig, RunStore, shutdown, start_run  # noqa: E402
from agentkit.background.status import RunState, RunStatus  # noqa: E402
from agentkit.background.worker import READY_LINE  # noqa: E402
from tests.background import bg_agents  # noqa: E402
from tests.background.postgres import fresh_database  # noqa: E402

AGENT_REF = "tests.background.bg_agents:writer"
POSTGRES_ENV = "AGENTKIT_TEST_POSTGRES_URL"
RECOVERING = "Recovering the runs of dead workers "
POLL_S = 0.1


@dataclass(frozen=True)
class Settings:
    """What to run: the command line's options."""

    runs: int = 50
    kills: int = 5
    workers: int = 3
    worker_concurrency: int = 8
    heartbeat_timeout: float = 3.0
    call_s: float = 0.2
    min_turns: int = 3
    max_turns: int = 6
    seed: int = 0
    timeout_s: float = 300.0
    strategy_every: int = 5


class WorkerProcess:
    """``python -m agentkit worker AGENT_REF`` with its output in a log file."""

    def __init__(self, db_url: str, executor_id: str, version: str, settings: Settings, logs: Path) -> None:
        self.executor_id = executor_id
        self.log = logs / f"{executor_id}.log"
        command = [
            sys.executable, "-m", "agentkit", "worker", AGENT_REF,
            "--db", db_url,
            "--executor-id", executor_id,
            "--version", version,
            "--worker-concurrency", str(settings.worker_concurrency),
            "--heartbeat-timeout", str(settings.heartbeat_timeout),
        ]  # fmt: skip
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
        self.pid = self.proc.pid
        self.killed = False

    def output(self) -> str:
        return self.log.read_text() if self.log.exists() else ""

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            raise RuntimeError(f"worker {self.executor_id} exited with {self.proc.returncode}:\n{self.output()}")
        return READY_LINE in self.output()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.killed = True

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


@dataclass
class Kill:
    """One SIGKILL: when, which worker, and what was recorded and held at that moment."""

    at: float
    executor_id: str
    pid: int
    recorded: set[str]
    """The calls whose results were recorded when the worker was dead."""
    lines_before: int
    """The length of the side-effect file then (read after ``recorded``)."""
    orphans: set[str]
    """The unfinished runs the worker held."""
    wall: float = 0.0
    """When it happened (``time.time()``), to compare with the workers' log lines."""
    requeued_after_s: float | None = None
    """Seconds from the kill until a live worker had put every one of those runs back on the queue
    (the heartbeat timeout, plus up to one heartbeat)."""
    resumed_after_s: float | None = None
    """Seconds from the kill until another worker had claimed every one of them (plus the wait for a
    free slot)."""


@dataclass
class Report:
    """What the check measured, and the violations it found."""

    runs: int = 0
    succeeded: int = 0
    workers_started: int = 0
    kills: list[Kill] = field(default_factory=list)
    calls: int = 0
    performed_again: int = 0
    wall_s: float = 0.0
    violations: list[str] = field(default_factory=list)

    @property
    def takeovers(self) -> int:
        return sum(len(kill.orphans) for kill in self.kills)

    def summary(self, settings: Settings) -> str:
        verdict = "PASSED" if not self.violations else f"FAILED ({len(self.violations)} violations)"
        lines = [
            f"deployment check: {verdict}",
            f"  runs: {self.runs} submitted, {self.succeeded} succeeded",
            f"  workers: {settings.workers} at a time, {self.workers_started} started, {len(self.kills)} killed "
            f"(SIGKILL), heartbeat timeout {settings.heartbeat_timeout:g} s",
            f"  takeovers: {self.takeovers} (a run a killed worker held, finished by another); after a kill, its "
            f"runs were all requeued after {_spread([k.requeued_after_s for k in self.kills])} and all running "
            f"again after {_spread([k.resumed_after_s for k in self.kills])}",
            f"  calls: {self.calls} model and tool calls, each recorded once; {self.performed_again} performed "
            "again after their process was killed (in flight at the kill)",
            f"  wall time: {self.wall_s:.1f} s from the first submission to the last finished run",
            *(f"  violation: {v}" for v in self.violations),
        ]
        return "\n".join(lines)


def _spread(seconds: list[float | None]) -> str:
    known = [s for s in seconds if s is not None]
    return f"median {statistics.median(known):.1f} s, max {max(known):.1f} s" if known else "-"


@dataclass(frozen=True)
class Performed:
    """The side-effect file: (kind, call id, pid) per line, in order."""

    lines: list[tuple[str, str, int]]

    @classmethod
    def read(cls, path: Path) -> Performed:
        if not path.exists():
            return cls([])
        rows = [line.split() for line in path.read_text().splitlines()]
        return cls([(kind, call, int(pid)) for kind, call, pid in rows])

    def calls(self, start: int = 0) -> list[str]:
        return [call for _, call, _ in self.lines[start:]]

    def pids_by_call(self) -> dict[str, list[int]]:
        """The processes that performed each call, in order."""
        by_call: dict[str, list[int]] = defaultdict(list)
        for _, call, pid in self.lines:
            by_call[call].append(pid)
        return by_call

    def performed_again(self) -> int:
        """How many performances repeated a call performed before."""
        return sum(len(pids) - 1 for pids in self.pids_by_call().values())


def line_count(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.exists() else 0


def recorded_calls(store: RunStore, run_ids: list[str]) -> list[str]:
    """The call ids of the recorded model and tool steps of the runs, one per recorded step."""
    return [
        bg_agents.call_id_of(step.output)
        for run_id in run_ids
        for step in store.steps(run_id)
        if step.name.startswith(("agentkit.model:", "agentkit.tool:"))
    ]


BRANCHES = 3
"""Branches of a strategy run (``bg_agents.vote_of_3``)."""


def run_of(call_id: str) -> str:
    """The run a call belongs to: model calls are ``<run>:m<turn>``, tool calls ``<run>:<turn>:<id>``; a
    strategy run's (``<tag>-s<i>``) are its branches' (``<run>:<branch>``)."""
    parts = call_id.split(":")
    return ":".join(parts[:2]) if "-s" in parts[0] else parts[0]


def is_strategy_run(run_id: str) -> bool:
    return "-s" in run_id


class Deployment:
    """The workers, the runs and the kills of one check."""

    def __init__(self, db_url: str, settings: Settings, home: Path) -> None:
        self.db_url, self.settings, self.home = db_url, settings, home
        self.tag = uuid.uuid4().hex[:8]
        self.version = f"check-{self.tag}"
        self.effects = home / "effects.txt"
        self.rng = random.Random(settings.seed)
        self.workers: list[WorkerProcess] = []
        self.store = RunStore(DurableConfig(system_db_url=db_url, executor_id=f"check-client-{self.tag}"))
        self.turns: dict[str, int] = {}
        self.report = Report(runs=settings.runs)

    def start_worker(self) -> WorkerProcess:
        worker = WorkerProcess(
            self.db_url, f"w{len(self.workers) + 1}-{self.tag}", self.version, self.settings, self.home
        )
        self.workers.append(worker)
        self.report.workers_started += 1
        return worker

    def live(self) -> list[WorkerProcess]:
        return [w for w in self.workers if not w.killed]

    def wait_ready(self, workers: list[WorkerProcess], timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while not all(w.ready() for w in workers):
            if time.monotonic() > deadline:
                raise RuntimeError("workers did not start:\n" + "\n".join(w.output() for w in workers))
            time.sleep(POLL_S)

    def submit(self) -> None:
        config = DurableConfig(
            system_db_url=self.db_url, executor_id=self.store.config.executor_id, version=self.version
        )
        deps = {"path": str(self.effects), "delay_s": self.settings.call_s}
        every = self.settings.strategy_every
        for i in range(self.settings.runs):
            strategy = bg_agents.vote_of_3 if every and i % every == every - 1 else None
            run_id = f"{self.tag}-{'s' if strategy else ''}{i:03d}"
            turns = self.turns[run_id] = self.rng.randint(self.settings.min_turns, self.settings.max_turns)
            prompt = f"{run_id} {turns} {self.effects} {self.settings.call_s}"
            start_run(
                bg_agents.writer,
                prompt,
                deps=deps,
                run_id=run_id,
                agent_ref=AGENT_REF,
                config=config,
                execute=False,
                strategy=strategy,
            )

    def all_runs(self) -> list[str]:
        """Every run of the check: the submitted ones and the branches of the strategy runs."""
        branches = [f"{r}:{b}" for r in self.turns if is_strategy_run(r) for b in range(BRANCHES)]
        return [*self.turns, *branches]

    def statuses(self) -> dict[str, RunStatus]:
        """The status of every run of the check, branches included (one query; branches not started yet
        are left out)."""
        wanted = set(self.all_runs())
        found = {s.id: s for s in self.store.list(limit=None, branches=True) if s.id in wanted}
        missing = set(self.turns) - set(found)
        return found | {run_id: self.store.status(run_id) for run_id in missing}

    def kill_thresholds(self) -> list[int]:
        """Kill points, as lengths of the side-effect file: spread over 10-70% of the expected calls."""
        total = sum((2 * n + 1) * (BRANCHES if is_strategy_run(r) else 1) for r, n in self.turns.items())
        return sorted(self.rng.randint(total // 10, total * 7 // 10) for _ in range(self.settings.kills))

    def kill_one(self, statuses: dict[str, RunStatus]) -> bool:
        """SIGKILL a live worker that holds unfinished runs, start a replacement; False if none holds any."""
        held = defaultdict(set)
        for run_id, status in statuses.items():
            if status.state is RunState.RUNNING and status.executor_id:
                held[status.executor_id].add(run_id)
        victims = [w for w in self.live() if held.get(w.executor_id)]
        if not victims:
            return False
        victim = self.rng.choice(victims)
        victim.kill()
        at, wall = time.monotonic(), time.time()
        recorded = set(recorded_calls(self.store, self.all_runs()))
        lines_before = line_count(self.effects)
        orphans = {
            r for r, s in self.statuses().items() if s.executor_id == victim.executor_id and not s.state.finished
        }
        self.report.kills.append(Kill(at, victim.executor_id, victim.pid, recorded, lines_before, orphans, wall=wall))
        self.start_worker()
        return True

    def note_takeovers(self, statuses: dict[str, RunStatus]) -> None:
        now = time.monotonic()
        for kill in self.report.kills:
            held = [statuses[r] for r in kill.orphans]
            claimed = all(s.executor_id != kill.executor_id or s.state.finished for s in held)
            if kill.resumed_after_s is None and claimed:
                kill.resumed_after_s = now - kill.at
            if kill.requeued_after_s is None and (claimed or all(s.state is RunState.QUEUED for s in held)):
                kill.requeued_after_s = now - kill.at

    def drive(self) -> None:
        """Let the runs go, killing at the thresholds, until every run finished (or the timeout)."""
        thresholds = self.kill_thresholds()
        started = time.monotonic()
        while True:
            statuses = self.statuses()
            self.note_takeovers(statuses)
            if all(statuses[r].state.finished for r in self.turns):
                break
            if time.monotonic() - started > self.settings.timeout_s:
                self.report.violations.append(f"not every run finished within {self.settings.timeout_s:g} s")
                break
            if thresholds and line_count(self.effects) >= thresholds[0] and self.kill_one(statuses):
                thresholds.pop(0)
            time.sleep(POLL_S)
        self.report.wall_s = time.monotonic() - started
        if thresholds:
            self.report.violations.append(f"{len(thresholds)} kills did not happen: no worker held a run by then")

    def stop(self) -> None:
        for worker in self.live():
            worker.stop()
        self.store.close()
        shutdown()  # closes the store start_run() opened


def check_results(dep: Deployment, statuses: dict[str, RunStatus]) -> list[str]:
    """Checks 1 and 2: states, outputs, each call recorded once, the tool calls in the event log."""
    violations = []
    for run_id, turns in dep.turns.items():
        status = statuses[run_id]
        if status.state is not RunState.SUCCEEDED:
            branches = ", ".join(f"{c.id} {c.state.value} on {c.executor_id}" for c in dep.store.children(run_id))
            where = f" (on {status.executor_id}; branches: {branches})" if is_strategy_run(run_id) else ""
            violations.append(f"run {run_id} ended {status.state.value}: {status.error}{where}")
            continue
        dep.report.succeeded += 1
        branches = [f"{run_id}:{b}" for b in range(BRANCHES)] if is_strategy_run(run_id) else [run_id]
        output = dep.store.result(run_id, timeout=10).output
        if output != f"{branches[0]}:m{turns}":
            violations.append(f"run {run_id} answered {output!r}, not {branches[0]}:m{turns}")
        for branch in branches:
            violations += _check_calls(dep, branch, turns)
        ends = [e.kind for e in dep.store.events(run_id, follow=False)].count("tool_call_end")
        if ends != turns * len(branches):
            violations.append(f"run {run_id} logged {ends} tool_call_end events, not {turns * len(branches)}")
    return violations


def _check_calls(dep: Deployment, run_id: str, turns: int) -> list[str]:
    """Each call of the run (or branch) ``run_id`` recorded once: ``turns + 1`` model calls, ``turns`` tools."""
    calls = recorded_calls(dep.store, [run_id])
    tools = [c for c in calls if ":m" not in c]
    expected_models = {f"{run_id}:m{i}" for i in range(turns + 1)}
    if len(calls) != len(set(calls)) or set(calls) - set(tools) != expected_models or len(tools) != turns:
        return [f"run {run_id} recorded {sorted(Counter(calls).items())}, not each of its calls once"]
    return []


def check_effects(performed: Performed, recorded: list[str], kills: list[Kill]) -> list[str]:
    """Checks 3 to 6: what the processes performed against what was recorded, and the kills."""
    violations = []
    if set(performed.calls()) != set(recorded):
        missing, extra = set(recorded) - set(performed.calls()), set(performed.calls()) - set(recorded)
        violations.append(
            f"recorded but never performed: {sorted(missing)}; performed, never recorded: {sorted(extra)}"
        )
    killed = {kill.pid for kill in kills}
    for call, pids in performed.pids_by_call().items():
        if len(pids) != len(set(pids)):
            violations.append(f"a process performed {call} twice: pids {pids}")
        if not set(pids[:-1]) <= killed:
            violations.append(f"{call} was performed again although its process was not killed: pids {pids}")
    for kill in kills:
        after = performed.calls(kill.lines_before)
        again = kill.recorded.intersection(after)
        if again:
            violations.append(f"calls recorded before the kill of {kill.executor_id} ran again: {sorted(again)}")
        killed_calls = {call for _, call, pid in performed.lines if pid == kill.pid}
        rerun = Counter(run_of(call) for call in killed_calls.intersection(after))
        if any(n > 1 for n in rerun.values()):
            violations.append(f"after the kill of {kill.executor_id}, a run re-ran more than one call: {dict(rerun)}")
    return violations


def check_takeovers(dep: Deployment, statuses: dict[str, RunStatus]) -> list[str]:
    """Check 7: the killed workers' runs finished elsewhere, and only killed workers were declared dead."""
    violations = []
    for kill in dep.report.kills:
        stayed = {r for r in kill.orphans if statuses[r].executor_id == kill.executor_id}
        if stayed:
            violations.append(f"runs of the killed {kill.executor_id} were not taken over: {sorted(stayed)}")
    killed_at = {kill.executor_id: kill.wall for kill in dep.report.kills}
    for worker in dep.workers:
        for line in worker.output().splitlines():
            if RECOVERING in line:
                named = set(line.split(RECOVERING, 1)[1].split(", "))
                when = _logged_at(line)
                alive = {w for w in named if w not in killed_at or (when is not None and when < killed_at[w] - 1)}
                if alive:
                    violations.append(f"{worker.executor_id} declared live workers dead: {sorted(alive)} ({line})")
    return violations


def _logged_at(line: str) -> float | None:
    """The time of a worker's log line (``HH:MM:SS [LEVEL] ...``, today, local time), or ``None``."""
    try:
        clock = time.strptime(line[:8], "%H:%M:%S")
    except ValueError:
        return None
    now = time.localtime()
    stamp = time.mktime((now.tm_year, now.tm_mon, now.tm_mday, clock.tm_hour, clock.tm_min, clock.tm_sec, 0, 0, -1))
    return stamp if stamp <= time.time() + 1 else stamp - 86400  # a line from before midnight


def verify(dep: Deployment) -> None:
    statuses = dep.statuses()
    dep.report.violations += check_results(dep, statuses)
    recorded = recorded_calls(dep.store, dep.all_runs())
    dep.report.calls = len(set(recorded))
    performed = Performed.read(dep.effects)
    dep.report.performed_again = performed.performed_again()
    dep.report.violations += check_effects(performed, recorded, dep.report.kills)
    dep.report.violations += check_takeovers(dep, statuses)


def run_check(db_url: str, settings: Settings) -> Report:
    """Run the whole check on ``db_url`` (a PostgreSQL database) and return its report."""
    with tempfile.TemporaryDirectory(prefix="agentkit-deploy-check-") as home:
        dep = Deployment(db_url, settings, Path(home))
        try:
            dep.wait_ready([dep.start_worker() for _ in range(settings.workers)])
            dep.submit()
            dep.drive()
            verify(dep)
        finally:
            dep.stop()
        return dep.report


def _settings(args: argparse.Namespace) -> Settings:
    return Settings(
        runs=args.runs,
        kills=args.kills,
        workers=args.workers,
        worker_concurrency=args.worker_concurrency,
        heartbeat_timeout=args.heartbeat_timeout,
        call_s=args.call_s,
        seed=args.seed,
        timeout_s=args.timeout,
        strategy_every=args.strategy_every,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--db", default=None, help=f"a PostgreSQL database to use (default: a new one on ${POSTGRES_ENV})"
    )
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--workers", type=int, default=3, help="worker processes at a time")
    parser.add_argument("--worker-concurrency", type=int, default=8)
    parser.add_argument("--heartbeat-timeout", type=float, default=3.0)
    parser.add_argument("--call-s", type=float, default=0.2, help="seconds each model and tool call takes")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the turns and the kills")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds for all runs to finish")
    parser.add_argument(
        "--strategy-every", type=int, default=5, help="every Nth run is a SelfConsistency(3) run (0: none)"
    )
    args = parser.parse_args(argv)
    args.seed = random.randrange(1_000_000) if args.seed is None else args.seed
    print(f"seed {args.seed}", flush=True)
    settings = _settings(args)
    if args.db:
        report = run_check(args.db, settings)
    elif os.environ.get(POSTGRES_ENV):
        with fresh_database(os.environ[POSTGRES_ENV], "agentkit_check") as url:
            report = run_check(url, settings)
    else:
        print("error: no database: pass --db postgresql://... or run under scripts/with_postgres.sh", file=sys.stderr)
        return 2
    print(report.summary(settings))
    return 1 if report.violations else 0


if __name__ == "__main__":
    sys.exit(main())
