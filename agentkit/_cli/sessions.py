"""``agentkit sessions ls|show|rm``: the conversations stored by ``agent.run(..., session=...)``."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Annotated

import typer

from agentkit.attachments import Document, Image
from agentkit.exceptions import AgentkitError
from agentkit.messages import (
    ModelRequest,
    ModelResponse,
    ReasoningPart,
    RequestPart,
    ResponsePart,
    RetryPrompt,
    SystemPart,
    TextPart,
    ToolCall,
    ToolResult,
    UserPart,
    dump_messages,
)
from agentkit.redaction import redact_text, url_without_password
from agentkit.sessions import SESSIONS_DB_ENV, SessionStore, default_session_url, open_store

__all__ = ["register_session_commands", "sessions_app"]

sessions_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        envvar=SESSIONS_DB_ENV,
        help="Session database URL (default: sessions.sqlite beside the background-run database).",
    ),
]


def register_session_commands(app: typer.Typer) -> None:
    """Add ``sessions`` to ``app``."""
    app.add_typer(sessions_app, name="sessions", help="List, show and remove stored conversations (sessions).")


def _time(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _open(db: str | None) -> tuple[SessionStore, str]:
    url = db or default_session_url()
    try:
        return open_store(url), url_without_password(url)
    except (AgentkitError, OSError) as exc:
        typer.echo(f"error: {redact_text(str(exc))}", err=True)
        raise typer.Exit(1) from None


def _missing(session_id: str, url: str) -> typer.Exit:
    typer.echo(f"error: no session {session_id!r} in {url}; list the sessions with: agentkit sessions ls", err=True)
    return typer.Exit(1)


@sessions_app.command("ls")
def ls(*, db: DbOption = None) -> None:
    """List sessions, most recently updated first."""
    store, url = _open(db)
    sessions = store.list_sessions()
    if not sessions:
        typer.echo(f"No sessions in {url}.")
        return
    width = max(len("SESSION"), *(len(info.id) for info in sessions)) + 2
    typer.echo(f"{'SESSION':<{width}}{'MESSAGES':>8}  {'CREATED':<21}UPDATED")
    for info in sessions:
        typer.echo(f"{info.id:<{width}}{info.messages:>8}  {_time(info.created_at):<21}{_time(info.updated_at)}")


@sessions_app.command("show")
def show(
    session_id: Annotated[str, typer.Argument(help="The session id.")],
    *,
    db: DbOption = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the messages as JSON (load_messages reads it).")
    ] = False,
) -> None:
    """Print a session's conversation."""
    store, url = _open(db)
    messages = store.load(session_id)
    if not messages:
        raise _missing(session_id, url)
    if json_output:
        typer.echo(dump_messages(messages))
        return
    typer.echo(f"session {session_id!r}: {len(messages)} messages in {url}")
    for number, message in enumerate(messages, 1):
        typer.echo("")
        typer.echo(_heading(number, message))
        for line in _lines(message):
            typer.echo(f"  {line}")


@sessions_app.command("rm")
def rm(session_id: Annotated[str, typer.Argument(help="The session id.")], *, db: DbOption = None) -> None:
    """Remove a session (refused while a run holds it)."""
    store, url = _open(db)
    lease = store.try_lock(session_id)
    if lease is None:
        typer.echo(f"error: session {session_id!r} is in use by a run; try again when the run ends.", err=True)
        raise typer.Exit(1)
    try:
        removed = store.delete(session_id)
    finally:
        lease.release()
    if not removed:
        raise _missing(session_id, url)
    typer.echo(f"Removed session {session_id!r} ({removed} messages).")


def _heading(number: int, message: ModelRequest | ModelResponse) -> str:
    stamp = message.timestamp.astimezone().strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(message, ModelResponse):
        source = ":".join(x for x in (message.provider, message.model_name) if x) or "model"
        return f"#{number} response from {source}  {stamp}"
    return f"#{number} request  {stamp}"


def _lines(message: ModelRequest | ModelResponse) -> Iterator[str]:
    for part in message.parts:
        label, text = _describe(part)
        first, *rest = (text or "").splitlines() or [""]
        yield f"{label}: {first}".rstrip()
        for line in rest:
            yield f"    {line}"


def _describe(part: RequestPart | ResponsePart) -> tuple[str, str]:
    """A label and the text of ``part``; a kind without its own form (compaction ...) shows its fields."""
    if isinstance(part, SystemPart | UserPart | TextPart):
        return part.kind, part.content
    if isinstance(part, ToolResult):
        return f"tool result {part.name} [{part.call_id}]", part.content_text()
    if isinstance(part, RetryPrompt):
        return ("retry" + (f" [{part.call_id}]" if part.call_id else "")), part.content
    if isinstance(part, ReasoningPart):
        return "reasoning", part.content or "(opaque provider state)"
    if isinstance(part, ToolCall):
        return f"tool call {part.name} [{part.id}]", part.arguments
    if isinstance(part, Image | Document):  # never the bytes
        size = f"{len(part.data)} bytes" if part.data is not None else "by URL"
        return part.kind, f"{part.label} ({part.media_type}, {size})"
    return part.kind, json.dumps(part.model_dump(mode="json", exclude={"kind"}), ensure_ascii=False)
