"""The HTTP/1.1 layer over raw sockets: framing, keep-alive, pipelining, bad input, shutdown."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest

from .httpparse import HttpError, RequestParser
from .responders import ToolLoop
from .script import Fault
from .server import Emulator

BODY = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()


def _request(body: bytes = BODY, path: str = "/v1/chat/completions", extra: str = "") -> bytes:
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + extra.encode() + b"\r\n" + body


def _read_responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    buffer, out = b"", list[tuple[int, bytes]]()
    while len(out) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        buffer += chunk
        while b"\r\n\r\n" in buffer:
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = int(
                next(line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length"))
            )
            if len(rest) < length:
                break
            out.append((int(head.split(b" ")[1]), rest[:length]))
            buffer = rest[length:]
    return out


def _content_length(head: bytes) -> int:
    lines = head.lower().split(b"\r\n")
    return int(next(line.split(b":")[1] for line in lines if line.startswith(b"content-length")))


@pytest.fixture
def echo() -> Iterator[Emulator]:
    with Emulator(responder=ToolLoop(tool_turns=0, final_text="hello")) as emu:
        yield emu


def test_keep_alive_and_pipelining(echo: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", echo.port)) as sock:
        sock.sendall(_request() + _request())  # two requests in one packet
        responses = _read_responses(sock, 2)
        sock.sendall(_request())  # and the same connection is reused afterwards
        responses += _read_responses(sock, 1)
    assert [status for status, _ in responses] == [200, 200, 200]
    assert all(json.loads(body)["choices"][0]["message"]["content"] == "hello" for _, body in responses)
    assert echo.stats.requests == 3


def test_chunked_request_body(echo: Emulator) -> None:
    half = len(BODY) // 2
    chunked = b"%x\r\n%b\r\n%x\r\n%b\r\n0\r\n\r\n" % (half, BODY[:half], len(BODY) - half, BODY[half:])
    head = b"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    with socket.create_connection(("127.0.0.1", echo.port)) as sock:
        sock.sendall(head + chunked[:7])
        time.sleep(0.05)
        sock.sendall(chunked[7:])
        [(status, _)] = _read_responses(sock, 1)
    assert status == 200 and echo.bodies() == [json.loads(BODY)]


def test_http_1_0_closes_and_unknown_paths_404(echo: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", echo.port)) as sock:
        sock.sendall(_request(path="/v1/nope").replace(b"HTTP/1.1", b"HTTP/1.0"))
        [(status, body)] = _read_responses(sock, 1)
        assert sock.recv(10) == b""  # closed after the answer
    assert status == 404 and json.loads(body)["error"]["message"] == "Invalid URL (POST /v1/nope)"


def test_malformed_request_gets_400_and_close(echo: Emulator) -> None:
    with socket.create_connection(("127.0.0.1", echo.port)) as sock:
        sock.sendall(b"garbage\r\n\r\n")
        data = sock.recv(65536)
        assert data.startswith(b"HTTP/1.1 400 Bad Request")
        assert sock.recv(10) == b""


def test_parser_rejects_bad_framing() -> None:
    with pytest.raises(HttpError, match="invalid Content-Length"):
        RequestParser().feed(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")
    with pytest.raises(HttpError, match="invalid chunk size"):
        RequestParser().feed(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    parser = RequestParser()
    assert parser.feed(b"POST /a?x=1 HTTP/1.1\r\nContent-Length: 3\r\n\r\nab") == []
    [request] = parser.feed(b"c")
    assert (request.path, request.body, request.keep_alive) == ("/a", b"abc", True)


def test_stop_releases_a_hanging_request() -> None:
    emu = Emulator().start()
    emu.script(Fault.hang(seconds=60))
    with socket.create_connection(("127.0.0.1", emu.port)) as sock:
        sock.sendall(_request())
        deadline = time.monotonic() + 5
        while emu.stats.in_flight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        emu.stop()
        assert time.monotonic() - started < 3
        assert sock.recv(10) == b""


def test_busy_port_is_a_clear_error(echo: Emulator) -> None:
    with pytest.raises(RuntimeError, match=r"could not start: .*Address already in use"):
        Emulator(port=echo.port).start()
