"""Agents for the chaos tests of durable runs (:mod:`tests.background.test_kill9`).

The prompt reads ``"<label> <turns> <seconds per call>"``: the model asks for one tool call per turn,
then answers. The deps name the journal file (and, for :data:`once_writer`, the application database).

Each tool body journals ``"start <key> <pid>"`` when it begins and ``"done <key> <pid>"`` just before it
returns, and does its effect in between, followed by some more work (the window in which a crash leaves
an effect done but the call's result unrecorded; while the file ``deps["hang_file"]`` exists, that work
journals ``"hang <key> <pid>"`` and lasts ten minutes, so a test can kill the worker inside the window):

* :data:`plain_writer`'s ``plain_note`` appends ``"effect <key> <pid>"`` to the journal (a plain side
  effect: repeated whenever the body is);
* :data:`once_writer`'s ``once_note`` inserts a row into the ``notes`` table of the application database
  through :class:`agentkit.background.EffectStore`, which records the call's idempotency key in the
  same transaction.

Call ids are random (made inside the model step): a key is stable only because the run recorded it.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import sqlalchemy as sa

from agentkit import Agent, ModelRequest, RunContext, ToolResult, UserPart, tool
from agentkit.background import EffectStore
from agentkit.testing import FunctionModel, RecordedRequest, call, text

NOTES_DDL = "CREATE TABLE IF NOT EXISTS notes (key TEXT NOT NULL, pid INTEGER NOT NULL)"

_stores: dict[str, EffectStore] = {}


def journal(path: str, kind: str, key: str) -> None:
    with open(path, "a") as f:
        f.write(f"{kind} {key} {os.getpid()}\n")


def _prompt(messages: list[Any]) -> tuple[str, int, float]:
    prompt = next(p.content for p in messages[0].parts if isinstance(p, UserPart))
    label, turns, delay = prompt.split()
    return label, int(turns), float(delay)


def _model(tool_name: str) -> FunctionModel:
    async def answer(messages: list[Any], info: RecordedRequest) -> Any:
        label, turns, delay = _prompt(messages)
        done = sum(isinstance(p, ToolResult) for m in messages if isinstance(m, ModelRequest) for p in m.parts)
        await asyncio.sleep(delay)
        return call(tool_name, {"text": f"{label}-{done}"}) if done < turns else text(f"{label} wrote {done}")

    return FunctionModel(answer)


async def _after_effect(ctx: RunContext[dict[str, Any]], key: str) -> None:
    """More work after the effect; while the file ``deps["hang_file"]`` exists, a very long one."""
    hang = ctx.deps.get("hang_file")
    if hang and os.path.exists(hang):
        journal(ctx.deps["journal"], "hang", key)
        await asyncio.sleep(600)
    await asyncio.sleep(ctx.deps["delay_s"])


def _key(ctx: RunContext[dict[str, Any]]) -> str:
    assert ctx.idempotency_key is not None, "a durable run gives every tool call an idempotency key"
    return ctx.idempotency_key


@tool(side_effect="mutating")
async def plain_note(ctx: RunContext[dict[str, Any]], text: str) -> str:
    """Write a note (a plain side effect)."""
    key, path = _key(ctx), ctx.deps["journal"]
    journal(path, "start", key)
    journal(path, "effect", key)
    await _after_effect(ctx, key)
    journal(path, "done", key)
    return key


def effect_store(url: str) -> EffectStore:
    if url not in _stores:
        _stores[url] = EffectStore(url)
    return _stores[url]


@tool(side_effect="mutating")
async def once_note(ctx: RunContext[dict[str, Any]], text: str) -> str:
    """Write a note (exactly once per call, through the effect store)."""
    key, path = _key(ctx), ctx.deps["journal"]
    journal(path, "start", key)

    def insert(conn: sa.Connection) -> str:
        conn.execute(sa.text("INSERT INTO notes (key, pid) VALUES (:key, :pid)"), {"key": key, "pid": os.getpid()})
        return key

    recorded = await effect_store(ctx.deps["app_db"]).aonce(ctx, insert)
    await _after_effect(ctx, key)
    journal(path, "done", key)
    return recorded


plain_writer = Agent(_model("plain_note"), tools=[plain_note], name="plain-writer")
once_writer = Agent(_model("once_note"), tools=[once_note], name="once-writer")
