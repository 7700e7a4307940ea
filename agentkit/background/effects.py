"""Exactly-once effects for the tools of durable runs.

A durable run records each tool call's result exactly once, but the tool's *body* runs at least once:
a crash after the body changed something and before its result was saved runs the body again on
recovery, with the same :attr:`RunContext.idempotency_key`. :class:`EffectStore` closes that gap for
effects that live in a SQL database: ``effects.once(ctx, write)`` runs ``write(conn)`` in one
transaction that also records the call's key, so a second attempt with the same key finds the record
and returns the first attempt's result without touching anything.

Works with SQLite and PostgreSQL. Nothing here imports DBOS.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from agentkit.exceptions import UserError

if TYPE_CHECKING:
    import sqlalchemy as sa

    from agentkit.context import RunContext

__all__ = ["EFFECTS_TABLE", "EffectStore"]

T = TypeVar("T")

EFFECTS_TABLE = "agentkit_effects"
"""The table of the keys of finished effects (and their results), created when first used."""


class EffectStore:
    """Runs a tool's database writes at most once per idempotency key, recording the key in the same
    transaction.

    ``database`` is a SQLAlchemy URL (``sqlite:///app.sqlite``, ``postgresql://...``) or an engine: the
    database your effects change. Without it, the run database of the worker executing in this process
    (:class:`~agentkit.background.DurableBackend`) is used, so a tool can keep its state next to the runs.

    Example::

        effects = EffectStore("sqlite:///app.sqlite")

        @tool(side_effect="mutating")
        def add_note(ctx: RunContext[None], text: str) -> str:
            def write(conn: sqlalchemy.Connection) -> str:
                conn.execute(sqlalchemy.text("INSERT INTO notes (text) VALUES (:t)"), {"t": text})
                return "added"

            return effects.once(ctx, write)
    """

    def __init__(self, database: str | sa.Engine | None = None, *, table: str = EFFECTS_TABLE) -> None:
        self._database = database
        self._table_name = table
        self._engine: sa.Engine | None = None
        self._table: sa.Table | None = None
        self._lock = threading.Lock()

    def once(self, ctx: RunContext[Any], effect: Callable[[sa.Connection], T], *, key: str | None = None) -> T:
        """Run ``effect(conn)`` unless ``key`` (default: the call's idempotency key) was recorded before.

        ``effect`` must make its changes through ``conn``: they commit together with the key, or not at
        all. Its return value must be JSON-serialisable; it is recorded, and every call returns it as
        decoded from JSON (so the first attempt and a repeated one return equal values). If ``effect``
        raises, nothing is recorded and the error propagates: the next attempt runs it again.
        """
        import sqlalchemy as sa

        key = _key_of(ctx, key)
        engine, table = self._bound()
        with engine.begin() as conn:
            if not _claimed(conn, table, key):
                recorded = conn.execute(sa.select(table.c.result).where(table.c.key == key)).scalar_one()
                decoded: T = json.loads(recorded)
                return decoded
            encoded = _encode(effect(conn), key)
            conn.execute(sa.update(table).where(table.c.key == key).values(result=encoded))
        value: T = json.loads(encoded)
        return value

    async def aonce(self, ctx: RunContext[Any], effect: Callable[[sa.Connection], T], *, key: str | None = None) -> T:
        """:meth:`once` for async tools: the transaction runs in a worker thread.

        A cancelled call (a timeout) lets the transaction finish in its thread; a repeated attempt
        with the same key then gets its result.
        """
        return await asyncio.to_thread(self.once, ctx, effect, key=key)

    def recorded(self, key: str) -> bool:
        """Whether an effect with ``key`` has committed."""
        import sqlalchemy as sa

        engine, table = self._bound()
        with engine.connect() as conn:
            return conn.execute(sa.select(table.c.key).where(table.c.key == key)).first() is not None

    def close(self) -> None:
        """Release the connections of an engine this store created (not of one it was given)."""
        with self._lock:
            if self._engine is not None and not hasattr(self._database, "dialect"):
                self._engine.dispose()
            self._engine = self._table = None

    def _bound(self) -> tuple[sa.Engine, sa.Table]:
        with self._lock:
            if self._engine is None or self._table is None:
                self._engine = _engine_for(self._database)
                self._table = _create_table(self._engine, self._table_name)
            return self._engine, self._table


def _key_of(ctx: RunContext[Any], key: str | None) -> str:
    if key is not None:
        return key
    if ctx.idempotency_key is None:
        raise UserError(
            f"EffectStore.once needs the idempotency key of the tool call, and the RunContext of run "
            f"{ctx.run_id!r} has none (the tool was called outside an agent run); pass key=... explicitly."
        )
    return ctx.idempotency_key


def _engine_for(database: str | sa.Engine | None) -> sa.Engine:
    from agentkit.background.backend import DurableBackend
    from agentkit.background.engine import create_engine

    if database is None:
        backend = DurableBackend.active()
        if backend is None:
            raise UserError(
                "EffectStore() without a database uses the run database of the worker executing in this "
                "process, and none runs here; pass your database: EffectStore('sqlite:///app.sqlite')."
            )
        database = backend.config.system_db_url
    engine = create_engine(database, pool_size=4) if isinstance(database, str) else database
    if engine.dialect.name not in ("sqlite", "postgresql"):
        raise UserError(
            f"EffectStore supports SQLite and PostgreSQL databases, not {engine.dialect.name}; "
            "record your effects in one of those."
        )
    return engine


def _create_table(engine: sa.Engine, name: str) -> sa.Table:
    import sqlalchemy as sa

    table = sa.Table(
        name,
        sa.MetaData(),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("result", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    with engine.begin() as conn:
        conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
    return table


def _claimed(conn: sa.Connection, table: sa.Table, key: str) -> bool:
    """Insert ``key`` unless it is there, and say whether it was inserted. The insert waits for a
    concurrent attempt holding the same key to commit or roll back, so two attempts never both run
    their effect."""
    from sqlalchemy.dialects import postgresql, sqlite

    row = {"key": key, "result": "null", "created_at": time.time()}
    if conn.dialect.name == "sqlite":  # rowcount is exact on SQLite (and RETURNING needs 3.35)
        return bool(conn.execute(sqlite.insert(table).values(row).on_conflict_do_nothing()).rowcount)
    claim = postgresql.insert(table).values(row).on_conflict_do_nothing().returning(table.c.key)
    return conn.execute(claim).first() is not None


def _encode(value: Any, key: str) -> str:
    try:
        return json.dumps(value)
    except (TypeError, ValueError) as exc:
        raise UserError(
            f"The effect with key {key!r} returned a {type(value).__name__}, which can't be recorded as JSON "
            f"({exc}); return a JSON value (str, number, bool, None, list, dict). Nothing was committed."
        ) from None
