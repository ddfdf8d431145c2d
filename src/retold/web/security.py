"""Request guards for ``retold serve``, as one ASGI middleware that runs before routing:

- Host: the header must be a well-formed ``host[:port]`` (else 400). When the server listens
  on loopback only, it must name a loopback literal (``localhost``, an IPv4 address in
  127.0.0.0/8, ``[::1]``) or a configured name (``web_allowed_hosts`` / ``--allowed-host``),
  else 403: a web page on another site cannot use DNS rebinding to reach the API through
  the user's browser. ``127.0.0.1.evil.example`` is a name, not a loopback address;
- cross-site: a state-changing request (POST, PUT, PATCH, DELETE) is refused (403) when its
  ``Origin`` is not this server's scheme-host-port (``null``, sent by sandboxed frames and
  ``data:`` pages, counts as cross-site) or its ``Sec-Fetch-Site`` is anything but
  ``same-origin``/``none`` (``same-site`` is another port or subdomain: another origin);
  API requests carrying a form content type (what a cross-site page can post without a
  CORS preflight) get 415. Clients that send neither header (curl, scripts) pass;
- CSRF: page requests get a random ``retold_csrf`` cookie; pages render an HMAC of it under
  a per-server secret as a hidden form field, and page form posts must return it
  (``pages.require_form_token``), so a forged form from elsewhere cannot match it;
- token: with ``--token``, the API needs ``Authorization: Bearer TOKEN`` and pages need the
  login cookie (``/login``); the cookie holds an HMAC of the token, never the token itself;
- body size: ``Content-Length`` over the limit is refused at once (413); a body without a
  length (chunked) is read here up to the limit, refused past it, else replayed to the app;
- errors: an exception after the app answered is logged once and does not drop the
  keep-alive connection; one before it gets a one-line 500, never a traceback;
- headers: every response gets ``X-Content-Type-Options``, ``X-Frame-Options`` and
  ``Referrer-Policy: same-origin`` (not ``no-referrer``: under it browsers send
  ``Origin: null`` even on this server's own form posts); pages set their own CSP.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from html import escape
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from retold.errors import RetoldError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "retold_session"
CSRF_COOKIE = "retold_csrf"
CSRF_FIELD = "csrf_token"
# where the guard leaves the CSRF token for this request's pages, and the one a form post
# must carry (None when the request came without a valid CSRF cookie)
CSRF_SCOPE_TOKEN = "retold.csrf_token"
CSRF_SCOPE_EXPECTED = "retold.csrf_expected"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# reachable without logging in: the login page itself, its stylesheet, liveness
PUBLIC_PATHS = frozenset({"/login", "/static/app.css", "/api/health"})
# the only Sec-Fetch-Site values of a request this server's own pages (or the user typing
# a URL) made
SAME_ORIGIN_FETCH = frozenset({"same-origin", "none"})
# content types a cross-site page can POST without a CORS preflight; the API never takes them
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
DEFAULT_PORTS = {"http": 80, "https": 443}
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")

_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_NAME_RE = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_BRACKETED_RE = re.compile(r"^\[([0-9a-f:.]+)\](?::([0-9]{1,5}))?$")
_CSRF_COOKIE_RE = re.compile(r"^[0-9a-f]{32}$")
_LOG = logging.getLogger("retold.web")


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def session_value(token: str) -> str:
    return hmac.new(token.encode(), b"retold-session-v1", hashlib.sha256).hexdigest()


def parse_host(value: str) -> tuple[str, int | None]:
    """``(name, port)`` of a Host header or a ``--host`` value: the name lowercased, without
    a final dot, IPv6 literals as ``[compressed]``. ``ValueError`` (a one-line reason) when
    it is not a host name, IPv4 or bracketed IPv6 literal with an optional port."""
    host = value.lower()
    if not host:
        raise ValueError("is empty")
    if host.startswith("["):
        m = _BRACKETED_RE.match(host)
        if m is None:
            raise ValueError("is not a bracketed IPv6 address with an optional port")
        try:
            name = f"[{ipaddress.IPv6Address(m.group(1)).compressed}]"
        except ValueError:
            raise ValueError("is not a valid IPv6 address") from None
        port_text = m.group(2)
    else:
        if host.count(":") > 1:
            raise ValueError("has more than one ':' (IPv6 addresses need [brackets])")
        name, sep, port_text = host.partition(":")
        if sep and not port_text:
            raise ValueError("has an empty port")
        name = name.removesuffix(".")
        if len(name) > 253 or not _NAME_RE.match(name):
            raise ValueError("is not a host name or address")
        port_text = port_text or None
    port = None
    if port_text is not None:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            raise ValueError("has a port that is not a number up to 65535")
        port = int(port_text)
    return name, port


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, an IPv4 address in 127.0.0.0/8 and ``::1`` (bare or in
    brackets, with or without a port); names that merely start with ``127.`` are not."""
    try:  # a bare IPv6 address: a --host value (a Host header needs brackets)
        return ipaddress.IPv6Address(host).is_loopback
    except ValueError:
        pass
    try:
        name, _ = parse_host(host)
    except ValueError:
        return False
    if name == "localhost" or name == "[::1]":
        return True
    try:
        return ipaddress.IPv4Address(name) in ipaddress.IPv4Network("127.0.0.0/8")
    except ValueError:
        return False


def parse_allowed_hosts(value: str | Iterable[str]) -> frozenset[str]:
    """Host names from ``web_allowed_hosts`` (comma or space separated) or ``--allowed-host``
    values; a malformed one is a ``RetoldError`` naming it."""
    items = value.replace(",", " ").split() if isinstance(value, str) else list(value)
    names = set()
    for item in items:
        try:
            name, port = parse_host(item.strip())
        except ValueError as exc:
            raise RetoldError(f"web_allowed_hosts: {item[:80]!r} {exc}") from None
        if port is not None:
            raise RetoldError(f"web_allowed_hosts: {item[:80]!r}: give the name without a port")
        names.add(name)
    return frozenset(names)


def csrf_token(secret: bytes, cookie_value: str) -> str:
    return hmac.new(secret, b"retold-csrf-v1:" + cookie_value.encode(), hashlib.sha256).hexdigest()


def _origin_of(value: str) -> tuple[str, str, int] | None:
    """``(scheme, name, port)`` of an ``Origin`` header; None for ``null`` or garbage."""
    try:
        parts = urlsplit(value.strip())
        if parts.scheme not in DEFAULT_PORTS or parts.path or parts.query or parts.fragment:
            return None
        if "@" in parts.netloc:
            return None
        name, port = parse_host(parts.netloc)
    except ValueError:
        return None
    return parts.scheme, name, port or DEFAULT_PORTS[parts.scheme]


class Guard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int,
        token: str | None,
        loopback_only: bool,
        allowed_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.token = token or None
        self.session = session_value(token) if token else None
        self.loopback_only = loopback_only
        self.allowed_hosts = allowed_hosts
        # per server: a restart invalidates open forms (the page says to reload)
        self.csrf_secret = secrets.token_bytes(32)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers: dict[str, str] = {}
        hosts = 0
        for k, v in scope["headers"]:
            name = k.decode("latin-1").lower()
            hosts += name == "host"
            headers[name] = v.decode("latin-1")
        path: str = scope.get("path", "/")
        is_api = is_api_path(path)
        refusal = self._refusal(scope, headers, hosts, path, is_api)
        if refusal is not None:
            status, message, location = refusal
            await _reply(send, status, message, is_api, location)
            return
        new_cookie = None if is_api else self._csrf(scope, headers)
        if path.startswith("/static/"):
            new_cookie = None  # only pages need it; a stylesheet need not set it
        length = headers.get("content-length", "")
        if length.isascii() and length.isdigit():
            if int(length) > self.max_body:
                await _reply(send, 413, self._too_large(), is_api)
                return
        elif scope["method"] in UNSAFE_METHODS:
            # no length given (chunked): read it here, up to the limit, then replay it
            body = await self._buffer(receive)
            if body is None:
                await _reply(send, 413, self._too_large(), is_api)
                return
            receive = _replay(body, receive)
        progress = {"started": False, "done": False}
        try:
            await self.app(scope, receive, _with_headers(send, new_cookie, progress))
        except Exception as exc:
            if progress["done"]:
                # the app's handler answered (and logged it); re-raising would only make
                # the server log it again and drop the keep-alive connection
                return
            _LOG.error("internal error on %s %s", scope["method"], path, exc_info=exc)
            if not progress["started"]:
                await _reply(send, 500, f"internal error: {type(exc).__name__}", is_api)
                return
            raise

    def _refusal(
        self, scope: Scope, headers: dict[str, str], hosts: int, path: str, is_api: bool
    ) -> tuple[int, str, str | None] | None:
        if hosts != 1:
            return 400, "the request needs exactly one Host header", None
        host = headers["host"]
        try:
            name, port = parse_host(host)
        except ValueError as exc:
            return 400, f"Host header {host[:100]!r} {exc}", None
        if (self.loopback_only or self.allowed_hosts) and not (
            is_loopback_host(name) or name in self.allowed_hosts
        ):
            names = ", ".join((*LOOPBACK_NAMES, *sorted(self.allowed_hosts)))
            return (
                403,
                f"host {host[:100]!r} is not served (this server answers to {names}; "
                "add a name with --allowed-host)",
                None,
            )
        if scope["method"] in UNSAFE_METHODS:
            cross = self._cross_site(headers, scope.get("scheme", "http"), name, port)
            if cross is not None:
                return 403, cross, None
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if is_api and media in FORM_TYPES:
                return (
                    415,
                    f"content-type {media} is a browser form type: the API takes application/json",
                    None,
                )
        if self.token is None or path in PUBLIC_PATHS:
            return None
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and secrets.compare_digest(
            auth[7:].strip().encode(), self.token.encode()
        ):
            return None
        morsel = _cookies(headers).get(COOKIE)
        if (
            morsel is not None
            and self.session is not None
            and secrets.compare_digest(morsel.value.encode(), self.session.encode())
        ):
            return None
        if is_api:
            return 401, "missing or wrong bearer token (Authorization: Bearer TOKEN)", None
        return 303, "log in first", "/login"

    @staticmethod
    def _cross_site(
        headers: dict[str, str], scheme: str, name: str, port: int | None
    ) -> str | None:
        """Why an unsafe request is cross-site, or None. Same origin: the request's scheme
        (behind a local TLS proxy, from X-Forwarded-Proto), Host name and port."""
        fetch_site = headers.get("sec-fetch-site")
        if fetch_site is not None and fetch_site.strip().lower() not in SAME_ORIGIN_FETCH:
            return f"cross-site request refused (Sec-Fetch-Site: {fetch_site[:40]})"
        origin = headers.get("origin")
        if origin is None:
            return None  # not a browser, or an old one: page forms still need the CSRF token
        parsed = _origin_of(origin)
        if parsed is None:
            return f"cross-site request from origin {origin[:100]!r} refused"
        origin_scheme, origin_name, origin_port = parsed
        here = (scheme, name, port or DEFAULT_PORTS.get(scheme, 80))
        if (origin_scheme, origin_name, origin_port) != here:
            return f"cross-site request from {origin[:100]} refused"
        return None

    def _csrf(self, scope: Scope, headers: dict[str, str]) -> str | None:
        """Puts this request's CSRF token (and the one a form post must carry) in the scope;
        returns a new cookie value to set when the request had none."""
        morsel = _cookies(headers).get(CSRF_COOKIE)
        value = morsel.value if morsel is not None else ""
        fresh = None
        if _CSRF_COOKIE_RE.match(value):
            scope[CSRF_SCOPE_EXPECTED] = csrf_token(self.csrf_secret, value)
        else:
            scope[CSRF_SCOPE_EXPECTED] = None
            value = fresh = secrets.token_hex(16)
        scope[CSRF_SCOPE_TOKEN] = csrf_token(self.csrf_secret, value)
        return fresh

    def _too_large(self) -> str:
        return f"request body is larger than the limit of {self.max_body:,} bytes"

    async def _buffer(self, receive: Receive) -> bytes | None:
        """The whole body, or None once it passes the limit."""
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_body:
                return None
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks)


def _cookies(headers: dict[str, str]) -> SimpleCookie:
    cookie = SimpleCookie()
    try:
        cookie.load(headers.get("cookie", ""))
    except CookieError:  # a malformed cookie header is just "no cookies"
        return SimpleCookie()
    return cookie


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # e.g. http.disconnect

    return wrapped


def _with_headers(send: Send, csrf_cookie: str | None, progress: dict[str, bool]) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            progress["started"] = True
            headers = list(message.get("headers", []))
            names = {k.lower() for k, _ in headers}
            for k, v in (
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"same-origin"),
                (b"x-frame-options", b"DENY"),
            ):
                if k not in names:
                    headers.append((k, v))
            if csrf_cookie is not None:
                # Lax, not Strict: a link from another site must not replace the cookie
                # (and so break the forms of open tabs); it is no credential by itself
                headers.append(
                    (
                        b"set-cookie",
                        f"{CSRF_COOKIE}={csrf_cookie}; Path=/; HttpOnly; SameSite=Lax".encode(),
                    )
                )
            message["headers"] = headers
        elif message["type"] == "http.response.body" and not message.get("more_body", False):
            progress["done"] = True
        await send(message)

    return wrapped


async def _reply(
    send: Send, status: int, message: str, is_api: bool, location: str | None = None
) -> None:
    if is_api:
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        ctype = b"application/json"
    else:
        body = (
            "<!doctype html><meta charset=utf-8><title>retold</title>"
            f"<p>{escape(message)}</p><p><a href='/'>retold</a></p>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    headers = [
        (b"content-type", ctype),
        (b"content-length", str(len(body)).encode()),
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        (b"referrer-policy", b"same-origin"),
    ]
    if location:
        headers.append((b"location", location.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
