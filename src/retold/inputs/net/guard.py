"""The SSRF guard: which addresses may be fetched, checked at connect time (every
redirect and every resolved address), and the httpx client built on it."""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from retold import __version__
from retold.errors import InputError
from retold.inputs.decoding import error
from retold.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_USER_AGENT = f"retold/{__version__} (+https://pypi.org/project/retold; research crawler)"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ALLOW_HINT = "use --allow-private to fetch it"
# a socket wait clamped to the deadline may wake a hair before it: still the deadline's doing
DEADLINE_SLACK_S = 0.05
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


def check_url(
    url: str, name: str, allow_private: bool, redirected_from: str | None = None
) -> _Target:
    """Validate ``url`` and pick the address to connect to, or raise ``InputError``.

    ``name`` is the URL as first given (messages start with it); for a redirect hop,
    ``redirected_from`` makes the message name the hop's target too.
    """

    def refuse(problem: str) -> InputError:
        if redirected_from is not None:
            return error(name, f"redirect to {url} refused: {problem}")
        return error(name, problem)

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


class _Pins(threading.local):
    pin: tuple[str, int, IPAddress] | None = None
    # the monotonic deadline of the fetch running in this thread (see _DeadlineStream)
    deadline: float | None = None


PINS = _Pins()


class AddressRefused(httpcore.ConnectError):
    """The guarded backend refused to connect (private address, no resolvable address)."""


def _clamped(timeout: float | None, expired: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` shortened to what is left of this thread's fetch deadline."""
    deadline = PINS.deadline
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
        pin = PINS.pin
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


def host_key(target: _Target) -> str:
    return f"{target.host.lower()}:{target.port}"
