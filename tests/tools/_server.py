"""A local HTTP server on 127.0.0.1 with hostile endpoints for the web-fetch tests."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

GZIP_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)
HUGE_CHUNK = b"A" * 65536
HUGE_TOTAL = 256 * 1024 * 1024


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        route = ROUTES.get(url.path.split("/")[1] if "/" in url.path else "")
        if route is None:
            self._send(404, "text/plain", b"not found")
            return
        with suppress(BrokenPipeError, ConnectionResetError):
            route(self, url.path, query)

    def _send(self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)


def _html(h: Handler, path: str, q: dict[str, str]) -> None:
    page = (
        "<html><head><title>Test page</title><style>body{color:red}</style>"
        "<script>var secret = 'do-not-show';</script></head>"
        "<body><h1>Hello</h1><p>First &amp; <b>bold</b> paragraph.</p><noscript>nojs</noscript>"
        "<ul><li>one</li><li>two</li></ul></body></html>"
    )
    h._send(200, "text/html; charset=utf-8", page.encode())


def _redirect(h: Handler, path: str, q: dict[str, str]) -> None:
    h._send(int(q.get("status", "302")), "text/plain", b"moved", {"Location": q["to"]})


def _chain(h: Handler, path: str, q: dict[str, str]) -> None:
    n = int(path.split("/")[2])
    if n == 0:
        h._send(200, "text/plain", b"end of chain")
    else:
        h._send(302, "text/plain", b"", {"Location": f"/chain/{n - 1}"})


def _huge(h: Handler, path: str, q: dict[str, str]) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    for _ in range(HUGE_TOTAL // len(HUGE_CHUNK)):
        h.wfile.write(HUGE_CHUNK)


def _gzip_bomb(h: Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, "text/plain", GZIP_BOMB, {"Content-Encoding": "gzip"})


def _slow(h: Handler, path: str, q: dict[str, str]) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    for _ in range(100):
        h.wfile.write(b"x")
        h.wfile.flush()
        time.sleep(0.1)


def _host(h: Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, "text/plain", (h.headers.get("Host") or "").encode())


def _binary(h: Handler, path: str, q: dict[str, str]) -> None:
    h._send(200, "image/png", b"\x89PNG\r\n\x1a\n")


ROUTES: dict[str, Callable[[Handler, str, dict[str, str]], None]] = {
    "html": _html,
    "redirect": _redirect,
    "chain": _chain,
    "huge": _huge,
    "gzipbomb": _gzip_bomb,
    "slow": _slow,
    "host": _host,
    "binary": _binary,
}


@contextmanager
def serve() -> Iterator[str]:
    """Run the server on 127.0.0.1 and yield its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
