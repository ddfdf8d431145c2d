"""retold.inputs.net (guard, fetch, pages) against a local server on 127.0.0.1 only."""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

import retold.inputs.net.guard as guard_mod
from retold.errors import InputError
from retold.inputs.net.fetch import Fetched, fetch
from retold.inputs.net.guard import DEFAULT_USER_AGENT, blocked_reason, is_url, make_client
from retold.inputs.net.pages import WebArticle, fetch_many, read_url
from retold.inputs.net.politeness import HostLimiter
from retold.settings import Settings
from retold.store.base import Skipped

# --------------------------------------------------------------------------- server

Route = tuple[int, dict[str, str], bytes] | Callable[["_Handler"], None]


@dataclass
class LocalServer:
    port: int
    routes: dict[str, Route]
    requests: list[tuple[str, float, dict[str, str]]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def paths(self) -> list[str]:
        return [p for p, _t, _h in self.requests]


class _Handler(BaseHTTPRequestHandler):
    server_state: LocalServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        state = self.server.state  # type: ignore[attr-defined]
        with state.lock:
            state.requests.append((self.path, time.monotonic(), dict(self.headers.items())))
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            route = state.routes.get(self.path.split("?", 1)[0])
            if route is None:
                self.reply(404, {"Content-Type": "text/plain"}, b"not found")
            elif callable(route):
                route(self)
            else:
                self.reply(*route)
        except (BrokenPipeError, ConnectionResetError):
            pass
        finally:
            with state.lock:
                state.in_flight -= 1

    def reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that stop reading (size limits, bombs) reset the connection


@contextmanager
def serve(routes: dict[str, Route]) -> Iterator[LocalServer]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    state = LocalServer(httpd.server_address[1], routes)
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


# --------------------------------------------------------------------------- content

HTML = {"Content-Type": "text/html; charset=utf-8"}


def article_html(n: int, port: int = 0, title: str | None = None) -> bytes:
    title = title or f"Council approves new bridge number {n}"
    canonical = f"http://127.0.0.1:{port}/canonical/{n}" if port else ""
    return f"""<!doctype html>
<html lang="en-GB"><head><meta charset="utf-8"><title>{title} - The Daily Test</title>
<meta property="og:site_name" content="The Daily Test">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-03-0{n % 9 + 1}T10:00:00Z">
{f'<link rel="canonical" href="{canonical}">' if canonical else ""}
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav>
<article><h1>{title}</h1>
<p>The city council voted on Tuesday to approve the construction of bridge number {n}
across the river, ending a debate that had lasted for more than three years.</p>
<p>The mayor said the project would cost about {n + 40} million dollars and that work
would begin in the spring. "This is a good day for the people of this city," she said.</p>
<p>Opponents of the plan argued that the money should be spent on schools and public
transport instead, and they promised to keep fighting the decision in court.</p>
</article><footer>Copyright The Daily Test</footer></body></html>""".encode()


def gzip_bomb(size: int = 200 * 1024 * 1024) -> bytes:
    """``size`` zero bytes, gzip-compressed in memory without allocating ``size``."""
    comp = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1 << 20)
    parts = [comp.compress(block) for _ in range(size // len(block))]
    parts.append(comp.flush())
    return b"".join(parts)


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = gzip_bomb()
    assert len(data) < 400_000
    return data


def _redirect(to: str, status: int = 302) -> Route:
    return (status, {"Location": to, "Content-Type": "text/plain"}, b"")


@pytest.fixture
def site(bomb: bytes) -> Iterator[LocalServer]:
    routes: dict[str, Route] = {}
    with serve(routes) as srv:
        port = srv.port
        routes.update(
            {
                "/article": (200, HTML, article_html(1, port)),
                "/plain-article": (200, HTML, article_html(2)),
                "/gz-article": (
                    200,
                    {**HTML, "Content-Encoding": "gzip"},
                    gzip.compress(article_html(3)),
                ),
                "/r1": _redirect("/r2", 301),
                "/r2": _redirect(f"http://127.0.0.1:{port}/r3", 307),
                "/r3": _redirect("article", 302),
                "/loop": _redirect("/loop"),
                "/to-ftp": _redirect("ftp://127.0.0.1/x"),
                "/to-private": _redirect("http://10.0.0.1/admin"),
                "/to-loopback": _redirect("http://127.0.0.2:9/secret"),
                "/to-metadata": _redirect("http://169.254.169.254/latest/meta-data/"),
                "/pdf": (200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 fake"),
                "/huge-declared": (200, HTML, b"x" * 300_000),
                "/huge-chunked": _huge_chunked,
                "/bomb": (200, {**HTML, "Content-Encoding": "gzip"}, bomb),
                "/scripts-only": (
                    200,
                    HTML,
                    b"<html><body><script>var a = 1;</script></body></html>",
                ),
                "/empty": (200, HTML, b""),
                "/slow": _slow,
                "/hang": _hang,
                "/br": (200, {**HTML, "Content-Encoding": "br"}, b"\x0b\x02\x80hi\x03"),
            }
        )
        yield srv


def _huge_chunked(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    chunk = b"<p>" + b"word " * 2000 + b"</p>"
    for _ in range(200):  # ~2 MB, far over the test limit
        h.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
    h.wfile.write(b"0\r\n\r\n")


def _slow(h: _Handler) -> None:
    time.sleep(0.25)
    h.reply(200, HTML, article_html(5))


def _hang(h: _Handler) -> None:
    time.sleep(1.5)
    h.reply(200, HTML, article_html(6))


def settings(**kw: object) -> Settings:
    base = {"fetch_host_delay_s": 0.0, "fetch_total_timeout_s": 20.0}
    return Settings().with_overrides(**{**base, **kw})


# --------------------------------------------------------------------------- basics


def test_is_url() -> None:
    assert is_url("https://example.com/a") and is_url(" HTTP://x")
    assert not is_url("ftp://x") and not is_url("news/a.html") and not is_url("-")


def test_read_url_extracts_article_and_metadata(site: LocalServer) -> None:
    art = read_url(site.url("/article"), settings(), allow_private=True)
    assert isinstance(art, WebArticle)
    assert art.title.startswith("Council approves new bridge number 1")
    assert art.text.startswith("The city council voted on Tuesday")
    assert "Home" not in art.text and "Copyright" not in art.text
    assert art.origin == site.url("/article")
    assert art.url == site.url("/canonical/1")  # canonical link, same host
    assert art.final_url == site.url("/article")
    assert art.site == "The Daily Test"
    assert art.author == "Jane Reporter"
    assert art.published.startswith("2024-03-02")
    assert art.page_language == "en-gb" and art.language == "en"
    _path, _t, headers = site.requests[-1]
    assert headers["User-Agent"] == DEFAULT_USER_AGENT
    assert DEFAULT_USER_AGENT.startswith("retold/") and "research crawler" in DEFAULT_USER_AGENT


def test_custom_user_agent_and_no_canonical(site: LocalServer) -> None:
    st = settings(fetch_user_agent="my-lab-bot/1.0 (+mailto:lab@example.org)")
    art = read_url(site.url("/plain-article"), st, allow_private=True)
    assert art.url == site.url("/plain-article")  # no canonical link: the fetched URL
    assert site.requests[-1][2]["User-Agent"] == "my-lab-bot/1.0 (+mailto:lab@example.org)"


def test_gzip_content_encoding_is_decoded(site: LocalServer) -> None:
    art = read_url(site.url("/gz-article"), settings(), allow_private=True)
    assert "bridge number 3" in art.text
    assert site.requests[-1][2]["Accept-Encoding"] == "gzip, deflate"


def test_redirect_chain_is_followed(site: LocalServer) -> None:
    got = fetch(site.url("/r1"), settings(), allow_private=True)
    assert isinstance(got, Fetched)
    assert got.url == site.url("/r1") and got.final_url == site.url("/article")
    assert got.status == 200 and got.mime == "text/html" and got.charset == "utf-8"
    assert site.paths() == ["/r1", "/r2", "/r3", "/article"]


def test_redirect_loop_stops(site: LocalServer) -> None:
    with pytest.raises(InputError, match=r"/loop: more than 5 redirects") as exc:
        fetch(site.url("/loop"), settings(), allow_private=True)
    assert "\n" not in str(exc.value)
    assert len(site.requests) == 6


@pytest.mark.parametrize(
    "path, needle",
    [
        ("/missing", r": HTTP 404 Not Found$"),
        ("/pdf", r": unsupported content type application/pdf"),
        ("/scripts-only", r": no article text found in the HTML"),
        ("/empty", r": the response is empty"),
        ("/to-ftp", r": redirect to ftp://127.0.0.1/x refused: only http\(s\) URLs are fetched"),
        ("/br", r": unsupported Content-Encoding 'br'"),
    ],
)
def test_bad_pages_are_one_line_errors(site: LocalServer, path: str, needle: str) -> None:
    url = site.url(path)
    with pytest.raises(InputError, match=needle) as exc:
        read_url(url, settings(), allow_private=True)
    msg = str(exc.value)
    assert msg.startswith(f"{url}: ") and "\n" not in msg


def test_404_message_exact(site: LocalServer) -> None:
    url = site.url("/missing")
    with pytest.raises(InputError) as exc:
        fetch(url, settings(), allow_private=True)
    assert str(exc.value) == f"{url}: HTTP 404 Not Found"


@pytest.mark.parametrize("scheme_url", ["ftp://example.com/a", "file:///etc/passwd", "gopher://x"])
def test_only_http_schemes(scheme_url: str) -> None:
    with pytest.raises(InputError, match=r": only http\(s\) URLs are fetched$"):
        fetch(scheme_url, settings(), allow_private=True)


def test_credentials_in_url_refused() -> None:
    with pytest.raises(InputError, match="user name or password"):
        fetch("http://user:pw@127.0.0.1:9/", settings(), allow_private=True)


# --------------------------------------------------------------------------- limits


def test_declared_size_refused_before_reading(site: LocalServer) -> None:
    with pytest.raises(InputError, match=r"response is 300.0 kB; the limit is 100.0 kB"):
        fetch(site.url("/huge-declared"), settings(max_input_bytes=100_000), allow_private=True)


def test_streamed_size_stops_at_limit(site: LocalServer) -> None:
    with pytest.raises(InputError, match=r"larger than the limit of 100.0 kB") as exc:
        fetch(site.url("/huge-chunked"), settings(max_input_bytes=100_000), allow_private=True)
    assert "\n" not in str(exc.value)


def test_gzip_bomb_stopped_by_ratio(site: LocalServer) -> None:
    start = time.monotonic()
    with pytest.raises(InputError, match="decompression bomb") as exc:
        fetch(site.url("/bomb"), settings(), allow_private=True)
    assert time.monotonic() - start < 5
    assert "\n" not in str(exc.value)


def test_gzip_bomb_stopped_by_size_even_without_ratio(site: LocalServer) -> None:
    st = settings(fetch_max_decompression_ratio=1e12, max_input_bytes=5_000_000)
    with pytest.raises(InputError, match="decompressed response is larger than the limit"):
        fetch(site.url("/bomb"), st, allow_private=True)


def test_read_timeout(site: LocalServer) -> None:
    with pytest.raises(InputError, match="stopped responding"):
        fetch(site.url("/hang"), settings(fetch_read_timeout_s=0.3), allow_private=True)


# --------------------------------------------------------------------------- SSRF guard


@pytest.mark.parametrize(
    "addr, why",
    [
        ("127.0.0.1", "loopback"),
        ("10.0.0.1", "private"),
        ("192.168.1.20", "private"),
        ("172.16.5.4", "private"),
        ("169.254.169.254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fd00:ec2::254", "cloud metadata"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("::ffff:127.0.0.1", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("2002:7f00:1::", "loopback"),
        ("::1", "loopback"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("100.64.0.1", "not a globally routable"),
        ("240.0.0.1", "reserved"),
    ],
)
def test_blocked_reason(addr: str, why: str) -> None:
    import ipaddress

    reason = blocked_reason(ipaddress.ip_address(addr))
    assert reason is not None and why in reason


@pytest.mark.parametrize("addr", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_allowed(addr: str) -> None:
    import ipaddress

    assert blocked_reason(ipaddress.ip_address(addr)) is None


FAKE_DNS = {
    "localhost": ["127.0.0.1"],
    "loopy.test": ["127.0.0.1"],
    "mixed.test": ["93.184.216.34", "10.1.2.3"],  # one private answer is enough to refuse
    "meta.test": ["fd00:ec2::254"],
}


def _fake_getaddrinfo(real: Callable[..., object]) -> Callable[..., object]:
    def fake(host: str, port: object, *args: object, **kwargs: object) -> object:
        h = host.strip("[]")
        if h in FAKE_DNS:
            out = []
            for ip in FAKE_DNS[h]:
                fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
                out.append((fam, socket.SOCK_STREAM, 6, "", (ip, port)))
            return out
        import ipaddress

        try:  # only IP literals reach the real resolver (no DNS traffic)
            ipaddress.ip_address(h.split("%")[0])
        except ValueError:
            socket.inet_aton(h)  # "2130706433", "127.1": legacy IPv4 forms
        return real(host, port, *args, **kwargs)

    return fake


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fake DNS for test host names; any socket connection fails the test."""
    monkeypatch.setattr(socket, "getaddrinfo", _fake_getaddrinfo(socket.getaddrinfo))
    attempts: list[object] = []

    def no_connect(address: object, *args: object, **kwargs: object) -> object:
        attempts.append(address)
        raise AssertionError(f"unexpected connection to {address}")

    monkeypatch.setattr(socket, "create_connection", no_connect)
    return attempts


@pytest.mark.parametrize(
    "url, needle",
    [
        ("http://127.0.0.1/", "127.0.0.1 is a loopback address"),
        ("http://127.0.0.1:8080/admin", "127.0.0.1 is a loopback address"),
        ("http://localhost/", "localhost resolves to 127.0.0.1, a loopback address"),
        ("http://10.0.0.1/", "10.0.0.1 is a private address"),
        ("http://169.254.169.254/latest/meta-data/", "a cloud metadata address"),
        ("http://[::1]/", "::1 is a loopback address"),
        ("http://[::ffff:127.0.0.1]/", "a loopback address"),
        ("http://loopy.test/news", "loopy.test resolves to 127.0.0.1, a loopback address"),
        ("https://mixed.test/", "mixed.test resolves to 10.1.2.3, a private address"),
        ("http://meta.test/", "a cloud metadata address"),
        ("http://2130706433/", "a loopback address"),  # 127.0.0.1 as one number
    ],
)
def test_private_targets_refused_before_connecting(
    no_network: list[object], url: str, needle: str
) -> None:
    sent: list[httpx.Request] = []
    client = httpx.Client(transport=httpx.MockTransport(lambda r: sent.append(r)))  # type: ignore[arg-type,return-value]
    with pytest.raises(InputError, match="--allow-private") as exc:
        fetch(url, settings(), client=client)
    msg = str(exc.value)
    assert msg.startswith(f"{url}: ") and needle in msg and "\n" not in msg
    assert sent == [] and no_network == []
    with pytest.raises(InputError, match="--allow-private"):  # and with our own client
        fetch(url, settings())
    assert no_network == []


def _public_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the test server (127.0.0.1 only) count as public; everything else as usual."""
    import ipaddress

    real = guard_mod.blocked_reason
    monkeypatch.setattr(
        guard_mod,
        "blocked_reason",
        lambda ip: None if ip == ipaddress.ip_address("127.0.0.1") else real(ip),
    )


def _only_loopback_connections(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    real = socket.create_connection

    def guarded(address: tuple[str, int], *args: object, **kwargs: object) -> socket.socket:
        seen.append(address)
        assert address[0] == "127.0.0.1", f"test tried to connect to {address}"
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", guarded)
    return seen


@pytest.mark.parametrize(
    "path, target, needle",
    [
        ("/to-private", "http://10.0.0.1/admin", "10.0.0.1 is a private address"),
        ("/to-loopback", "http://127.0.0.2:9/secret", "127.0.0.2 is a loopback address"),
        ("/to-metadata", "http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
    ],
)
def test_redirect_to_private_address_refused(
    site: LocalServer, monkeypatch: pytest.MonkeyPatch, path: str, target: str, needle: str
) -> None:
    _public_loopback(monkeypatch)
    connections = _only_loopback_connections(monkeypatch)
    url = site.url(path)
    with pytest.raises(InputError) as exc:
        fetch(url, settings())
    msg = str(exc.value)
    assert msg.startswith(f"{url}: redirect to {target} refused: ") and needle in msg
    assert "\n" not in msg
    assert site.paths() == [path]  # the first hop was fetched, the target never
    assert all(addr[0] == "127.0.0.1" for addr in connections)  # type: ignore[index]


def test_guard_allows_public_first_hop(site: LocalServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _public_loopback(monkeypatch)
    got = fetch(site.url("/r1"), settings())
    assert got.final_url == site.url("/article")


def test_connection_goes_to_the_checked_address(
    site: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the first answer is checked and pinned; a second lookup (which
    would say 10.0.0.1) never happens."""
    _public_loopback(monkeypatch)
    _only_loopback_connections(monkeypatch)
    lookups: list[str] = []

    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host: str, port: object, *args: object, **kwargs: object) -> object:
        if host != "rebind.test":  # socket.create_connection resolves the IP literal
            assert host == "127.0.0.1"
            return real_getaddrinfo(host, port, *args, **kwargs)
        lookups.append(host)
        ip = "127.0.0.1" if len(lookups) == 1 else "10.0.0.1"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    got = fetch(f"http://rebind.test:{site.port}/article", settings())
    assert got.status == 200 and lookups == ["rebind.test"]
    assert site.requests[-1][2]["Host"] == f"rebind.test:{site.port}"


def test_guarded_backend_refuses_unpinned_private_connection(site: LocalServer) -> None:
    with make_client(settings()) as client, pytest.raises(httpx.ConnectError, match="loopback"):
        client.get(site.url("/article"))
    assert site.requests == []
    with make_client(settings(), allow_private=True) as client:
        assert client.get(site.url("/article")).status_code == 200


# --------------------------------------------------------------------------- many


def test_fetch_many_in_order_with_skips(site: LocalServer) -> None:
    urls = [site.url("/article"), site.url("/missing"), "ftp://x/y", site.url("/r1")]
    got = list(fetch_many(urls, settings(), allow_private=True))
    assert [type(g) for g in got] == [Fetched, Skipped, Skipped, Fetched]
    assert got[1] == Skipped(site.url("/missing"), "HTTP 404 Not Found")
    assert got[2] == Skipped("ftp://x/y", "only http(s) URLs are fetched")
    assert got[3].final_url == site.url("/article")  # type: ignore[union-attr]


def test_per_host_rate_limit_spaces_requests(site: LocalServer) -> None:
    st = settings(fetch_host_delay_s=0.15, fetch_concurrency=4, fetch_per_host_concurrency=4)
    urls = [site.url(f"/article?n={i}") for i in range(4)]
    got = list(fetch_many(urls, st, allow_private=True))
    assert all(isinstance(g, Fetched) for g in got)
    starts = sorted(t for _p, t, _h in site.requests)
    # starts are scheduled 0.15 s apart; a busy machine can delay one request's arrival
    # (never advance it), so two arrivals may bunch up, but not the whole run: the last one
    # comes at least 3 x 0.15 s after the first was scheduled
    assert 0.3 <= starts[-1] - starts[0] < 2.0, starts


def test_per_host_concurrency_cap(site: LocalServer) -> None:
    st = settings(fetch_concurrency=6, fetch_per_host_concurrency=2)
    got = list(fetch_many([site.url(f"/slow?n={i}") for i in range(6)], st, allow_private=True))
    assert all(isinstance(g, Fetched) for g in got)
    assert site.max_in_flight == 2


def test_host_limiter_unit() -> None:
    lim = HostLimiter(per_host=1, min_delay_s=0.05)
    t0 = time.monotonic()
    for _ in range(3):
        with lim.slot("a:80"):
            pass
    with lim.slot("b:80"):  # another host is not delayed by a's schedule
        pass
    elapsed = time.monotonic() - t0
    assert 0.09 <= elapsed < 1.0
