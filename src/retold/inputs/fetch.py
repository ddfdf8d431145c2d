"""Fetch web pages safely: ``fetch``, ``fetch_many`` and ``read_url``.

Every error is a one-line ``InputError`` ``"<url>: <problem>"`` (``<url>`` as given).

Safety rules, applied to the first request and again to every redirect hop:

- Only ``http``/``https``; no ``user:password@`` in URLs.
- Private-address guard (SSRF): the host is resolved with ``socket.getaddrinfo`` and the
  fetch is refused, before any connection, when *any* address is loopback, private,
  link-local, multicast, reserved, unspecified, not globally routable, or a cloud metadata
  address (169.254.169.254, fd00:ec2::254, ...). IPv4 addresses embedded in IPv6
  (``::ffff:a.b.c.d``, 6to4, NAT64) are checked as IPv4. ``allow_private=True``
  (``--allow-private``) turns the guard off.
- DNS rebinding: the connection goes to the address that was checked. Clients made by
  ``make_client`` use a ``GuardedBackend`` (an httpcore network backend): ``fetch`` pins
  the checked address for the hop in a thread-local before sending (httpx's sync client
  connects in the calling thread), and the backend connects to that IP instead of
  resolving the name again. The URL keeps its host name, so the ``Host`` header, TLS SNI
  and certificate checks are unchanged. A connection the backend makes without a pin
  (someone using the client directly) is resolved and checked by the backend itself.
  Environment proxies are not used (``trust_env=False``): they would bypass the guard.
- Redirects are followed by hand (``fetch_max_redirects``, default 5); a redirect to a
  refused address or scheme is an error naming both URLs.
- Limits: connect/read timeouts and a total deadline per URL (slow-drip servers); the body
  is streamed and refused past ``max_input_bytes`` (``Content-Length`` is checked first);
  gzip/deflate bodies are decompressed here, from the raw stream, with bounded output per
  step, and refused past ``max_input_bytes`` decompressed or past a decompressed/compressed
  ratio of ``fetch_max_decompression_ratio`` (a gzip bomb is stopped after ~1 MB).
- Politeness: a ``retold/<version> (+url; research crawler)`` User-Agent (configurable),
  at most ``fetch_per_host_concurrency`` requests in flight per host and
  ``fetch_host_delay_s`` between request starts to one host (``HostLimiter``).
  ``fetch_many`` (used by ingest for pages, feeds and sitemaps) obeys robots.txt
  (``Robots``, RFC 9309) unless ``fetch_respect_robots`` is off; a single page the user
  names (``read_url``, ``retold compare URL``) is fetched like a browser would, without it.
"""

from __future__ import annotations

import codecs
import ipaddress
import re
import socket
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpcore
import httpx

from retold import __version__
from retold.errors import InputError
from retold.inputs.files import (
    _error,
    _too_large,
    decode_bytes,
    detect_format,
    format_size,
    problem_of,
    read_text_input,
    sniff_binary,
)
from retold.settings import Settings
from retold.store.base import Skipped, SourceArticle

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

DEFAULT_USER_AGENT = f"retold/{__version__} (+https://pypi.org/project/retold; research crawler)"
HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ALLOW_HINT = "use --allow-private to fetch it"
# Decompression: output per zlib step, and how much output is allowed before the ratio
# check starts (small bodies can legitimately have high ratios).
_INFLATE_STEP = 1 << 16
# a socket wait clamped to the deadline may wake a hair before it: still the deadline's doing
_DEADLINE_SLACK_S = 0.05
_RATIO_FLOOR = 1 << 20

# Cloud metadata endpoints (AWS/GCP/Azure/OpenStack, AWS IPv6, AWS ECS, Alibaba, Oracle).
# All are also non-global, so the guard refuses them anyway; the set gives a clearer reason.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.123",
        "fd00:ec2::254",
        "100.100.100.200",
        "192.0.0.192",
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


# --------------------------------------------------------------------------- results


class HTTPStatusError(InputError):
    """The server answered with a non-2xx status (``status``)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class Fetched:
    """A successful (2xx) response: ``url`` as asked, ``final_url`` after redirects, the
    decompressed ``body`` and the response headers (lower-case names)."""

    url: str
    final_url: str
    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def mime(self) -> str:
        """``content_type`` without parameters, lower case ("" when absent)."""
        return self.content_type.split(";", 1)[0].strip().lower()

    @property
    def charset(self) -> str | None:
        match = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", self.content_type, re.I)
        return match.group(1) if match else None


@dataclass(frozen=True)
class WebArticle(SourceArticle):
    """An article read from a web page: ``url`` is the page's canonical URL when it names
    the same host (else the URL after redirects); ``author`` and ``page_language`` come
    from the page's metadata."""

    final_url: str = ""
    page_language: str = ""


# --------------------------------------------------------------------------- URL checks


def is_url(spec: str) -> bool:
    """True for ``http://`` and ``https://`` URLs (the sources ``fetch`` accepts)."""
    return spec.strip().lower().startswith(("http://", "https://"))


def blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be fetched without ``allow_private``, or None if it is public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is not None:
            inner = blocked_reason(embedded)
            if inner:
                return inner
    if ip in METADATA_ADDRESSES:
        return "a cloud metadata address"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_reserved, "a reserved address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "not a globally routable address"),
    )
    return next((why for hit, why in checks if hit), None)


def _parse_ip(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])  # drop an IPv6 zone id
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Addresses ``host`` resolves to (an IP literal resolves to itself), in order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = _parse_ip(str(sockaddr[0]))
        if ip is not None and ip not in seen:
            seen.append(ip)
    return seen


@dataclass(frozen=True)
class _Target:
    url: httpx.URL
    host: str  # ASCII (IDNA) host as httpx/httpcore use it
    port: int
    ip: IPAddress


def _check_url(
    url: str, name: str, allow_private: bool, redirected_from: str | None = None
) -> _Target:
    """Validate ``url`` and pick the address to connect to, or raise ``InputError``.

    ``name`` is the URL as first given (messages start with it); for a redirect hop,
    ``redirected_from`` makes the message name the hop's target too.
    """

    def refuse(problem: str) -> InputError:
        if redirected_from is not None:
            return _error(name, f"redirect to {url} refused: {problem}")
        return _error(name, problem)

    scheme = url.split(":", 1)[0].lower() if ":" in url else ""
    if scheme not in ("http", "https"):
        raise refuse("only http(s) URLs are fetched")
    try:
        parsed = httpx.URL(url)
        host = parsed.raw_host.decode("ascii")
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise refuse(f"not a valid URL ({exc})") from None
    if not host:
        raise refuse("not a valid URL (no host)")
    if parsed.userinfo:
        raise refuse("URLs with a user name or password are not fetched")
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise refuse(f"cannot resolve host {host!r} ({why})") from None
    if not addresses:
        raise refuse(f"cannot resolve host {host!r} (no addresses)")
    if not allow_private:
        for ip in addresses:
            why = blocked_reason(ip)
            if why:
                shown = f"{ip} is" if _parse_ip(host) == ip else f"{host} resolves to {ip},"
                raise refuse(f"{shown} {why} ({_ALLOW_HINT})")
    return _Target(parsed, host, port, addresses[0])


# --------------------------------------------------------------------------- transport


class _Pins(threading.local):
    pin: tuple[str, int, IPAddress] | None = None
    # the monotonic deadline of the fetch running in this thread (see _DeadlineStream)
    deadline: float | None = None


_PINS = _Pins()


class AddressRefused(httpcore.ConnectError):
    """The guarded backend refused to connect (private address, no resolvable address)."""


def _clamped(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` shortened to what is left of this thread's fetch deadline."""
    deadline = _PINS.deadline
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the fetch deadline has passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection's stream whose every read, write and TLS handshake waits at most until
    the deadline of the fetch using it: a server dripping a byte at a time (each within the
    read timeout, headers included) cannot hold a fetch past ``fetch_total_timeout_s``. The
    deadline is per thread, so a kept-alive connection serves each fetch with its own."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamped(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamped(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _clamped(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore network backend that connects only to checked addresses.

    When ``fetch`` has pinned an address for ``(host, port)`` in this thread, the
    connection goes to exactly that address (no second DNS lookup, so no rebinding
    window). Otherwise the host is resolved here and every address checked.
    """

    def __init__(self, allow_private: bool = False) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        pin = _PINS.pin
        if pin is not None and pin[0] == host and pin[1] == port:
            addresses = [pin[2]]
        else:
            try:
                addresses = resolve(host, port)
            except (OSError, UnicodeError) as exc:
                raise AddressRefused(f"cannot resolve host {host!r} ({exc})") from None
            if not addresses:
                raise AddressRefused(f"cannot resolve host {host!r}")
        if not self.allow_private:
            for ip in addresses:
                why = blocked_reason(ip)
                if why:
                    raise AddressRefused(f"{host} resolves to {ip}, {why} ({_ALLOW_HINT})")
        timeout = _clamped(timeout, httpcore.ConnectTimeout)
        stream = super().connect_tcp(
            str(addresses[0]), port, timeout, local_address, socket_options
        )
        return _DeadlineStream(stream)


def user_agent(settings: Settings) -> str:
    return settings.fetch_user_agent or DEFAULT_USER_AGENT


def make_client(settings: Settings, allow_private: bool = False) -> httpx.Client:
    """An httpx client for ``fetch``: guarded backend, no redirects, no env proxies,
    timeouts and User-Agent from ``settings``. Thread-safe; close it when done."""
    transport = httpx.HTTPTransport(
        retries=0,
        limits=httpx.Limits(
            max_connections=max(settings.fetch_concurrency, 1) * 2,
            max_keepalive_connections=max(settings.fetch_concurrency, 1),
        ),
    )
    pool = getattr(transport, "_pool", None)
    if pool is None or not hasattr(pool, "_network_backend"):  # pragma: no cover
        raise RuntimeError("this httpx version does not allow the private-address guard")
    pool._network_backend = GuardedBackend(allow_private)
    timeout = httpx.Timeout(
        connect=settings.fetch_connect_timeout_s,
        read=settings.fetch_read_timeout_s,
        write=settings.fetch_read_timeout_s,
        pool=settings.fetch_total_timeout_s,
    )
    return httpx.Client(
        transport=transport,
        timeout=timeout,
        follow_redirects=False,
        trust_env=False,
        headers={
            "User-Agent": user_agent(settings),
            "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.5",
            "Accept-Encoding": "gzip, deflate",
        },
    )


# --------------------------------------------------------------------------- rate limit


class HostLimiter:
    """Per-host politeness: at most ``per_host`` requests in flight to one host, and at
    least ``min_delay_s`` between two request starts to it. Thread-safe."""

    def __init__(self, per_host: int = 2, min_delay_s: float = 0.5) -> None:
        self.per_host = max(int(per_host), 1)
        self.min_delay_s = max(float(min_delay_s), 0.0)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> HostLimiter:
        return cls(settings.fetch_per_host_concurrency, settings.fetch_host_delay_s)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s slots, starting no sooner than its next free time."""
        with self._lock:
            sem = self._slots.setdefault(host, threading.BoundedSemaphore(self.per_host))
        sem.acquire()
        try:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start.get(host, now))
                self._next_start[host] = start + self.min_delay_s
            if start > now:
                time.sleep(start - now)
            yield
        finally:
            sem.release()


def _host_key(target: _Target) -> str:
    return f"{target.host.lower()}:{target.port}"


class Robots:
    """robots.txt rules per origin (scheme://host:port), fetched once through the same
    guarded client and politeness limiter (RFC 9309): a missing robots.txt (4xx) allows
    everything; a server error (5xx) disallows the whole site; any other failure (refused
    address, timeout) allows, so the page fetch itself reports the real problem. Rules
    are matched against the User-Agent's product token (``retold``). Thread-safe."""

    def __init__(
        self,
        settings: Settings,
        *,
        allow_private: bool = False,
        client: httpx.Client | None = None,
        limiter: HostLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.allow_private = allow_private
        self.client = client
        self.limiter = limiter
        self.agent = user_agent(settings)
        self._lock = threading.Lock()
        self._origin_locks: dict[str, threading.Lock] = {}
        self._rules: dict[str, RobotFileParser | str] = {}

    def refusal(self, url: str) -> str | None:
        """Why robots.txt forbids ``url`` (None when allowed)."""
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            return None  # the fetch itself refuses it with a clearer reason
        origin = f"{parts.scheme.lower()}://{parts.netloc.lower()}"
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # one robots.txt request per origin, however many threads ask
            rules = self._rules.get(origin)
            if rules is None:
                rules = self._rules[origin] = self._load(origin)
        if isinstance(rules, str):
            return rules
        if rules.can_fetch(self.agent, url):
            return None
        return "disallowed by the site's robots.txt (set fetch_respect_robots = false to ignore)"

    def _load(self, origin: str) -> RobotFileParser | str:
        parser = RobotFileParser()
        try:
            fetched = fetch(
                origin + "/robots.txt",
                self.settings,
                allow_private=self.allow_private,
                client=self.client,
                limiter=self.limiter,
            )
        except HTTPStatusError as exc:
            if exc.status >= 500:
                return f"the site's robots.txt answers HTTP {exc.status}; RFC 9309 says wait"
            parser.allow_all = True
            return parser
        except InputError:
            parser.allow_all = True
            return parser
        parser.parse(fetched.body.decode("utf-8", "replace").splitlines())
        return parser


# --------------------------------------------------------------------------- body


class _BodyReader:
    """Count raw and decoded bytes of a streamed body and enforce the limits."""

    def __init__(self, name: str, encoding: str, settings: Settings, deadline: float) -> None:
        self.name = name
        self.limit = settings.max_input_bytes
        self.ratio = settings.fetch_max_decompression_ratio
        self.deadline = deadline
        self.total_timeout = settings.fetch_total_timeout_s
        self.raw = 0
        self.out = 0
        self.parts: list[bytes] = []
        self.encoding = encoding
        self._zlib: Any = None
        if encoding == "gzip":
            self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding != "identity" and encoding != "deflate":
            raise _error(name, f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes) -> None:
        if time.monotonic() > self.deadline:
            raise _error(
                self.name,
                f"download took longer than {self.total_timeout:g} s (set fetch_total_timeout_s)",
            )  # the same words as _deadline_error
        self.raw += len(chunk)
        if self.raw > self.limit:
            raise _too_large(self.name, "response", None, self.limit)
        if self.encoding == "identity":
            self._emit(chunk)
            return
        if self._zlib is None:  # deflate: zlib-wrapped (RFC) or raw (some servers)
            wrapped = (
                len(chunk) >= 2 and (chunk[0] & 0x0F) == 8 and int.from_bytes(chunk[:2]) % 31 == 0
            )
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)
        self._inflate(chunk)

    def _inflate(self, data: bytes) -> None:
        while data:
            try:
                piece = self._zlib.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                raise _error(self.name, f"corrupt {self.encoding} data ({exc})") from None
            self._emit(piece)
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:  # concatenated gzip members
                rest = self._zlib.unused_data
                if not rest or self.encoding != "gzip":
                    return
                self._zlib = zlib.decompressobj(16 + zlib.MAX_WBITS)
                data = rest

    def _emit(self, piece: bytes) -> None:
        if not piece:
            return
        self.out += len(piece)
        if self.out > self.limit:
            what = "response" if self.encoding == "identity" else "decompressed response"
            raise _too_large(self.name, what, None, self.limit)
        if (
            self.encoding != "identity"
            and self.out > _RATIO_FLOOR
            and self.out > self.ratio * max(self.raw, 1)
        ):
            raise _error(
                self.name,
                f"refused as a decompression bomb: {format_size(self.raw)} of {self.encoding} "
                f"data expand to more than {format_size(self.out)} "
                f"(over {self.ratio:g}:1; set fetch_max_decompression_ratio)",
            )
        self.parts.append(piece)

    def finish(self) -> bytes:
        if self._zlib is not None and self.encoding == "gzip" and not self._zlib.eof and self.raw:
            raise _error(self.name, "truncated gzip data")
        return b"".join(self.parts)


def decompress_limited(data: bytes, name: str, settings: Settings, encoding: str = "gzip") -> bytes:
    """Decompress in-memory ``data`` (e.g. a ``.xml.gz`` sitemap) with the same size and
    ratio limits as a ``Content-Encoding`` body."""
    reader = _BodyReader(
        name, encoding, settings, time.monotonic() + settings.fetch_total_timeout_s
    )
    for start in range(0, len(data), _INFLATE_STEP):
        reader.feed(data[start : start + _INFLATE_STEP])
    return reader.finish()


# --------------------------------------------------------------------------- fetch


def _http_error(
    exc: httpx.HTTPError, name: str, settings: Settings, deadline: float | None = None
) -> InputError:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, AddressRefused):
        return _error(name, f"refused at connect time: {cause}")
    # a wait cut short by the deadline (_DeadlineStream) ends a socket wait at the deadline
    if (
        isinstance(exc, httpx.TimeoutException)
        and deadline is not None
        and time.monotonic() >= deadline - _DEADLINE_SLACK_S
    ):
        return _deadline_error(name, settings)
    if isinstance(exc, httpx.ConnectTimeout):
        return _error(name, f"connection timed out after {settings.fetch_connect_timeout_s:g} s")
    if isinstance(exc, httpx.ReadTimeout):
        return _error(
            name, f"the server stopped responding (no data for {settings.fetch_read_timeout_s:g} s)"
        )
    if isinstance(exc, httpx.TimeoutException):
        return _error(name, f"timed out ({type(exc).__name__})")
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return _error(name, f"could not connect ({detail})")
    if isinstance(exc, httpx.RemoteProtocolError):
        return _error(name, f"the server sent an invalid HTTP response ({detail})")
    return _error(name, f"fetch failed ({type(exc).__name__}: {detail})")


def _deadline_error(name: str, settings: Settings) -> InputError:
    return _error(
        name,
        f"download took longer than {settings.fetch_total_timeout_s:g} s "
        "(set fetch_total_timeout_s)",
    )


def _mime(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def fetch(
    url: str,
    settings: Settings | None = None,
    *,
    allow_private: bool = False,
    client: httpx.Client | None = None,
    limiter: HostLimiter | None = None,
    accept: Callable[[str], bool] | None = None,
) -> Fetched:
    """GET ``url`` with the safety rules of this module; a 2xx response or ``InputError``.

    ``client``: one from ``make_client`` (shared by threads); a client made otherwise
    still gets every check except connect-time address pinning. ``limiter``: per-host
    politeness shared between calls. ``accept(mime)``: refuse other content types before
    the body is downloaded.
    """
    settings = settings or Settings()
    url = url.strip()
    name = url
    own_client = client is None
    if client is None:
        client = make_client(settings, allow_private)
    deadline = time.monotonic() + settings.fetch_total_timeout_s
    outer_deadline, _PINS.deadline = _PINS.deadline, deadline
    current, previous = url, None
    try:
        for _hop in range(settings.fetch_max_redirects + 1):
            if time.monotonic() >= deadline:
                raise _deadline_error(name, settings)
            target = _check_url(current, name, allow_private, previous)
            slot: AbstractContextManager[None] = (
                limiter.slot(_host_key(target)) if limiter else nullcontext()
            )
            with slot:
                _PINS.pin = (target.host, target.port, target.ip)
                try:
                    request = client.build_request("GET", target.url)
                    response = client.send(request, stream=True, follow_redirects=False)
                except httpx.HTTPError as exc:
                    raise _http_error(exc, name, settings, deadline) from None
                finally:
                    _PINS.pin = None
                try:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in REDIRECT_STATUSES and location:
                        previous, current = current, urljoin(str(target.url), location.strip())
                        continue
                    if status >= 400 or status < 200 or status in REDIRECT_STATUSES:
                        phrase = response.reason_phrase or ""
                        raise HTTPStatusError(
                            _error(name, f"HTTP {status} {phrase}".strip()).args[0], status
                        )
                    content_type = response.headers.get("content-type", "")
                    if accept is not None and not accept(_mime(content_type)):
                        raise _error(
                            name, f"unsupported content type {_mime(content_type) or 'none'}"
                        )
                    body = _read_body(response, name, settings, deadline)
                    return Fetched(
                        url=url,
                        final_url=str(target.url),
                        status=status,
                        content_type=content_type,
                        body=body,
                        headers={k.lower(): v for k, v in response.headers.items()},
                    )
                finally:
                    response.close()
        raise _error(
            name,
            f"more than {settings.fetch_max_redirects} redirects (the last to {current}; "
            "set fetch_max_redirects)",
        )
    finally:
        _PINS.deadline = outer_deadline
        if own_client:
            client.close()


def _read_body(response: httpx.Response, name: str, settings: Settings, deadline: float) -> bytes:
    encodings = [
        e.strip().lower()
        for e in response.headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    if len(encodings) > 1:
        raise _error(name, f"unsupported Content-Encoding {', '.join(encodings)!r}")
    encoding = encodings[0] if encodings else "identity"
    if encoding == "x-gzip":
        encoding = "gzip"
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_input_bytes:
        raise _too_large(name, "response", int(length), settings.max_input_bytes)
    reader = _BodyReader(name, encoding, settings, deadline)
    try:
        for chunk in response.iter_raw():
            reader.feed(chunk)
    except httpx.HTTPError as exc:
        raise _http_error(exc, name, settings, deadline) from None
    body = reader.finish()
    if not body:
        raise _error(name, "the response is empty")
    return body


# --------------------------------------------------------------------------- many


def _fetch_or_skip(
    url: str, settings: Settings, robots: Robots | None = None, **kwargs: Any
) -> Fetched | Skipped:
    try:
        refusal = robots.refusal(url) if robots is not None else None
        if refusal:
            return Skipped(url.strip(), refusal)
        return fetch(url, settings, **kwargs)
    except InputError as exc:
        return Skipped(url.strip(), problem_of(exc, url.strip()))
    except Exception as exc:  # nothing one URL does may stop the others
        return Skipped(url.strip(), f"fetch failed ({type(exc).__name__}: {exc})"[:300])


def fetch_many(
    urls: Iterable[str],
    settings: Settings | None = None,
    *,
    allow_private: bool = False,
    client: httpx.Client | None = None,
    limiter: HostLimiter | None = None,
    accept: Callable[[str], bool] | None = None,
    robots: Robots | None = None,
) -> Iterator[Fetched | Skipped]:
    """Fetch ``urls`` with ``fetch_concurrency`` threads; results in input order, failures
    (and URLs ``robots`` forbids) as ``Skipped(url, reason)``. At most
    ``2 * fetch_concurrency`` URLs are in flight or waiting to be consumed, so memory stays
    bounded for long URL lists."""
    settings = settings or Settings()
    own_client = client is None
    if client is None:
        client = make_client(settings, allow_private)
    limiter = limiter or HostLimiter.from_settings(settings)
    workers = max(settings.fetch_concurrency, 1)
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="retold-fetch")
    pending: deque[Future[Fetched | Skipped]] = deque()
    it = iter(urls)

    def submit_next() -> bool:
        for url in it:
            pending.append(
                pool.submit(
                    _fetch_or_skip,
                    url,
                    settings,
                    robots,
                    allow_private=allow_private,
                    client=client,
                    limiter=limiter,
                    accept=accept,
                )
            )
            return True
        return False

    try:
        while len(pending) < workers * 2 and submit_next():
            pass
        while pending:
            result = pending.popleft().result()
            submit_next()
            yield result
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if own_client:
            client.close()


# --------------------------------------------------------------------------- articles


def decode_body(fetched: Fetched) -> str:
    """The body as text: a BOM wins, then valid UTF-8, then the charset the HTTP header
    names, then ``decode_bytes`` (declared ``<meta>`` charset, cp1252, detection)."""
    body, name = fetched.body, fetched.url
    what = sniff_binary(body[:64])
    if what is not None:
        raise _error(name, f"looks like {what}, not a web page")
    charset = fetched.charset
    boms = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
    if charset and not body.startswith(boms):
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
        try:
            codec = codecs.lookup(charset).name
            if codec in {"latin-1", "iso8859-1", "ascii"}:
                codec = "cp1252"  # WHATWG: these labels mean windows-1252
            return body.decode(codec)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_bytes(body, name)


def is_html_type(mime: str) -> bool:
    return mime in HTML_TYPES


def accept_page(mime: str) -> bool:
    """Content types worth downloading as an article page (unlabelled ones are sniffed)."""
    return mime in HTML_TYPES or mime in ("", "text/plain", "application/octet-stream")


_HTML_LANG_RE = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)", re.I
)


def _same_site(a: str, b: str) -> bool:
    def host(u: str) -> str:
        h = (urlsplit(u).hostname or "").lower()
        return h[4:] if h.startswith("www.") else h

    return bool(host(a)) and host(a) == host(b)


def article_from_fetched(fetched: Fetched, settings: Settings | None = None) -> WebArticle:
    """Extract the article of an HTML response (trafilatura, via ``read_text_input``) with
    the page's metadata: title, author, date, site name, canonical URL, language."""
    settings = settings or Settings()
    name = fetched.url
    mime = fetched.mime
    text = None
    if not is_html_type(mime):
        if mime in ("", "application/octet-stream", "text/plain"):
            text = decode_body(fetched)
            if detect_format(text) != "html":
                raise _error(name, f"not an HTML page (Content-Type {mime or 'missing'})")
        else:
            raise _error(name, f"not an HTML page (Content-Type {mime})")
    if text is None:
        text = decode_body(fetched)
    article = read_text_input(text, name, settings, fmt="html")
    meta = None
    try:
        from trafilatura.metadata import extract_metadata

        meta = extract_metadata(text, default_url=fetched.final_url)
    except Exception:  # metadata is a bonus: the article itself was extracted
        meta = None
    canonical = (getattr(meta, "url", None) or "").strip()
    if not (is_url(canonical) and _same_site(canonical, fetched.final_url)):
        canonical = fetched.final_url
    site = (getattr(meta, "sitename", None) or "").strip()
    site = site or (urlsplit(fetched.final_url).hostname or "")
    lang = _HTML_LANG_RE.search(text[:20_000])
    return WebArticle(
        text=article.text,
        title=article.title,
        origin=name,
        language=article.language,
        url=canonical,
        site=" ".join(site.split()),
        published=(getattr(meta, "date", None) or "").strip(),
        author=" ".join((getattr(meta, "author", None) or "").split()),
        final_url=fetched.final_url,
        page_language=lang.group(1).lower() if lang else "",
    )


def read_url(
    url: str,
    settings: Settings | None = None,
    allow_private: bool = False,
    *,
    client: httpx.Client | None = None,
) -> WebArticle:
    """Fetch one web page and extract its article (``InputError`` on any problem)."""
    settings = settings or Settings()
    fetched = fetch(url, settings, allow_private=allow_private, client=client, accept=accept_page)
    return article_from_fetched(fetched, settings)
