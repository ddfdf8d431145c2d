"""Fetching pages: limited, deadline-bound, decompression-bomb-safe bodies, and pages
turned into articles."""

from __future__ import annotations

import codecs
import re
import time
import zlib
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx

from retold.errors import InputError
from retold.inputs.decoding import decode_bytes, error, format_size, sniff_binary, too_large
from retold.inputs.net.guard import (
    DEADLINE_SLACK_S,
    PINS,
    REDIRECT_STATUSES,
    AddressRefused,
    check_url,
    host_key,
    make_client,
)
from retold.inputs.net.politeness import HostLimiter
from retold.settings import Settings

HTML_TYPES = ("text/html", "application/xhtml+xml")
# Decompression: output per zlib step, and how much output is allowed before the ratio
# check starts (small bodies can legitimately have high ratios).
_INFLATE_STEP = 1 << 16
_RATIO_FLOOR = 1 << 20


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
            raise error(name, f"unsupported Content-Encoding {encoding!r}")

    def feed(self, chunk: bytes) -> None:
        if time.monotonic() > self.deadline:
            raise error(
                self.name,
                f"download took longer than {self.total_timeout:g} s (set fetch_total_timeout_s)",
            )  # the same words as _deadline_error
        self.raw += len(chunk)
        if self.raw > self.limit:
            raise too_large(self.name, "response", None, self.limit)
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
                raise error(self.name, f"corrupt {self.encoding} data ({exc})") from None
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
            raise too_large(self.name, what, None, self.limit)
        if (
            self.encoding != "identity"
            and self.out > _RATIO_FLOOR
            and self.out > self.ratio * max(self.raw, 1)
        ):
            raise error(
                self.name,
                f"refused as a decompression bomb: {format_size(self.raw)} of {self.encoding} "
                f"data expand to more than {format_size(self.out)} "
                f"(over {self.ratio:g}:1; set fetch_max_decompression_ratio)",
            )
        self.parts.append(piece)

    def finish(self) -> bytes:
        if self._zlib is not None and self.encoding == "gzip" and not self._zlib.eof and self.raw:
            raise error(self.name, "truncated gzip data")
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


def _http_error(
    exc: httpx.HTTPError, name: str, settings: Settings, deadline: float | None = None
) -> InputError:
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, AddressRefused):
        return error(name, f"refused at connect time: {cause}")
    # a wait cut short by the deadline (_DeadlineStream) ends a socket wait at the deadline
    if (
        isinstance(exc, httpx.TimeoutException)
        and deadline is not None
        and time.monotonic() >= deadline - DEADLINE_SLACK_S
    ):
        return _deadline_error(name, settings)
    if isinstance(exc, httpx.ConnectTimeout):
        return error(name, f"connection timed out after {settings.fetch_connect_timeout_s:g} s")
    if isinstance(exc, httpx.ReadTimeout):
        return error(
            name, f"the server stopped responding (no data for {settings.fetch_read_timeout_s:g} s)"
        )
    if isinstance(exc, httpx.TimeoutException):
        return error(name, f"timed out ({type(exc).__name__})")
    detail = " ".join(str(exc).split())[:200] or type(exc).__name__
    if isinstance(exc, httpx.ConnectError):
        return error(name, f"could not connect ({detail})")
    if isinstance(exc, httpx.RemoteProtocolError):
        return error(name, f"the server sent an invalid HTTP response ({detail})")
    return error(name, f"fetch failed ({type(exc).__name__}: {detail})")


def _deadline_error(name: str, settings: Settings) -> InputError:
    return error(
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
    outer_deadline, PINS.deadline = PINS.deadline, deadline
    current, previous = url, None
    try:
        for _hop in range(settings.fetch_max_redirects + 1):
            if time.monotonic() >= deadline:
                raise _deadline_error(name, settings)
            target = check_url(current, name, allow_private, previous)
            slot: AbstractContextManager[None] = (
                limiter.slot(host_key(target)) if limiter else nullcontext()
            )
            with slot:
                PINS.pin = (target.host, target.port, target.ip)
                try:
                    request = client.build_request("GET", target.url)
                    response = client.send(request, stream=True, follow_redirects=False)
                except httpx.HTTPError as exc:
                    raise _http_error(exc, name, settings, deadline) from None
                finally:
                    PINS.pin = None
                try:
                    status = response.status_code
                    location = response.headers.get("location")
                    if status in REDIRECT_STATUSES and location:
                        previous, current = current, urljoin(str(target.url), location.strip())
                        continue
                    if status >= 400 or status < 200 or status in REDIRECT_STATUSES:
                        phrase = response.reason_phrase or ""
                        raise HTTPStatusError(
                            error(name, f"HTTP {status} {phrase}".strip()).args[0], status
                        )
                    content_type = response.headers.get("content-type", "")
                    if accept is not None and not accept(_mime(content_type)):
                        raise error(
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
        raise error(
            name,
            f"more than {settings.fetch_max_redirects} redirects (the last to {current}; "
            "set fetch_max_redirects)",
        )
    finally:
        PINS.deadline = outer_deadline
        if own_client:
            client.close()


def _read_body(response: httpx.Response, name: str, settings: Settings, deadline: float) -> bytes:
    encodings = [
        e.strip().lower()
        for e in response.headers.get("content-encoding", "").split(",")
        if e.strip() and e.strip().lower() != "identity"
    ]
    if len(encodings) > 1:
        raise error(name, f"unsupported Content-Encoding {', '.join(encodings)!r}")
    encoding = encodings[0] if encodings else "identity"
    if encoding == "x-gzip":
        encoding = "gzip"
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > settings.max_input_bytes:
        raise too_large(name, "response", int(length), settings.max_input_bytes)
    reader = _BodyReader(name, encoding, settings, deadline)
    try:
        for chunk in response.iter_raw():
            reader.feed(chunk)
    except httpx.HTTPError as exc:
        raise _http_error(exc, name, settings, deadline) from None
    body = reader.finish()
    if not body:
        raise error(name, "the response is empty")
    return body


def decode_body(fetched: Fetched) -> str:
    """The body as text: a BOM wins, then valid UTF-8, then the charset the HTTP header
    names, then ``decode_bytes`` (declared ``<meta>`` charset, cp1252, detection)."""
    body, name = fetched.body, fetched.url
    what = sniff_binary(body[:64])
    if what is not None:
        raise error(name, f"looks like {what}, not a web page")
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
