"""Incremental HTTP/1.1 request parsing (Content-Length and chunked bodies)."""

from __future__ import annotations

from dataclasses import dataclass

MAX_HEAD = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


class HttpError(Exception):
    """A request the server cannot parse; answered with ``status`` and the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class HttpRequest:
    """One parsed request. Header names are lower-case (the last value of a repeated header wins)."""

    method: str
    path: str
    version: str
    headers: dict[str, str]
    body: bytes = b""

    @property
    def keep_alive(self) -> bool:
        """Whether the connection stays open after the response."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return connection == "keep-alive"
        return connection != "close"


class RequestParser:
    """Feed bytes in, get complete requests out (several when the client pipelines)."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._pending: HttpRequest | None = None

    def feed(self, data: bytes) -> list[HttpRequest]:
        """Requests completed by ``data``; raises HttpError on a malformed request."""
        self._buffer += data
        done: list[HttpRequest] = []
        while True:
            request = self._next()
            if request is None:
                return done
            done.append(request)

    def _next(self) -> HttpRequest | None:
        if self._pending is None:
            self._pending = self._head()
            if self._pending is None:
                return None
        body = self._body(self._pending)
        if body is None:
            return None
        request, self._pending = self._pending, None
        request.body = body
        return request

    def _head(self) -> HttpRequest | None:
        end = self._buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self._buffer) > MAX_HEAD:
                raise HttpError(431, "request head too large")
            return None
        lines = bytes(self._buffer[:end]).decode("latin-1").split("\r\n")
        del self._buffer[: end + 4]
        parts = lines[0].split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise HttpError(400, f"malformed request line {lines[0]!r}")
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, colon, value = line.partition(":")
            if not colon:
                raise HttpError(400, f"malformed header line {line!r}")
            headers[name.strip().lower()] = value.strip()
        return HttpRequest(parts[0], parts[1].split("?", 1)[0], parts[2], headers)

    def _body(self, request: HttpRequest) -> bytes | None:
        if "chunked" in request.headers.get("transfer-encoding", "").lower():
            return self._chunked()
        try:
            length = int(request.headers.get("content-length", "0"))
        except ValueError as exc:
            raise HttpError(400, "invalid Content-Length") from exc
        if length < 0 or length > MAX_BODY:
            raise HttpError(413, "request body too large")
        if len(self._buffer) < length:
            return None
        body = bytes(self._buffer[:length])
        del self._buffer[:length]
        return body

    def _chunked(self) -> bytes | None:
        position, parts = 0, list[bytes]()
        while True:
            line_end = self._buffer.find(b"\r\n", position)
            if line_end < 0:
                return None
            size = _chunk_size(bytes(self._buffer[position:line_end]))
            start = line_end + 2
            if size == 0:
                trailer_end = self._buffer.find(b"\r\n\r\n", line_end)
                if trailer_end < 0:
                    return None
                del self._buffer[: trailer_end + 4]
                return b"".join(parts)
            if len(self._buffer) < start + size + 2:
                return None
            parts.append(bytes(self._buffer[start : start + size]))
            position = start + size + 2


def _chunk_size(line: bytes) -> int:
    try:
        return int(line.split(b";", 1)[0].strip(), 16)
    except ValueError as exc:
        raise HttpError(400, "invalid chunk size") from exc
