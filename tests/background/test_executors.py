"""When a worker counts as dead: no heartbeat row, a stale heartbeat, or (SQLite) a vanished process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agentkit.background import DurableConfig
from agentkit.background.engine import create_engine
from agentkit.background.executors import ExecutorRegistry, pid_alive
from agentkit.background.tables import Tables, create_tables


def _exited_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("url_kind", ["sqlite", "postgresql"])
def test_dead_workers_are_those_without_a_fresh_heartbeat(tmp_path: Path, url_kind: str) -> None:
    db_url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    engine = create_engine(db_url)
    tables = Tables(engine)
    create_tables(engine, tables)
    # The liveness rule depends on the kind of database only; the rows live in SQLite either way.
    rule_url = db_url if url_kind == "sqlite" else "postgresql://db.example/runs"
    config = DurableConfig(system_db_url=rule_url, executor_id="me", heartbeat_s=0.1, heartbeat_timeout_s=5.0)
    now, host = time.time(), socket.gethostname()
    rows = [
        ("stale", "elsewhere", 1, now - 60),
        ("remote", "elsewhere", 1, now),
        ("vanished", host, _exited_pid(), now),
        ("me", host, _exited_pid(), now - 60),
    ]
    with engine.begin() as conn:
        conn.execute(
            tables.executors.insert(),
            [
                {"executor_id": e, "host": h, "pid": p, "app_version": "v", "started_at": t, "heartbeat_at": t}
                for e, h, p, t in rows
            ],
        )
    registry = ExecutorRegistry(engine, tables, config)
    try:
        dead = registry.dead(["stale", "remote", "vanished", "me", "never-registered"])
        expected = {"stale", "never-registered"} | ({"vanished"} if url_kind == "sqlite" else set())
        assert dead == expected
        registry.forget(["stale", "me"])
        registry.register()
        registry.beat()
        with engine.connect() as conn:
            assert {row.executor_id for row in conn.execute(tables.executors.select())} == {"remote", "vanished", "me"}
        registry.unregister()
        with engine.connect() as conn:
            assert {row.executor_id for row in conn.execute(tables.executors.select())} == {"remote", "vanished"}
    finally:
        engine.dispose()


def test_pid_alive() -> None:
    import os

    assert pid_alive(os.getpid())
    assert not pid_alive(_exited_pid())
