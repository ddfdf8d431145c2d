"""Request guards for ``retold serve``, as one ASGI middleware that runs before routing:

- body size: ``Content-Length`` over the limit is refused at once (413); a body without a
  length (chunked) is read here up to the limit, refused past it, else replayed to the app;
- Host: when the server listens on loopback only, requests must name a loopback host
  (``localhost``, ``127.0.0.1``, ``[::1]``): a web page on another site cannot use DNS
  rebinding to reach the API through the user's browser;
- Origin: a state-changing request (POST, PUT, PATCH, DELETE) that carries an ``Origin``
  other than this server's is refused (cross-site form posts);
- token: with ``--token``, the API needs ``Authorization: Bearer TOKEN`` and pages need the
  login cookie (``/login``); the cookie holds an HMAC of the token, never the token itself.
- headers: every response gets ``X-Content-Type-Options``, ``Referrer-Policy`` and
  ``X-Frame-Options``; pages set their own Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COOKIE = "retold_session"
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# reachable without logging in: the login page itself, its stylesheet, liveness
PUBLIC_PATHS = frozenset({"/login", "/static/app.css", "/api/health"})


def session_value(token: str) -> str:
    return hmac.new(token.encode(), b"retold-session-v1", hashlib.sha256).hexdigest()


def is_loopback_host(host: str) -> bool:
    return host.lower() in LOOPBACK_HOSTS or host.startswith("127.")


def _host_name(host_header: str) -> str:
    host = host_header.strip().lower()
    if host.startswith("["):  # [::1]:8000
        return host.split("]", 1)[0] + "]"
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


class Guard:
    def __init__(
        self, app: ASGIApp, *, max_body: int, token: str | None, loopback_only: bool
    ) -> None:
        self.app = app
        self.max_body = max_body
        self.token = token or None
        self.session = session_value(token) if token else None
        self.loopback_only = loopback_only

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        path: str = scope.get("path", "/")
        is_api = path.startswith("/api/") or path == "/api"
        refusal = self._refusal(scope, headers, path, is_api)
        if refusal is not None:
            status, message, location = refusal
            await _reply(send, status, message, is_api, location)
            return
        length = headers.get("content-length", "")
        if length.isdigit():
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
        await self.app(scope, receive, _with_headers(send))

    def _refusal(
        self, scope: Scope, headers: dict[str, str], path: str, is_api: bool
    ) -> tuple[int, str, str | None] | None:
        host = headers.get("host", "")
        if self.loopback_only and not is_loopback_host(_host_name(host)):
            return 403, f"host {host[:100]!r} is not served (this server is for localhost)", None
        origin = headers.get("origin")
        if scope["method"] in UNSAFE_METHODS and origin and origin != "null":
            parts = urlsplit(origin)
            if parts.netloc.lower() != host.lower():
                return 403, f"cross-site request from {origin[:100]} refused", None
        if self.token is None or path in PUBLIC_PATHS:
            return None
        auth = headers.get("authorization", "")
        if auth.lower().startswith("bearer ") and secrets.compare_digest(
            auth[7:].strip().encode(), self.token.encode()
        ):
            return None
        cookie = SimpleCookie()
        try:
            cookie.load(headers.get("cookie", ""))
        except Exception:  # a malformed cookie header is just "not logged in"
            cookie = SimpleCookie()
        morsel = cookie.get(COOKIE)
        if (
            morsel is not None
            and self.session is not None
            and secrets.compare_digest(morsel.value.encode(), self.session.encode())
        ):
            return None
        if is_api:
            return 401, "missing or wrong bearer token (Authorization: Bearer TOKEN)", None
        return 303, "log in first", "/login"

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


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def wrapped() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # e.g. http.disconnect

    return wrapped


def _with_headers(send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            names = {k.lower() for k, _ in headers}
            for k, v in (
                (b"x-content-type-options", b"nosniff"),
                (b"referrer-policy", b"no-referrer"),
                (b"x-frame-options", b"DENY"),
            ):
                if k not in names:
                    headers.append((k, v))
            message["headers"] = headers
        await send(message)

    return wrapped


async def _reply(
    send: Send, status: int, message: str, is_api: bool, location: str | None = None
) -> None:
    if is_api:
        body = json.dumps({"error": {"status": status, "message": message}}).encode()
        ctype = b"application/json"
    else:
        from html import escape

        body = (
            "<!doctype html><meta charset=utf-8><title>retold</title>"
            f"<p>{escape(message)}</p><p><a href='/'>retold</a></p>"
        ).encode()
        ctype = b"text/html; charset=utf-8"
    headers = [(b"content-type", ctype), (b"content-length", str(len(body)).encode())]
    if location:
        headers.append((b"location", location.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
