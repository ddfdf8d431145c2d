"""Articles from web crawls: WARC and ARC files, gzip-compressed or plain.

``iter_warc(path, settings)`` streams the archive record by record (warcio's
``ArchiveIterator``; memory stays flat however large the crawl) and yields one
``SourceArticle`` per HTML page that was fetched with HTTP 200:

- Kept: ``response`` records (ARC records count as responses) whose HTTP status is 200 and
  whose ``Content-Type`` is HTML (``text/html``, ``application/xhtml+xml``; a response
  without a content type is kept when its body starts like an HTML page). Every other
  record (``warcinfo``, ``request``, ``metadata``, ``revisit``, images, scripts,
  redirects, 404s) is passed over silently: it is crawl bookkeeping, not a failed article.
- A kept page that cannot become an article (too large, undecodable, no article text,
  not English, too few words) is ``Skipped("path#N", reason)``, N being the record's
  position in the file (1-based, all record types counted).
- Extraction reuses the file pipeline (``retold.inputs.reading``): decoding (HTTP charset
  first, then the usual detection), normalisation, trafilatura, the English and
  ``min_words`` checks. ``url`` is ``WARC-Target-URI``, ``site`` its host without
  ``www.``, ``published`` the HTTP ``Last-Modified`` date (ISO 8601) when present, else
  the capture time ``WARC-Date``.
- Size: each page body is read through its HTTP content/transfer decoding with at most
  ``max_input_bytes + 1`` bytes held, so a gzip bomb inside a record costs nothing.
- Damage: a truncated or corrupt archive yields the articles before the damage, then
  one ``Skipped(path, "truncated WARC after N records: ...")`` (N complete records read);
  a file that is not an archive at all is one ``Skipped(path, "not a WARC or ARC file ...")``.
  Never a traceback.

Whole-file gzip (``gzip crawl.warc``) and record-per-member gzip (the WARC standard) are
both read: decompression is done here (``_Gunzip``), as one stream, before warcio parses
the records, so every byte before a cut is still used.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterator
from email.utils import parsedate_to_datetime
from typing import Any, BinaryIO
from urllib.parse import urlsplit

from retold.errors import InputError
from retold.inputs.decoding import decode_bytes, format_size, problem_of, read_limited
from retold.inputs.reading import article_from_text
from retold.settings import Settings
from retold.store.base import Skipped, SourceArticle
from retold.types import Article

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_READ_CHUNK = 1 << 16
_CHARSET_RE = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:-]+)", re.IGNORECASE)

Item = Article | Skipped


def is_warc_path(path: str) -> bool:
    """True for ``.warc``, ``.warc.gz``, ``.arc`` and ``.arc.gz`` names (any case)."""
    return path.lower().endswith(WARC_SUFFIXES)


class _Damaged(Exception):
    """The archive stream ended or broke inside a record."""


def _one_line(text: str, limit: int = 200) -> str:
    return " ".join(str(text).split())[:limit]


class _Gunzip:
    """A streaming reader of concatenated gzip members (record-per-member WARCs and
    whole-file gzip alike). Unlike ``gzip.GzipFile`` it hands over every byte decoded
    before the damage, and only then raises ``_Damaged``; its output per read is capped,
    so a gzip bomb never sits in memory."""

    def __init__(self, fh: BinaryIO) -> None:
        self._fh = fh
        self._d = zlib.decompressobj(31)
        self._buf = b""
        self._in_member = False

    def read(self, size: int | None = -1) -> bytes:
        size = size if size and size > 0 else _READ_CHUNK
        while True:
            if self._d.eof:
                self._buf = self._d.unused_data + self._buf
                self._d = zlib.decompressobj(31)
                self._in_member = False
            if not self._buf:
                self._buf = self._fh.read(_READ_CHUNK)
                if not self._buf:
                    if self._in_member:
                        raise _Damaged("the compressed stream ends in the middle of a record")
                    return b""
            if not self._in_member and not self._buf.strip(b"\0"):
                self._buf = b""  # zero padding after the last member
                continue
            self._in_member = True
            try:
                out = self._d.decompress(self._buf, size)
            except zlib.error as exc:
                raise _Damaged(f"corrupt gzip data ({_one_line(exc)})") from None
            # at the end of a member the rest of the input is in unused_data (and
            # unconsumed_tail may still hold a stale copy of it)
            self._buf = b"" if self._d.eof else self._d.unconsumed_tail
            if out:
                return out

    def close(self) -> None:
        self._fh.close()


class _Prefixed:
    """A stream with its first bytes (already read to sniff the format) put back."""

    def __init__(self, head: bytes, stream: Any) -> None:
        self._head = head
        self._stream = stream

    def read(self, size: int | None = -1) -> bytes:
        if self._head:
            n = len(self._head) if size is None or size < 0 else size
            out, self._head = self._head[:n], self._head[n:]
            return out
        return self._stream.read(size)

    def close(self) -> None:
        self._stream.close()


def _sniff(stream: Any) -> tuple[Any, str | None]:
    """The stream (unchanged for reading) and, if it does not start like a WARC
    (``WARC/``) or an ARC (``filedesc://``), why not."""
    head = b""
    while len(head) < 64:
        chunk = stream.read(64 - len(head))
        if not chunk:
            break
        head += chunk
    start = head.lstrip(b"\r\n")
    if start.startswith((b"WARC/", b"filedesc:")):
        return _Prefixed(head, stream), None
    if not start:
        return stream, "file is empty" if not head else "not a WARC or ARC file (blank)"
    return stream, "not a WARC or ARC file (it does not start with 'WARC/' or 'filedesc://')"


def _open(path: str) -> Any:
    fh = open(path, "rb")  # noqa: SIM115 - closed by the caller
    if fh.peek(2)[:2] == b"\x1f\x8b":
        return _Gunzip(fh)
    return fh


def iter_warc(
    path: str, settings: Settings | None = None, name: str | None = None
) -> Iterator[Item]:
    """Articles (and skipped pages) from one WARC/ARC file; see the module doc."""
    from warcio.archiveiterator import ArchiveIterator

    settings = settings or Settings()
    name = name or path
    try:
        fh = _open(path)
    except OSError as exc:
        yield Skipped(name, f"cannot read the file ({exc.strerror or exc})")
        return
    records = 0
    try:
        try:
            if os.path.getsize(path) == 0:
                yield Skipped(name, "file is empty")
                return
            stream, problem = _sniff(fh)
            if problem:
                yield Skipped(name, problem)
                return
            iterator = ArchiveIterator(stream, arc2warc=True)
            for record in iterator:
                item = _record_item(record, f"{name}#{records + 1}", settings)
                _drain(record)
                records += 1
                if item is not None:
                    yield item
        except _Damaged as exc:
            if records == 0 and str(exc).startswith("corrupt"):
                yield Skipped(name, f"not a WARC or ARC file ({exc})")
            else:
                yield Skipped(name, f"truncated WARC after {records} records: {exc}")
        except Exception as exc:  # warcio, gzip and zlib raise many types on bad data
            yield _damage(name, records, exc)
    finally:
        fh.close()


def _damage(name: str, records: int, exc: Exception) -> Skipped:
    if isinstance(exc, EOFError):
        detail = "the file ends in the middle of a record"
    else:
        detail = f"record {records + 1} cannot be parsed ({type(exc).__name__}: {_one_line(exc)})"
    if records == 0:
        return Skipped(name, f"not a WARC or ARC file ({detail})")
    return Skipped(name, f"truncated WARC after {records} records: {detail}")


def _drain(record: Any) -> None:
    """Read the rest of the record and check it was all there (a plain WARC cut short
    just ends; the declared length tells)."""
    raw = record.raw_stream
    while raw.read(_READ_CHUNK):
        pass
    missing = getattr(raw, "limit", 0)
    if missing and missing > 0:
        raise _Damaged(f"the last record is missing {missing:,} of its bytes")


def _header(record: Any, key: str) -> str:
    value = record.rec_headers.get_header(key)
    return str(value).strip() if value else ""


def _record_item(record: Any, origin: str, settings: Settings) -> Item | None:
    if record.rec_type != "response" or record.http_headers is None:
        return None
    http = record.http_headers
    if http.get_statuscode() != "200":
        return None
    ctype = (http.get_header("Content-Type") or "").strip()
    mime = ctype.split(";", 1)[0].strip().lower()
    if mime and mime not in HTML_TYPES:
        return None
    limit = settings.max_input_bytes
    try:
        data = read_limited(record.content_stream(), limit)
    except (OSError, zlib.error, ValueError) as exc:
        return Skipped(origin, f"cannot decode the HTTP body ({_one_line(exc)})")
    if not mime:
        head = data[:1024].lstrip().lower()
        if not head.startswith((b"<!doctype html", b"<html")):
            return None
    if len(data) > limit:
        return Skipped(
            origin,
            f"page is larger than the limit of {format_size(limit)} (set max_input_bytes)",
        )
    if not data:
        return Skipped(origin, "page is empty")
    url = _header(record, "WARC-Target-URI")
    try:
        text = _decode(data, ctype, origin)
        article = article_from_text(text, origin, settings, ".html", "html", "page")
    except InputError as exc:
        return Skipped(origin, problem_of(exc, origin))
    return SourceArticle(
        text=article.text,
        title=article.title,
        origin=origin,
        language=article.language,
        url=url,
        site=_site(url),
        published=_published(http.get_header("Last-Modified"), _header(record, "WARC-Date")),
    )


def _decode(data: bytes, content_type: str, origin: str) -> str:
    match = _CHARSET_RE.search(content_type)
    if match:
        try:
            return data.decode(match.group(1))
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong or unknown label: detect as for a file
    return decode_bytes(data, origin)


def _site(url: str) -> str:
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _published(last_modified: str | None, warc_date: str) -> str:
    if last_modified:
        try:
            return parsedate_to_datetime(last_modified).isoformat()
        except (TypeError, ValueError, IndexError):
            pass
    return warc_date
