"""The append-only event log of a durable run.

Events are JSON objects written by the run (at workflow level, between steps) with a per-run sequence
number. A run that is replayed after a crash re-emits the same events with the same numbers; the log
keeps the first copy, so a reader never sees an event twice and can resume from any offset.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentkit.background.errors import BackgroundError
from agentkit.background.tables import Tables

if TYPE_CHECKING:
    import sqlalchemy as sa

    from agentkit.events import AgentEvent

__all__ = ["EventLog", "RunEvent"]

READ_BATCH = 500


@dataclass(frozen=True)
class RunEvent:
    """One entry of a run's event log."""

    run_id: str
    seq: int
    """Position in the log, from 0; pass ``seq + 1`` as an offset to read what follows."""
    kind: str
    ts: float
    data: dict[str, Any]

    @property
    def event(self) -> AgentEvent:
        """The entry as a typed agentkit event (``ToolCallStart``, ``ApprovalRequested``, ...).

        Every entry of an ``agent.start(...)`` run is one; a custom runner's own entries are not
        (:class:`BackgroundError`: read :attr:`data` instead).
        """
        from pydantic import ValidationError

        from agentkit.events import event_adapter

        try:
            return event_adapter().validate_python(self.data)
        except ValidationError as exc:
            raise BackgroundError(
                f"Event {self.seq} ({self.kind!r}) of run {self.run_id} is not an agentkit event (a custom "
                f"runner logged it, or another agentkit version): read its .data instead. {exc.error_count()} "
                f"validation errors, the first: {exc.errors()[0]['msg']}"
            ) from None


class EventLog:
    """Reads and writes event logs in the system database (any process may read)."""

    def __init__(self, engine: sa.Engine, tables: Tables) -> None:
        from sqlalchemy.dialects import postgresql, sqlite

        self._engine = engine
        self._table = tables.events
        dialect = sqlite if engine.dialect.name == "sqlite" else postgresql
        self._insert = dialect.insert(self._table).on_conflict_do_nothing()

    def append(self, run_id: str, first_seq: int, events: Sequence[Mapping[str, Any]]) -> None:
        """Write ``events`` at ``first_seq, first_seq + 1, ...``; numbers already taken are kept as they are."""
        if not events:
            return
        now = time.time()
        rows = [
            {
                "run_id": run_id,
                "seq": first_seq + i,
                "ts": now,
                "kind": str(event.get("kind", "event")),
                "data": json.dumps(event, separators=(",", ":")),
            }
            for i, event in enumerate(events)
        ]
        with self._engine.begin() as conn:
            conn.execute(self._insert, rows)

    def read(self, run_id: str, offset: int = 0, limit: int = READ_BATCH) -> list[RunEvent]:
        """Up to ``limit`` events of ``run_id`` with ``seq >= offset``, in order."""
        import sqlalchemy as sa

        t = self._table
        query = (
            sa.select(t.c.seq, t.c.kind, t.c.ts, t.c.data)
            .where(t.c.run_id == run_id, t.c.seq >= offset)
            .order_by(t.c.seq)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(query).all()
        return [RunEvent(run_id, row.seq, row.kind, row.ts, json.loads(row.data)) for row in rows]

    def read_kinds(self, run_ids: Iterable[str], kinds: Iterable[str]) -> dict[str, list[RunEvent]]:
        """Every event of the given kinds logged by each of ``run_ids``, in order, by run id."""
        import sqlalchemy as sa

        t = self._table
        ids, wanted = sorted(set(run_ids)), sorted(set(kinds))
        found: dict[str, list[RunEvent]] = {run_id: [] for run_id in ids}
        if not ids:
            return found
        query = (
            sa.select(t.c.run_id, t.c.seq, t.c.kind, t.c.ts, t.c.data)
            .where(t.c.run_id.in_(ids), t.c.kind.in_(wanted))
            .order_by(t.c.run_id, t.c.seq)
        )
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                found[row.run_id].append(RunEvent(row.run_id, row.seq, row.kind, row.ts, json.loads(row.data)))
        return found

    def count(self, run_id: str) -> int:
        """How many events ``run_id`` has logged."""
        import sqlalchemy as sa

        t = self._table
        with self._engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).where(t.c.run_id == run_id)).scalar_one())
