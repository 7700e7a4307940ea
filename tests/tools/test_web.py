"""fetch_url blocks SSRF before connecting, on every hop, and bounds size and time."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Iterable, Iterator, Sequence

import httpcore
import pytest

from agentkit_tools._netpolicy import IPAddress, blocked_reason
from agentkit_tools._vetted_backend import Resolver
from agentkit_tools.web import FetchBlocked, FetchError, FetchLimits, WebFetcher

from ._server import serve


class RecordingBackend(httpcore.AsyncNetworkBackend):
    """Records every connect; only ever really connects to 127.0.0.1."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self.real = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        self.connects.append((host, port))
        if host != "127.0.0.1":
            raise httpcore.ConnectError(f"test backend refuses to dial {host}")
        return await self.real.connect_tcp(host, port, timeout, local_address, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self.real.sleep(seconds)


def fake_dns(table: dict[str, list[str]]) -> Resolver:
    async def resolve(host: str, port: int) -> Sequence[IPAddress]:
        if host not in table:
            raise OSError(f"fake DNS has no entry for {host}")
        return [ipaddress.ip_address(a) for a in table[host]]

    return resolve


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    with serve() as url:
        yield url


@pytest.fixture
def backend() -> RecordingBackend:
    return RecordingBackend()


def local_fetcher(
    backend: RecordingBackend, *, resolver: Resolver | None = None, limits: FetchLimits | None = None
) -> WebFetcher:
    """A fetcher that may reach 127.0.0.1 (the test server) and nothing else non-public."""
    if resolver is None:
        return WebFetcher(allow_networks=["127.0.0.1/32"], network_backend=backend, limits=limits)
    return WebFetcher(allow_networks=["127.0.0.1/32"], network_backend=backend, limits=limits, resolver=resolver)


BLOCKED_URLS = [
    "http://127.0.0.1/",
    "http://127.1.2.3:8080/",
    "http://10.0.0.1/",
    "http://10.255.255.255/admin",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.170.2/v2/credentials",
    "http://100.100.100.200/latest/meta-data",
    "http://[::1]/",
    "http://[::1]:8080/x",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://[2002:7f00:1::]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://0.0.0.0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://100.64.0.1/",
    "http://240.0.0.1/",
    "https://127.0.0.1/",
    "http://2130706433/",
    "http://0x7f.1/",
    "http://localhost/",
]


@pytest.mark.parametrize("url", BLOCKED_URLS)
async def test_blocked_before_connecting(url: str, backend: RecordingBackend) -> None:
    fetcher = WebFetcher(network_backend=backend)
    with pytest.raises(FetchBlocked, match="Refused to connect"):
        await fetcher.fetch(url)
    assert backend.connects == []


@pytest.mark.parametrize(
    "answer",
    [["10.0.0.5"], ["169.254.169.254"], ["::1"], ["93.184.216.34", "10.0.0.5"], ["::ffff:10.0.0.5"]],
)
async def test_blocked_after_dns_resolution(answer: list[str], backend: RecordingBackend) -> None:
    fetcher = WebFetcher(resolver=fake_dns({"internal.example": answer}), network_backend=backend)
    with pytest.raises(FetchBlocked, match=r"internal\.example"):
        await fetcher.fetch("http://internal.example/")
    assert backend.connects == []


async def test_dials_the_vetted_address_not_the_name(backend: RecordingBackend) -> None:
    """DNS rebinding: the address that was checked is the address that is dialled."""
    fetcher = WebFetcher(resolver=fake_dns({"public.example": ["93.184.216.34"]}), network_backend=backend)
    with pytest.raises(FetchError):
        await fetcher.fetch("http://public.example/")
    assert backend.connects == [("93.184.216.34", 80)]


async def test_host_header_kept_when_dialling_the_ip(base_url: str, backend: RecordingBackend) -> None:
    port = base_url.rsplit(":", 1)[1]
    fetcher = local_fetcher(backend, resolver=fake_dns({"site.test": ["127.0.0.1"]}))
    result = await fetcher.fetch(f"http://site.test:{port}/host")
    assert result.text == f"site.test:{port}"
    assert backend.connects == [("127.0.0.1", int(port))]


async def test_allow_hosts_opens_a_name(base_url: str, backend: RecordingBackend) -> None:
    port = base_url.rsplit(":", 1)[1]
    dns = fake_dns({"intranet.corp": ["127.0.0.1"], "other.corp": ["127.0.0.1"]})
    fetcher = WebFetcher(allow_hosts=["*.corp"], resolver=dns, network_backend=backend)
    assert (await fetcher.fetch(f"http://intranet.corp:{port}/host")).status == 200
    strict = WebFetcher(allow_hosts=["intranet.corp"], resolver=dns, network_backend=backend)
    with pytest.raises(FetchBlocked):
        await strict.fetch(f"http://other.corp:{port}/host")


async def test_html_to_text(base_url: str, backend: RecordingBackend) -> None:
    result = await local_fetcher(backend).fetch(f"{base_url}/html")
    assert result.status == 200
    assert result.content_type == "text/html"
    assert result.text == "Test page\n\nHello\nFirst & bold paragraph.\none\ntwo"
    assert not result.truncated


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/iam/",
        "http://10.0.0.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.2]/",
        "http://127.0.0.2/",
    ],
)
async def test_redirect_to_blocked_address(base_url: str, backend: RecordingBackend, target: str) -> None:
    with pytest.raises(FetchBlocked):
        await local_fetcher(backend).fetch(f"{base_url}/redirect?to={target}")
    assert {host for host, _ in backend.connects} == {"127.0.0.1"}


async def test_redirect_to_name_resolving_to_blocked(base_url: str, backend: RecordingBackend) -> None:
    dns = fake_dns({"evil.example": ["169.254.169.254"]})
    fetcher = local_fetcher(backend, resolver=dns)
    with pytest.raises(FetchBlocked, match=r"evil\.example"):
        await fetcher.fetch(f"{base_url}/redirect?to=http://evil.example/&status=307")
    assert {host for host, _ in backend.connects} == {"127.0.0.1"}


@pytest.mark.parametrize("target", ["file:///etc/passwd", "gopher://127.0.0.1:25/", "ftp://example.com/"])
async def test_redirect_to_other_scheme(base_url: str, backend: RecordingBackend, target: str) -> None:
    with pytest.raises(FetchBlocked, match="Only http and https"):
        await local_fetcher(backend).fetch(f"{base_url}/redirect?to={target}")


async def test_redirects_are_followed_and_capped(base_url: str, backend: RecordingBackend) -> None:
    result = await local_fetcher(backend).fetch(f"{base_url}/chain/3")
    assert result.text == "end of chain"
    assert [r.rsplit("/", 1)[1] for r in result.redirects] == ["2", "1", "0"]
    with pytest.raises(FetchError, match="Too many redirects"):
        await local_fetcher(backend, limits=FetchLimits(max_redirects=2)).fetch(f"{base_url}/chain/3")


async def test_huge_response_is_cut(base_url: str, backend: RecordingBackend) -> None:
    start = time.perf_counter()
    result = await local_fetcher(backend, limits=FetchLimits(max_bytes=100_000)).fetch(f"{base_url}/huge")
    assert result.truncated
    assert len(result.text) == 100_000
    assert time.perf_counter() - start < 2


async def test_gzip_bomb_is_cut(base_url: str, backend: RecordingBackend) -> None:
    result = await local_fetcher(backend, limits=FetchLimits(max_bytes=50_000)).fetch(f"{base_url}/gzipbomb")
    assert result.truncated
    assert len(result.text) == 50_000


async def test_time_limit(base_url: str, backend: RecordingBackend) -> None:
    start = time.perf_counter()
    with pytest.raises(FetchError, match=r"longer than 0\.5 s"):
        await local_fetcher(backend, limits=FetchLimits(timeout=0.5)).fetch(f"{base_url}/slow")
    assert time.perf_counter() - start < 1.5


async def test_binary_content_is_refused(base_url: str, backend: RecordingBackend) -> None:
    with pytest.raises(FetchError, match="not text"):
        await local_fetcher(backend).fetch(f"{base_url}/binary")


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "not a url", "http://"])
async def test_bad_urls(url: str, backend: RecordingBackend) -> None:
    with pytest.raises(FetchError):
        await WebFetcher(network_backend=backend).fetch(url)
    assert backend.connects == []


@pytest.mark.parametrize(
    ("address", "blocked"),
    [
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700:4700::1111", False),
        ("::ffff:8.8.8.8", False),
        ("127.0.0.1", True),
        ("::ffff:7f00:1", True),
        ("169.254.169.254", True),
        ("fd00:ec2::254", True),
        ("198.18.0.1", True),
        ("192.0.2.1", True),
        ("255.255.255.255", True),
        ("ff02::1", True),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", True),
    ],
)
def test_address_table(address: str, blocked: bool) -> None:
    assert (blocked_reason(ipaddress.ip_address(address)) is not None) is blocked
