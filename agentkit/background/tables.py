"""agentkit's own tables, kept next to DBOS's in the system database.

``agentkit_events``: the append-only event log of each run, keyed by (run id, sequence number) so a
replayed run that re-emits an event writes nothing. ``agentkit_executors``: worker heartbeats, used to
recover the runs of a worker that died. ``agentkit_foreground_runs``: runs of ``agentkit run --save``,
listed by ``agentkit runs ls`` beside the background runs (:mod:`agentkit.background.foreground`).
``agentkit_budgets``: the budget a strategy run's branches share across workers, with what they used
(:mod:`agentkit.background.shared_budget`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["Tables", "create_tables"]

POSTGRES_SCHEMA = "agentkit"


class Tables:
    """The table objects, bound to a schema suited to the engine's dialect."""

    def __init__(self, engine: sa.Engine) -> None:
        import sqlalchemy as sa

        schema = None if engine.dialect.name == "sqlite" else POSTGRES_SCHEMA
        self.schema = schema
        self.metadata = sa.MetaData(schema=schema)
        self.events = sa.Table(
            "agentkit_events",
            self.metadata,
            sa.Column("run_id", sa.Text, primary_key=True),
            sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
            sa.Column("ts", sa.Float, nullable=False),
            sa.Column("kind", sa.Text, nullable=False),
            sa.Column("data", sa.Text, nullable=False),
        )
        self.executors = sa.Table(
            "agentkit_executors",
            self.metadata,
            sa.Column("executor_id", sa.Text, primary_key=True),
            sa.Column("host", sa.Text, nullable=False),
            sa.Column("pid", sa.Integer, nullable=False),
            sa.Column("app_version", sa.Text, nullable=False),
            sa.Column("started_at", sa.Float, nullable=False),
            sa.Column("heartbeat_at", sa.Float, nullable=False),
        )
        self.foreground = sa.Table(
            "agentkit_foreground_runs",
            self.metadata,
            sa.Column("run_id", sa.Text, primary_key=True),
            sa.Column("title", sa.Text, nullable=False),
            sa.Column("state", sa.Text, nullable=False),
            sa.Column("model", sa.Text, nullable=False),
            sa.Column("saved_path", sa.Text, nullable=False),
            sa.Column("error", sa.Text, nullable=True),
            sa.Column("created_at", sa.Float, nullable=False),
            sa.Column("updated_at", sa.Float, nullable=False),
        )

        self.budgets = sa.Table(
            "agentkit_budgets",
            self.metadata,
            sa.Column("run_id", sa.Text, primary_key=True),
            sa.Column("started_at", sa.Float, nullable=False),
            sa.Column("max_turns", sa.Integer, nullable=True),
            sa.Column("max_tool_calls", sa.Integer, nullable=True),
            sa.Column("max_tokens", sa.BigInteger, nullable=True),
            sa.Column("max_cost_usd", sa.Float, nullable=True),
            sa.Column("max_seconds", sa.Float, nullable=True),
            *(sa.Column(name, sa.BigInteger, nullable=False, default=0) for name in USAGE_COUNTS),
            sa.Column("cost_usd", sa.Float, nullable=False, default=0.0),
            sa.Column("stopped_by", sa.Text, nullable=True),
        )


USAGE_COUNTS = ("input_tokens", "output_tokens", "reasoning_tokens", "cached_tokens", "requests", "tool_calls")
"""The integer fields of :class:`agentkit.usage.Usage`, each a column of ``agentkit_budgets``."""

_CREATE_LOCK = 0x61676B74  # "agkt": one advisory lock for every process creating agentkit's tables


def create_tables(engine: sa.Engine, tables: Tables) -> None:
    """Create the tables if missing; safe when several processes do it at once."""
    import sqlalchemy as sa

    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":  # CREATE ... IF NOT EXISTS races in Postgres's catalog
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREATE_LOCK})
        if tables.schema is not None:
            conn.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{tables.schema}"'))
        for table in tables.metadata.sorted_tables:
            conn.execute(sa.schema.CreateTable(table, if_not_exists=True))
