"""A small HTTP/1.1 server on asyncio protocols: keep-alive, SSE, and deliberately broken answers.

Written for the emulator's load (1,000 concurrent keep-alive connections on one core):
about half the CPU per request of a full web framework.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from http import HTTPStatus

from .answers import Answer, JsonAnswer, ResetAnswer, StreamAnswer, TruncatedJsonAnswer
from .httpparse import HttpError, HttpRequest, RequestParser

Handler = Callable[[HttpRequest], Awaitable[Answer]]
BACKLOG = 4096


class HttpServer:
    """Serves ``handler`` on a listening socket until ``close()``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None

    async def start(self, sock: socket.socket) -> None:
        """Accept connections on ``sock`` (already bound and listening)."""
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: Connection(self), sock=sock, backlog=BACKLOG)

    async def close(self) -> None:
        """Stop accepting and close every connection."""
        if self._server is not None:
            self._server.close()
        workers = [c.worker for c in self.connections if c.worker is not None]
        for connection in list(self.connections):
            connection.shut()
        for worker in workers:
            worker.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()


class Connection(asyncio.Protocol):
    """One client connection: parses requests and answers them one at a time, in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.parser = RequestParser()
        self.queue: deque[HttpRequest] = deque()
        self.transport: asyncio.Transport | None = None
        self.worker: asyncio.Task[None] | None = None
        self._writable = asyncio.Event()
        self._writable.set()

    # --- asyncio.Protocol ----------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        self.server.connections.add(self)

    def data_received(self, data: bytes) -> None:
        try:
            self.queue.extend(self.parser.feed(data))
        except HttpError as exc:
            self._write_simple(exc.status, str(exc))
            self.shut()
            return
        if self.queue and self.worker is None:
            self.worker = asyncio.get_running_loop().create_task(self._work())

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.connections.discard(self)
        self.transport = None
        self._writable.set()
        if self.worker is not None:
            self.worker.cancel()

    def pause_writing(self) -> None:
        self._writable.clear()

    def resume_writing(self) -> None:
        self._writable.set()

    # --- answering -------------------------------------------------------------------
    def shut(self) -> None:
        """Close the connection (buffered bytes are still flushed)."""
        if self.transport is not None:
            self.transport.close()

    async def _work(self) -> None:
        try:
            while self.queue and self.transport is not None:
                request = self.queue.popleft()
                answer = await self._answer(request)
                if not await self._send(answer) or not request.keep_alive:
                    self.shut()
                    return
        finally:
            self.worker = None

    async def _answer(self, request: HttpRequest) -> Answer:
        try:
            return await self.server.handler(request)
        except Exception:
            body = f"emulator crashed answering {request.method} {request.path}:\n{traceback.format_exc()}"
            return JsonAnswer(500, body.encode(), {"Content-Type": "text/plain", "Connection": "close"})

    async def _send(self, answer: Answer) -> bool:
        """Write the answer; False when the connection must not be reused."""
        if isinstance(answer, JsonAnswer):
            self._write(_head(answer.status, answer.headers, len(answer.body)) + answer.body)
            return True
        if isinstance(answer, StreamAnswer):
            return await self._stream(answer)
        if isinstance(answer, TruncatedJsonAnswer):
            self._write(_head(200, {}, len(answer.body)) + answer.body[: len(answer.body) // 2])
        elif isinstance(answer, ResetAnswer):
            self._reset()
        return False  # CloseAnswer and the broken answers end the connection

    async def _stream(self, answer: StreamAnswer) -> bool:
        frames = answer.frames if answer.truncate_after is None else answer.frames[: answer.truncate_after]
        head = _head(200, {"Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache"}, None)
        if answer.delay_s > 0:
            self._write(head)
            for frame in frames:
                self._write(_chunk(frame))
                await asyncio.sleep(answer.delay_s)
                await self._writable.wait()
        else:
            self._write(head + (_chunk(b"".join(frames)) if frames else b""))
        if answer.truncate_after is not None:
            return False  # no terminating chunk: the client sees the body cut short
        self._write(b"0\r\n\r\n")
        await self._writable.wait()
        return True

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _write_simple(self, status: int, text: str) -> None:
        body = text.encode()
        self._write(_head(status, {"Content-Type": "text/plain", "Connection": "close"}, len(body)) + body)

    def _reset(self) -> None:
        transport = self.transport
        if transport is None:
            return
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()


def _head(status: int, headers: Mapping[str, str], length: int | None) -> bytes:
    lines = [f"HTTP/1.1 {status} {_reason(status)}"]
    fields = dict(headers)
    fields.setdefault("Content-Type", "application/json")
    if length is None:
        fields["Transfer-Encoding"] = "chunked"
    else:
        fields["Content-Length"] = str(length)
    lines += [f"{name}: {value}" for name, value in fields.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Overloaded" if status == 529 else "Unknown"
