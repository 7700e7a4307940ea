"""Where evaluations are kept, so ``agentkit eval ls`` lists them and ``agentkit eval compare`` pairs them.

With the ``background`` extra installed, reports go to the run database (the table ``agentkit_evals`` next
to the runs of ``agentkit runs ls``: ``$AGENTKIT_DB``, or ``runs.sqlite`` in ``$AGENTKIT_HOME``, default
``~/.agentkit``). Without it, each report is a JSON file in ``$AGENTKIT_HOME/evals/``. A report written with
:meth:`EvalReport.write_json` can be loaded by its path too.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentkit.background.config import default_home, default_system_db_url
from agentkit.evals.errors import EvalNotFound
from agentkit.evals.report import EvalReport
from agentkit.exceptions import MissingExtra

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["SavedEval", "database_available", "list_reports", "load_report", "save_report"]


@dataclass(frozen=True)
class SavedEval:
    """One saved evaluation, as ``agentkit eval ls`` lists it."""

    id: str
    name: str
    dataset: str
    agent: str
    strategies: list[str]
    cases: int
    created_at: float


def database_available() -> bool:
    """Whether the ``background`` extra (the run database) is installed."""
    from agentkit.background.foreground import check_installed

    try:
        check_installed()
    except MissingExtra:
        return False
    return True


def json_dir() -> Path:
    """``$AGENTKIT_HOME/evals``: where reports go without the run database."""
    return default_home() / "evals"


def save_report(report: EvalReport, *, db: str | None = None) -> str:
    """Store ``report`` (replacing one with the same id); returns where: the database or the JSON file."""
    if database_available():
        url = db or default_system_db_url()
        with _opened(url) as (engine, table), engine.begin() as conn:
            conn.execute(table.delete().where(table.c.eval_id == report.id))
            conn.execute(table.insert().values(**_row(report)))
        return f"the run database ({_describe(url)})"
    folder = json_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return str(report.write_json(folder / f"{report.id}.json"))


def load_report(ref: str, *, db: str | None = None) -> EvalReport:
    """The report saved as ``ref`` (an evaluation id), or written to the JSON file ``ref``."""
    path = Path(ref)
    if path.suffix == ".json" and path.is_file():
        return EvalReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    if database_available():
        with _opened(db or default_system_db_url()) as (engine, table), engine.connect() as conn:
            data = conn.execute(table.select().where(table.c.eval_id == ref)).mappings().first()
        if data is not None:
            return EvalReport.from_dict(json.loads(data["report"]))
    file = json_dir() / f"{ref}.json"
    if file.is_file():
        return EvalReport.from_dict(json.loads(file.read_text(encoding="utf-8")))
    raise EvalNotFound(f"no saved evaluation {ref!r}; 'agentkit eval ls' lists the saved ones.")


def list_reports(*, db: str | None = None) -> list[SavedEval]:
    """Every saved evaluation, newest first (the database's and the JSON files')."""
    found = [_from_report(EvalReport.from_dict(json.loads(f.read_text(encoding="utf-8")))) for f in _json_files()]
    if database_available():
        with _opened(db or default_system_db_url()) as (engine, table), engine.connect() as conn:
            columns = [c for c in table.c if c.name != "report"]
            found += [_saved(row) for row in conn.execute(table.select().with_only_columns(*columns)).mappings()]
    return sorted(found, key=lambda s: (s.created_at, s.id), reverse=True)


def _json_files() -> list[Path]:
    folder = json_dir()
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _from_report(report: EvalReport) -> SavedEval:
    cases = len(report.runs[0].results) if report.runs else 0
    return SavedEval(report.id, report.name, report.dataset, report.agent, report.strategies, cases, report.created_at)


def _row(report: EvalReport) -> dict[str, Any]:
    saved = _from_report(report)
    return {
        "eval_id": saved.id,
        "name": saved.name,
        "dataset": saved.dataset,
        "agent": saved.agent,
        "strategies": json.dumps(saved.strategies),
        "cases": saved.cases,
        "created_at": saved.created_at,
        "report": report.to_json(),
    }


def _saved(row: Any) -> SavedEval:
    return SavedEval(
        row["eval_id"],
        row["name"],
        row["dataset"],
        row["agent"],
        json.loads(row["strategies"]),
        row["cases"],
        row["created_at"],
    )


def _describe(url: str) -> str:
    from agentkit.background._dberrors import describe_database

    return describe_database(url)


@contextmanager
def _opened(url: str) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """An engine on the run database with agentkit's tables and ``agentkit_evals`` created."""
    from agentkit.background._dberrors import translated
    from agentkit.background.engine import create_engine
    from agentkit.background.tables import Tables, create_tables

    with translated(url):
        engine = create_engine(url, pool_size=1)
        try:
            tables = Tables(engine)
            create_tables(engine, tables)  # also the PostgreSQL schema the evals table lives in
            table = _evals_table(tables.schema)
            with engine.begin() as conn:
                conn.execute(_create(table))
            yield engine, table
        finally:
            engine.dispose()


def _evals_table(schema: str | None) -> sa.Table:
    import sqlalchemy as sa

    return sa.Table(
        "agentkit_evals",
        sa.MetaData(schema=schema),
        sa.Column("eval_id", sa.Text, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("dataset", sa.Text, nullable=False),
        sa.Column("agent", sa.Text, nullable=False),
        sa.Column("strategies", sa.Text, nullable=False),
        sa.Column("cases", sa.Integer, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
    )


def _create(table: sa.Table) -> Any:
    import sqlalchemy as sa

    return sa.schema.CreateTable(table, if_not_exists=True)
