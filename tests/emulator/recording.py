"""What the emulator received, in order, and how many requests were in flight at once."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

REDACTED = "<redacted>"
SECRET_HEADERS = frozenset({"authorization", "x-api-key", "api-key", "openai-organization", "openai-project"})


@dataclass
class RecordedRequest:
    """One received request. Header names are lower-case; credentials are redacted."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int | None = None
    outcome: str = ""
    size: int = 0
    input_tokens: int = 0
    credential_sha256: str | None = None

    def used_key(self, key: str) -> bool:
        """Whether the request authenticated with ``key`` (``Authorization: Bearer <key>`` or
        ``x-api-key``). Only a digest of the credential is kept, never the credential itself."""
        return self.credential_sha256 == sha256(key)

    @property
    def json(self) -> dict[str, Any]:
        """The JSON body (an empty dict when the body was not a JSON object)."""
        return self.body if isinstance(self.body, dict) else {}


@dataclass
class Stats:
    """Request counters."""

    requests: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    errors: list[str] = field(default_factory=list)


class Recorder:
    """Thread-safe request log and in-flight counter."""

    def __init__(self, keep: bool = True) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._stats = Stats()

    def record(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> RecordedRequest:
        """Log a request and give it the next global index."""
        kept_headers = redact(headers) if self.keep else {}
        digest = credential_digest(headers) if self.keep else None
        with self._lock:
            entry = RecordedRequest(self._stats.requests, method, path, kept_headers, body, credential_sha256=digest)
            self._stats.requests += 1
            if self.keep:
                self._requests.append(entry)
            return entry

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count a request as in flight for the duration of the block."""
        with self._lock:
            self._stats.in_flight += 1
            self._stats.max_in_flight = max(self._stats.max_in_flight, self._stats.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._stats.in_flight -= 1

    def error(self, text: str) -> None:
        """Remember a problem of the test setup (script exhausted, callback crashed...)."""
        with self._lock:
            self._stats.errors.append(text)

    def requests(self) -> list[RecordedRequest]:
        """A copy of the log."""
        with self._lock:
            return list(self._requests)

    def stats(self) -> Stats:
        """A copy of the counters."""
        with self._lock:
            s = self._stats
            return Stats(s.requests, s.in_flight, s.max_in_flight, list(s.errors))

    def reset(self) -> None:
        """Forget the log and the counters (requests still in flight stay counted)."""
        with self._lock:
            self._requests.clear()
            self._stats = Stats(in_flight=self._stats.in_flight, max_in_flight=self._stats.in_flight)


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case header names with credential values replaced by ``<redacted>``."""
    return {k.lower(): (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def sha256(text: str) -> str:
    """Hex SHA-256 of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def credential_digest(headers: Mapping[str, str]) -> str | None:
    """SHA-256 of the key a request carried (bearer token or ``x-api-key``), if any."""
    lowered = {k.lower(): v for k, v in headers.items()}
    key = lowered.get("authorization", "").removeprefix("Bearer ").strip() or lowered.get("x-api-key", "")
    return sha256(key) if key else None
