"""A backend's runs may start while it launches (DBOS recovers this executor's runs then): their
runners must already find this backend, not build a store on the default database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.background.harness import REPO

CHECK = """
import sys
from dbos import DBOS
from agentkit.background import DurableBackend, DurableConfig, runtime

url, seen, launch = sys.argv[1], [], DBOS.launch

def launching():
    active = DurableBackend.active()
    seen.append(None if active is None else runtime.store().config.system_db_url)
    launch()

DBOS.launch = launching
backend = DurableBackend(DurableConfig(system_db_url=url, executor_id="launch-order"))
backend.launch()
backend.shutdown()
print(seen)
"""


def test_runs_recovered_while_the_backend_launches_find_its_store(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'runs.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-c", CHECK, url], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == repr([url])
