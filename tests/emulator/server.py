"""The Emulator: a real HTTP server on 127.0.0.1 running in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from .app import EmulatorApp, Settings
from .httpserver import BACKLOG, HttpServer
from .recording import RecordedRequest, Recorder, Stats
from .script import Fault, Reply, Responder, Script, ScriptItem
from .signing import Signer
from .window import Windows
from .wire_chat import ChatMode

JSON = dict[str, Any]


class Emulator:
    """Loopback OpenAI / DeepSeek / Anthropic / Gemini emulator.

    Use as a context manager (``with Emulator() as emu:``) or ``start()``/``stop()``.
    ``base_url`` (``http://127.0.0.1:<port>/v1``) goes to ``openai.OpenAI(base_url=...)``;
    ``url`` (no ``/v1``) goes to litellm's ``api_base`` for Anthropic.

    Args:
        chat_mode: How /v1/chat/completions behaves: ``"plain-chat"`` (OpenAI rules,
            reasoning inlined as ``<think>`` tags) or ``"deepseek"`` (``reasoning_content``
            and DeepSeek's rules). /v1/responses and /v1/messages always follow OpenAI
            Responses and Anthropic rules.
        latency_ms: Delay before each answer (``asyncio.sleep``: concurrent requests overlap).
        responder: ``callback(request_json) -> Reply | Fault`` used when the script is empty.
        record: Keep every request (turn off for long benchmarks).
        chunk_chars: Characters per streamed delta.
        chunk_delay_ms: Pause between streamed events (0: the whole stream is written at once).
        port: TCP port (0 picks a free one).
        context_window: Tokens every model accepts (None: unlimited); over it, the provider's overflow
            error (see ``window.py`` for the counter and texts).
        model_windows: Windows by wire model name (``body["model"]``), overriding ``context_window``.
    """

    def __init__(
        self,
        *,
        chat_mode: ChatMode = "plain-chat",
        latency_ms: float = 0.0,
        responder: Responder | None = None,
        record: bool = True,
        chunk_chars: int = 16,
        chunk_delay_ms: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        secret: bytes | None = None,
        context_window: int | None = None,
        model_windows: Mapping[str, int] | None = None,
    ) -> None:
        windows = Windows.of(context_window, model_windows)
        self.settings = Settings(chat_mode, latency_ms, chunk_chars, chunk_delay_ms, windows)
        self._script = Script()
        self._recorder = Recorder(keep=record)
        self._app = EmulatorApp(self.settings, self._script, self._recorder, Signer(secret))
        self._app.responder = responder
        self._host = host
        self._requested_port = port
        self._sock: socket.socket | None = None
        self._port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._http: HttpServer | None = None
        self._startup_error: OSError | None = None

    # --- addresses -----------------------------------------------------------------
    @property
    def port(self) -> int:
        """The TCP port being served (known once started)."""
        if self._port is None:
            raise RuntimeError("the emulator is not running: use `with Emulator() as emu:` or emu.start()")
        return self._port

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>`` (litellm ``api_base``)."""
        return f"http://{self._host}:{self.port}"

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>/v1`` (``openai.OpenAI(base_url=...)``)."""
        return self.url + "/v1"

    # --- settings ------------------------------------------------------------------
    @property
    def chat_mode(self) -> ChatMode:
        """The /v1/chat/completions flavour: ``plain-chat`` or ``deepseek``."""
        return self.settings.chat_mode

    @chat_mode.setter
    def chat_mode(self, mode: ChatMode) -> None:
        self.settings.chat_mode = mode

    @property
    def latency_ms(self) -> float:
        """Delay applied before answering each request."""
        return self.settings.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.settings.latency_ms = value

    @property
    def windows(self) -> Windows:
        """Context windows: ``emu.windows.default = 16_000``, ``emu.windows.set("gpt-4.1", 8_000)``."""
        return self.settings.windows

    @property
    def responder(self) -> Responder | None:
        """The callback answering requests once the script is used up."""
        return self._app.responder

    @responder.setter
    def responder(self, callback: Responder | None) -> None:
        self._app.responder = callback

    # --- scripting -----------------------------------------------------------------
    def script(self, *items: ScriptItem | Iterable[ScriptItem]) -> Emulator:
        """Queue replies and faults, answered in request order: ``emu.script(Reply(...), Fault.reset())``."""
        flat: list[ScriptItem] = []
        for item in items:
            flat.extend([item] if isinstance(item, Reply | Fault) else item)
        self._script.extend(flat)
        return self

    def inject(self, index: int, fault: Fault) -> Emulator:
        """Apply ``fault`` to the request with this 0-based index (counted across all endpoints)."""
        self._script.schedule(index, fault)
        return self

    def clear_script(self) -> None:
        """Drop queued replies and scheduled faults."""
        self._script.clear()

    # --- recordings ----------------------------------------------------------------
    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, in order."""
        return self._recorder.requests()

    def bodies(self, path: str | None = None) -> list[JSON]:
        """JSON bodies received, in order, optionally only those sent to ``path`` (e.g. ``/v1/responses``)."""
        return [r.json for r in self.requests if path is None or r.path == path]

    @property
    def last_body(self) -> JSON:
        """The JSON body of the latest request."""
        recorded = self.requests
        if not recorded:
            raise AssertionError("the emulator has not received any request yet")
        return recorded[-1].json

    @property
    def stats(self) -> Stats:
        """Request count, requests in flight now, most in flight at once, setup errors."""
        return self._recorder.stats()

    @property
    def max_in_flight(self) -> int:
        """The largest number of requests that were being answered at the same time."""
        return self.stats.max_in_flight

    def reset(self) -> None:
        """Forget recordings and counters (request indexes start again at 0)."""
        self._recorder.reset()

    def assert_all_consumed(self) -> None:
        """Fail when scripted replies or scheduled faults were never used, or the setup broke."""
        problems = [f"unused scripted item: {item!r}" for item in self._script.remaining()]
        problems += [
            f"fault scheduled for request #{i} never fired: {f!r}" for i, f in self._script.pending_faults().items()
        ]
        problems += self.stats.errors
        if problems:
            raise AssertionError("emulator script not consumed cleanly:\n" + "\n".join(problems))

    # --- lifecycle -----------------------------------------------------------------
    def start(self) -> Emulator:
        """Serve in a background thread; returns once the port accepts connections."""
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run_thread, args=(ready,), name="provider-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("the provider emulator did not start within 10 s")
        if self._startup_error is not None:
            self._thread.join(1)
            self._loop = self._thread = None
            raise RuntimeError(f"the provider emulator could not start: {self._startup_error}") from self._startup_error
        return self

    def stop(self) -> None:
        """Stop serving and join the thread (hanging requests are released)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        loop.call_soon_threadsafe(self._app.stopping.set)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None

    async def serve_forever(self) -> None:
        """Serve on the running event loop until cancelled (used by ``python -m tests.emulator``)."""
        await self._startup()
        try:
            await asyncio.Event().wait()
        finally:
            await self._cleanup()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _run_thread(self, ready: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except OSError as exc:
            self._startup_error = exc
            loop.close()
            return
        finally:
            ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self._cleanup())
            loop.close()

    async def _startup(self) -> None:
        self._app.stopping = asyncio.Event()
        self._sock = _listening_socket(self._host, self._requested_port)
        self._port = int(self._sock.getsockname()[1])
        self._http = HttpServer(self._app.handle)
        await self._http.start(self._sock)

    async def _cleanup(self) -> None:
        self._app.stopping.set()
        if self._http is not None:
            await self._http.close()
            self._http = None
        if self._sock is not None:
            self._sock.close()


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock
