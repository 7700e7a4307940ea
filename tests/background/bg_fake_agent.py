"""A scripted stand-in for the agent loop: each turn is one model call then one tool call.

Every call appends ``"<kind> <id> <pid>"`` to a side-effect file *before* it takes its time, so a kill
while a call is in flight leaves a line for a call that never finished. The id of a tool call is its
idempotency key; a model call's id is ``"<run id>:m<turn>"``. Each call returns its id, which DBOS
records as the step's output: the recorded outputs are exactly the finished calls.
"""

from __future__ import annotations

import asyncio
import os
from functools import partial
from typing import Any

from agentkit.background import StepRunner


def _append(path: str, kind: str, call_id: str) -> None:
    with open(path, "a") as f:
        f.write(f"{kind} {call_id} {os.getpid()}\n")


async def _fake_model(path: str, call_id: str, delay_s: float) -> dict[str, str]:
    _append(path, "model", call_id)
    await asyncio.sleep(delay_s)
    return {"id": call_id, "tool": "append"}


async def _append_tool(path: str, delay_s: float, key: str) -> str:
    _append(path, "tool", key)
    await asyncio.sleep(delay_s)
    return key


async def append_steps(payload: dict[str, Any], steps: StepRunner) -> dict[str, Any]:
    """Run ``payload["turns"]`` turns; ``delay_s`` is how long each call takes after its side effect."""
    path, delay = payload["path"], float(payload.get("delay_s", 0.0))
    keys, elapsed = [], []
    for turn in range(int(payload["turns"])):
        call_id = f"{steps.run_id}:m{turn}"
        action = await steps.model_call(partial(_fake_model, path, call_id, delay))
        key = await steps.tool_call(action["tool"], partial(_append_tool, path, delay))
        await steps.emit({"kind": "turn", "turn": turn, "key": key, "elapsed": steps.elapsed_s})
        keys.append(key)
        elapsed.append(steps.elapsed_s)
    return {"keys": keys, "elapsed": elapsed}


TOOL_NAME = {"name": "append"}
"""The tool name :func:`renamable_agent` uses; a test changes it to simulate a code change."""


async def renamable_agent(payload: dict[str, Any], steps: StepRunner) -> list[str]:
    """Like :func:`append_steps`, with a tool name read at each call."""
    path, delay = payload["path"], float(payload.get("delay_s", 0.0))
    keys = []
    for turn in range(int(payload["turns"])):
        await steps.model_call(partial(_fake_model, path, f"{steps.run_id}:m{turn}", delay))
        keys.append(await steps.tool_call(TOOL_NAME["name"], partial(_append_tool, path, delay)))
        await steps.emit({"kind": "turn", "turn": turn})
    return keys


async def emits_inside_a_step(payload: dict[str, Any], steps: StepRunner) -> str:
    """Emits from inside a model call, which a durable run refuses."""

    async def streaming_model() -> str:
        await steps.emit({"kind": "text_delta", "text": "hel"})
        return "hello"

    return await steps.model_call(streaming_model)


async def waits_for_a_message(payload: dict[str, Any], steps: StepRunner) -> Any:
    """Logs ``"waiting"``, waits for a message on topic ``"go"`` and returns it; logs ``"stopped"``
    whenever the wait ends (answered, cancelled, or shut down)."""
    path = payload["path"]
    _append(path, "waiting", steps.run_id)
    try:
        return await steps.receive("go")
    finally:
        _append(path, "stopped", steps.run_id)
