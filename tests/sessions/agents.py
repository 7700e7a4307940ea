"""Module-level agents for the session tests (a worker or a subprocess imports them by name).

``echo`` answers from the history alone: ``"seen: <prompt>,<prompt>,..."`` (every user prompt it was
sent, oldest first), so what a run loaded from its session shows in its answer. A prompt
``"hold <dir>"`` makes it write ``<dir>/holding`` and wait for ``<dir>/release`` before answering
``"held"``: the run holds its session meanwhile, in this or another process.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

from agentkit import Agent, ModelRequest, UserPart
from agentkit.sessions import Session, open_store
from agentkit.testing import FunctionModel, RecordedRequest

GATE_POLL_S = 0.01


def user_prompts(messages: list[Any]) -> list[str]:
    """Every user prompt in ``messages``, oldest first."""
    return [p.content for m in messages if isinstance(m, ModelRequest) for p in m.parts if isinstance(p, UserPart)]


async def _answer(messages: list[Any], info: RecordedRequest) -> str:
    prompts = user_prompts(messages)
    if prompts[-1].startswith("hold "):
        gate = Path(prompts[-1].split(" ", 1)[1])
        (gate / "holding").write_text("1")
        while not (gate / "release").exists():
            await asyncio.sleep(GATE_POLL_S)
        return "held"
    return "seen: " + ",".join(p.split(" ", 1)[0] for p in prompts)


echo = Agent(FunctionModel(_answer), name="echo")


def main(url: str, session_id: str, prompt: str) -> None:
    """``python -m tests.sessions.agents URL SESSION PROMPT``: one run of :data:`echo` on the session."""
    result = echo.run_sync(prompt, session=Session(session_id, store=open_store(url)))
    print(result.output, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:4])
