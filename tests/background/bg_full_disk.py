"""Imported by a worker (``--import``) to give it a full disk: every connection to the SQLite run
database may hold at most ``$AGENTKIT_TEST_MAX_PAGES`` pages (``PRAGMA max_page_count``), so SQLite
refuses to grow the file with ``SQLITE_FULL`` ("database or disk is full"), as on a full disk."""

from __future__ import annotations

import os
from typing import Any

from agentkit.background import engine

MAX_PAGES_ENV = "AGENTKIT_TEST_MAX_PAGES"

_connect = engine._on_sqlite_connect


def limited_connect(dbapi_conn: Any, record: Any) -> None:
    _connect(dbapi_conn, record)
    dbapi_conn.execute(f"PRAGMA max_page_count={int(os.environ[MAX_PAGES_ENV])}")


engine._on_sqlite_connect = limited_connect
