"""The run database from several places at once: table creation races, and stores per application version."""

from __future__ import annotations

import threading

from agentkit.background import DurableConfig, shutdown, start_run
from agentkit.background.engine import create_engine
from agentkit.background.tables import Tables, create_tables
from tests.background import bg_agents


def test_workers_starting_together_create_the_tables_once(db_url: str) -> None:
    engines = [create_engine(db_url, pool_size=1) for _ in range(4)]
    barrier, errors = threading.Barrier(4), []

    def create(engine: object) -> None:
        barrier.wait()
        try:
            create_tables(engine, Tables(engine))  # type: ignore[arg-type]
        except Exception as exc:
            errors.append(repr(exc))

    threads = [threading.Thread(target=create, args=(engine,)) for engine in engines]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        for engine in engines:
            engine.dispose()
    assert errors == []


def test_a_run_is_queued_under_the_version_its_config_names(tmp_path: object) -> None:
    url = f"sqlite:///{tmp_path}/runs.sqlite"
    versions = []
    try:
        for version in ("A", "B"):
            config = DurableConfig(system_db_url=url, version=version)
            handle = start_run(bg_agents.writer, "x 1 /dev/null 0", config=config, execute=False)
            versions.append(handle.status().app_version)
    finally:
        shutdown()
    assert versions == [DurableConfig(version="A").app_version, DurableConfig(version="B").app_version]
