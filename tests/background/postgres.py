"""A throwaway PostgreSQL database on a running server, for tests, scripts/check_deployment.py and bench/."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

__all__ = ["fresh_database"]


@contextlib.contextmanager
def fresh_database(server_url: str, prefix: str = "agentkit_test") -> Iterator[str]:
    """The URL of a new database on ``server_url``'s server, dropped (connections and all) afterwards."""
    import sqlalchemy as sa

    from agentkit.background.engine import create_engine

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, pool_size=1)
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
