"""Fetch a web page as text, safely.

:class:`WebFetcher` refuses to reach loopback, private, link-local, multicast, reserved and cloud
metadata addresses. The check runs after DNS resolution, on the address actually dialled (no DNS
rebinding) and on every redirect hop (redirects are followed by hand, up to ``max_redirects``).
Bodies are streamed and cut at ``max_bytes`` (after decompression, so gzip bombs are cut too), the
whole fetch has a deadline, proxies from the environment are ignored, and HTML is reduced to text
(in linear time, in a worker thread, within the same deadline).
"""

from __future__ import annotations

import email.message
import ssl
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import httpcore
import httpx

from agentkit.tools import Tool, tool
from agentkit_tools._bounded_decode import ACCEPT_ENCODING, BoundedDecoder
from agentkit_tools._html import html_to_text
from agentkit_tools._netpolicy import AddressPolicy, FetchBlocked, FetchError
from agentkit_tools._vetted_backend import Resolver, VettedBackend, system_resolver

__all__ = ["FetchBlocked", "FetchError", "FetchLimits", "FetchResult", "WebFetcher", "web_tools"]

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/xhtml+xml", "application/javascript")
_USER_AGENT = "agentkit-fetch/0.1 (+https://github.com/agentkit)"


@dataclass(frozen=True)
class FetchLimits:
    """Limits of one fetch."""

    max_bytes: int = 2 * 1024 * 1024
    """Largest body read (decoded); the rest is not downloaded."""
    timeout: float = 20.0
    """Seconds for the whole fetch, all redirects included."""
    max_redirects: int = 5


@dataclass(frozen=True)
class FetchResult:
    """A fetched page."""

    url: str
    """The final URL, after redirects."""
    status: int
    content_type: str
    text: str
    truncated: bool
    """True when the body was longer than ``max_bytes`` and was cut."""
    redirects: list[str] = field(default_factory=list)


class WebFetcher:
    """Fetches URLs under an address policy. Keep one per agent; it holds no connections between calls."""

    def __init__(
        self,
        *,
        allow_hosts: Iterable[str] = (),
        allow_networks: Iterable[str] = (),
        limits: FetchLimits | None = None,
        resolver: Resolver = system_resolver,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
    ) -> None:
        """``resolver`` and ``network_backend`` are hooks for tests (fake DNS, recorded connects)."""
        self.policy = AddressPolicy.build(allow_hosts, allow_networks)
        self.limits = limits or FetchLimits()
        self.backend = VettedBackend(self.policy, resolver=resolver, inner=network_backend)
        self._ssl_context: ssl.SSLContext | None = None

    async def fetch(self, url: str) -> FetchResult:
        """Fetch ``url`` (http or https) and return its text."""
        deadline = anyio.current_time() + self.limits.timeout
        try:
            with anyio.fail_at(deadline):
                async with self._client() as client:
                    page = await self._follow(client, client.build_request("GET", _checked_url(url)))
        except TimeoutError:
            raise FetchError(
                f"Fetching {url!r} took longer than {self.limits.timeout} s and was stopped. "
                "Give slow sites more time with FetchLimits(timeout=...)."
            ) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"Fetching {url!r} failed: {type(exc).__name__}: {exc}") from None
        if page.is_html:
            return replace(page.result, text=await self._html_to_text(url, page.result.text, deadline))
        return page.result

    async def _html_to_text(self, url: str, html: str, deadline: float) -> str:
        """Convert in a worker thread, so the fetch deadline still holds while it runs.

        A thread can't be killed: at the deadline the fetch stops waiting and the thread is abandoned.
        It ends soon anyway: the converter is linear in the page's size and the page is at most
        ``max_bytes`` (2 MB by default: one or two seconds of work at worst).
        """
        try:
            with anyio.fail_at(deadline):
                return await anyio.to_thread.run_sync(html_to_text, html, abandon_on_cancel=True)
        except TimeoutError:
            raise FetchError(
                f"Fetching {url!r} took longer than {self.limits.timeout} s and was stopped while converting "
                f"its HTML ({len(html)} characters) to text. Give large pages more time with "
                "FetchLimits(timeout=...), or read less of them with FetchLimits(max_bytes=...)."
            ) from None
        except Exception as exc:
            raise FetchError(
                f"Converting the HTML of {url!r} to text failed: {type(exc).__name__}: {exc}. This is a bug in "
                "agentkit_tools; please report it with the page's URL."
            ) from exc

    def _client(self) -> httpx.AsyncClient:
        if self._ssl_context is None:
            self._ssl_context = httpx.create_ssl_context()
        transport = httpx.AsyncHTTPTransport(retries=0)
        pool = httpcore.AsyncConnectionPool(ssl_context=self._ssl_context, network_backend=self.backend, retries=0)
        transport._pool = pool  # httpx has no public option for a network backend
        return httpx.AsyncClient(
            transport=transport,
            trust_env=False,
            follow_redirects=False,
            timeout=httpx.Timeout(self.limits.timeout),
            headers={"User-Agent": _USER_AGENT, "Accept-Encoding": ACCEPT_ENCODING},
        )

    async def _follow(self, client: httpx.AsyncClient, request: httpx.Request) -> _Page:
        redirects: list[str] = []
        while True:
            response = await client.send(request, stream=True)
            try:
                next_request = response.next_request
                if next_request is None:
                    return await self._read(response, redirects)
            finally:
                await response.aclose()
            if len(redirects) >= self.limits.max_redirects:
                raise FetchError(
                    f"Too many redirects (more than {self.limits.max_redirects}); last one to "
                    f"{next_request.url}. Fetch the final URL directly."
                )
            _checked_url(str(next_request.url))
            redirects.append(str(next_request.url))
            request = next_request

    async def _read(self, response: httpx.Response, redirects: list[str]) -> _Page:
        content_type = response.headers.get("content-type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime and not (mime.startswith(_TEXT_TYPES) or mime.endswith(("+json", "+xml"))):
            raise FetchError(
                f"{response.url} is {mime!r}, not text; fetch_url only returns text pages (HTML, JSON, ...)."
            )
        body, truncated = await _read_limited(response, self.limits.max_bytes)
        text = body.decode(_charset(content_type), errors="replace")
        is_html = mime in ("text/html", "application/xhtml+xml") or (not mime and "<html" in text[:1000].lower())
        return _Page(FetchResult(str(response.url), response.status_code, mime, text, truncated, redirects), is_html)


@dataclass(frozen=True)
class _Page:
    """A fetched page before its HTML, if any, is converted to text."""

    result: FetchResult
    is_html: bool


async def _read_limited(response: httpx.Response, max_bytes: int) -> tuple[bytes, bool]:
    decoder = BoundedDecoder(response.headers.get("content-encoding", "identity"))
    collected = bytearray()
    async for chunk in response.aiter_raw():
        collected += decoder.decode(chunk, max_bytes + 1 - len(collected))
        if len(collected) > max_bytes:
            return bytes(collected[:max_bytes]), True
    return bytes(collected), False


def _checked_url(url: str) -> str:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(f"{url!r} is not a valid URL: {exc}.") from None
    if parsed.scheme not in ("http", "https"):
        raise FetchBlocked(f"Only http and https URLs can be fetched, not {parsed.scheme or 'no scheme'!r}.")
    if not parsed.host:
        raise FetchError(f"{url!r} has no host name. Give a full URL like https://example.com/page.")
    return url


def _charset(content_type: str) -> str:
    message = email.message.Message()
    message["content-type"] = content_type or "text/plain"
    charset = message.get_content_charset() or "utf-8"
    try:
        "".encode(charset)
    except LookupError:
        return "utf-8"
    return charset


def web_tools(
    *,
    allow_hosts: Iterable[str] = (),
    allow_networks: Iterable[str] = (),
    limits: FetchLimits | None = None,
    resolver: Resolver = system_resolver,
    network_backend: httpcore.AsyncNetworkBackend | None = None,
) -> list[Tool[Any]]:
    """The ``fetch_url`` tool. Non-public addresses stay blocked unless allowlisted here."""
    fetcher = WebFetcher(
        allow_hosts=allow_hosts,
        allow_networks=allow_networks,
        limits=limits,
        resolver=resolver,
        network_backend=network_backend,
    )

    @tool(side_effect="idempotent")
    async def fetch_url(url: str) -> FetchResult:
        """Fetch a web page over http(s) and return its readable text (HTML is converted to text).

        Long pages are cut (``truncated`` is true). Private, loopback and cloud-metadata addresses
        are refused.

        Args:
            url: The full URL, e.g. "https://example.com/docs/page.html".
        """
        return await fetcher.fetch(url)

    return [fetch_url]
