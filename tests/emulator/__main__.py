"""Run the emulator as its own process: ``python -m tests.emulator --port 0 --latency-ms 50``.

It answers every request with a tool loop (``--tool-turns`` tool calls, then text), prints
``EMULATOR_URL http://127.0.0.1:<port>`` once listening, and serves until interrupted.
GET /_emulator/stats reports request counts and the most requests in flight at once;
POST /_emulator/reset clears them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from .responders import ToolLoop
from .server import Emulator


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m tests.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="TCP port (0: any free port)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer")
    parser.add_argument("--chat-mode", choices=["plain-chat", "deepseek"], default="plain-chat")
    parser.add_argument("--tool-turns", type=int, default=2, help="tool calls before the final answer")
    parser.add_argument("--reasoning", default=None, help="reasoning text to put in every reply")
    parser.add_argument("--chunk-chars", type=int, default=16, help="characters per streamed delta")
    parser.add_argument("--record", action="store_true", help="keep request bodies (memory grows)")
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT/SIGTERM."""
    emulator = Emulator(
        chat_mode=args.chat_mode,
        latency_ms=args.latency_ms,
        responder=ToolLoop(args.tool_turns, reasoning=args.reasoning),
        record=args.record,
        chunk_chars=args.chunk_chars,
        host=args.host,
        port=args.port,
    )
    task = asyncio.ensure_future(emulator.serve_forever())
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    while not _listening(emulator):
        if task.done():
            await task  # re-raises why the server could not start
        await asyncio.sleep(0.01)
    print(f"EMULATOR_URL {emulator.url}", flush=True)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _listening(emulator: Emulator) -> bool:
    try:
        emulator.port  # noqa: B018 - raises until the socket is bound
    except RuntimeError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    asyncio.run(serve(parse_args(argv)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
