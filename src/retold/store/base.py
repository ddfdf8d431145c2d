"""Article rows and the SQL both stores share (``retold.store.contract`` is the interface).

Articles are keyed twice: by ``content_hash`` (sha256 of the normalised text, see
``content_hash``) and, when known, by ``canonical_url`` (``canonical_url``). Adding an
article that matches either key is a *duplicate*: counted, never inserted, so re-ingesting
the same sources is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from retold.errors import RetoldError
from retold.types import Article

# How many (origin, reason) pairs an IngestStats keeps for the summary; counts are exact.
MAX_SKIPPED_EXAMPLES = 200


@dataclass(frozen=True)
class SourceArticle(Article):
    """An ``Article`` plus what a dataset, a page's metadata or a feed says about it."""

    url: str = ""
    site: str = ""
    published: str = ""  # as given (ISO 8601 when the source had a real date type)
    author: str = ""  # byline from the page's metadata or a dataset column


@dataclass(frozen=True)
class Skipped:
    """An input that was not ingested. ``origin`` names it (``path``, ``path:line``)."""

    origin: str
    reason: str


@dataclass
class IngestStats:
    read: int = 0  # articles read successfully from the sources
    new: int = 0  # inserted
    duplicates: int = 0  # same content hash or canonical URL as a stored article
    skipped: int = 0  # inputs that could not be read as articles
    skipped_reasons: Counter[str] = field(default_factory=Counter)
    skipped_examples: list[tuple[str, str]] = field(default_factory=list)

    def skip(self, item: Skipped) -> None:
        self.skipped += 1
        self.skipped_reasons[item.reason] += 1
        if len(self.skipped_examples) < MAX_SKIPPED_EXAMPLES:
            self.skipped_examples.append((item.origin, item.reason))

    def merge(self, other: IngestStats) -> None:
        self.read += other.read
        self.new += other.new
        self.duplicates += other.duplicates
        self.skipped += other.skipped
        self.skipped_reasons.update(other.skipped_reasons)
        room = MAX_SKIPPED_EXAMPLES - len(self.skipped_examples)
        self.skipped_examples.extend(other.skipped_examples[: max(room, 0)])

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "new": self.new,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "skipped_reasons": dict(self.skipped_reasons.most_common()),
            "skipped_examples": [{"origin": o, "reason": r} for o, r in self.skipped_examples],
        }


@dataclass(frozen=True)
class StoredArticle:
    id: int
    content_hash: str
    canonical_url: str | None
    title: str
    text: str
    site: str
    url: str
    published: str | None
    language: str
    origin: str
    ingested_at: str
    author: str = ""

    def to_dict(self, *, with_text: bool = True) -> dict[str, Any]:
        d = asdict(self)
        if not with_text:
            del d["text"]
            d["words"] = len(self.text.split())
        return d

    def to_article(self) -> Article:
        return Article(text=self.text, title=self.title, origin=self.origin, language=self.language)


@dataclass(frozen=True)
class StoredAudit:
    id: int
    source_id: int
    retelling_id: int
    judge: str
    schema_version: str
    data: dict[str, Any]
    created_at: str


# Fields of StoredArticle in storage order; exports use the same names.
ARTICLE_COLUMNS = (
    "id",
    "content_hash",
    "canonical_url",
    "title",
    "text",
    "site",
    "url",
    "published",
    "language",
    "origin",
    "ingested_at",
    "author",
)

ProgressCallback = Callable[[IngestStats], None]


def content_hash(text: str) -> str:
    """sha256 (hex) of the text after NFC and whitespace collapsing: re-wrapped or
    re-indented copies of one article share a hash; any change of words does not."""
    norm = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha256(norm.encode("utf-8")).hexdigest()


_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


def canonical_url(url: str | None) -> str | None:
    """A comparable form of an http(s) URL, or None for anything else.

    Lower-case scheme and host, no default port, no fragment, no tracking parameters
    (``utm_*``, ``fbclid``, ...), no trailing slash on a non-root path.
    """
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if len(path) > 1:
        path = path.rstrip("/")
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING_PARAMS)
    ]
    return urlunsplit((scheme, host, path, urlencode(query), ""))


def article_row(article: Article) -> tuple[Any, ...]:
    """The stored fields of an article, in the order of the stores' INSERT statements."""
    url = site = published = author = ""
    if isinstance(article, SourceArticle):
        url, site, published = article.url, article.site, article.published
        author = article.author
    return (
        content_hash(article.text),
        canonical_url(url),
        article.title,
        article.text,
        site,
        url,
        published or None,
        article.language,
        article.origin,
        author,
    )


def storable_id(value: int) -> bool:
    """Ids are 64-bit in both stores: a larger one names no row (and would make the driver
    raise)."""
    return -(2**63) <= value < 2**63


def now_iso() -> str:
    """The stores' timestamp format (UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class SqlDialect:
    """What differs between the stores' SQL, for the queries they share: queries are written
    with ``?`` placeholders (``_q`` rewrites them), text parameters go through ``_param``
    (PostgreSQL cannot hold NUL), and ``_LIKE`` is the case-insensitive match."""

    _conn: Any
    _LIKE = "LIKE"  # case-insensitive for ASCII in SQLite

    def _q(self, sql: str) -> str:
        return sql

    def _param(self, value: Any) -> Any:
        return value


class AuditWrites(SqlDialect):
    """Storing audits, once for every store. A store gives ``_tx`` (``fn`` in one write
    transaction, rolled back on error, retried while another writer holds the lock) and
    ``_missing_article_errors`` (what its driver raises for an unknown article id)."""

    def _tx(self, fn: Callable[[], Any]) -> Any:
        raise NotImplementedError

    def _missing_article_errors(self) -> tuple[type[BaseException], ...]:
        raise NotImplementedError

    def save_audit(
        self,
        source_id: int,
        retelling_id: int,
        judge: str,
        data: dict[str, Any],
        schema_version: str | None = None,
    ) -> int:
        """Store (or replace) the audit of one retelling against one source by one judge."""
        missing = RetoldError(
            f"cannot save the audit: no stored article {source_id} or {retelling_id}"
        )
        if not (storable_id(source_id) and storable_id(retelling_id)):
            raise missing
        version = schema_version or str(data.get("schema_version", ""))
        payload = json.dumps(data, ensure_ascii=False)

        def write() -> int:
            row = self._conn.execute(
                self._q(
                    "INSERT INTO audits (source_id, retelling_id, judge, schema_version, json,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (source_id, retelling_id, judge) DO UPDATE SET"
                    " schema_version = excluded.schema_version, json = excluded.json,"
                    " created_at = excluded.created_at RETURNING id"
                ),
                (
                    source_id,
                    retelling_id,
                    self._param(judge),
                    self._param(version),
                    self._param(payload),
                    now_iso(),
                ),
            ).fetchone()
            # a replaced audit: its reduction for site profiles is stale
            self._conn.execute(
                self._q("DELETE FROM site_findings WHERE article_id = ? AND judge = ?"),
                (retelling_id, self._param(judge)),
            )
            return int(row[0])

        try:
            return int(self._tx(write))
        except self._missing_article_errors():
            raise missing from None


class ArticleReads(SqlDialect):
    """The read side of ``ArticleStore``, once for every store."""

    _SELECT = f"SELECT {', '.join(ARTICLE_COLUMNS)} FROM articles"

    def get(self, article_id: int) -> StoredArticle | None:
        if not storable_id(article_id):
            return None
        row = self._conn.execute(self._q(f"{self._SELECT} WHERE id = ?"), (article_id,)).fetchone()
        return StoredArticle(*row) if row else None

    def list(
        self, limit: int = 20, offset: int = 0, site: str | None = None, query: str | None = None
    ) -> list[StoredArticle]:
        """Newest first. ``site``: exact match; ``query``: case-insensitive substring of the
        title or text (``%`` and ``_`` match themselves)."""
        where, params = self._filters(site, query)
        sql = self._q(f"{self._SELECT}{where} ORDER BY id DESC LIMIT ? OFFSET ?")
        rows = self._conn.execute(sql, (*params, max(limit, 0), max(offset, 0))).fetchall()
        return [StoredArticle(*r) for r in rows]

    def count(self, site: str | None = None, query: str | None = None) -> int:
        where, params = self._filters(site, query)
        sql = self._q(f"SELECT COUNT(*) FROM articles{where}")
        return self._conn.execute(sql, params).fetchone()[0]

    def _filters(self, site: str | None, query: str | None) -> tuple[str, tuple[Any, ...]]:
        clauses: list[str] = []
        params: list[Any] = []
        if site:
            clauses.append("site = ?")
            params.append(self._param(site))
        if query:
            query = self._param(query)
            pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            pattern += "%"
            # one backslash escapes: SQLite, and PostgreSQL with standard_conforming_strings
            # (the default since 9.1)
            like = self._LIKE
            clauses.append(f"(title {like} ? ESCAPE '\\' OR text {like} ? ESCAPE '\\')")
            params.extend([pattern, pattern])
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

    def iter_articles(self, chunk_size: int = 500) -> Iterator[StoredArticle]:
        """Every article in id order, read in chunks (keyset pagination: memory stays flat
        and no transaction is held between chunks)."""
        sql = self._q(f"{self._SELECT} WHERE id > ? ORDER BY id LIMIT ?")
        last = 0
        while True:
            rows = self._conn.execute(sql, (last, chunk_size)).fetchall()
            if not rows:
                return
            for r in rows:
                yield StoredArticle(*r)
            last = rows[-1][0]

    def get_audit(self, source_id: int, retelling_id: int, judge: str) -> StoredAudit | None:
        row = self._conn.execute(
            self._q(
                "SELECT id, source_id, retelling_id, judge, schema_version, json, created_at"
                " FROM audits WHERE source_id = ? AND retelling_id = ? AND judge = ?"
            ),
            (source_id, retelling_id, self._param(judge)),
        ).fetchone()
        if row is None:
            return None
        return StoredAudit(row[0], row[1], row[2], row[3], row[4], json.loads(row[5]), row[6])


class BatchWriter(SqlDialect):
    """``add_articles`` for every store: batching, counting and the commit-what-was-read rule
    live here once; a store supplies ``_write_batch`` (one transaction)."""

    def _row(self, article: Article) -> tuple[Any, ...]:
        return tuple(self._param(v) for v in article_row(article))

    def _write_batch(self, batch: list[tuple[Any, ...]], stats: IngestStats) -> None:
        raise NotImplementedError  # each store writes a batch in its own dialect

    def add_articles(
        self,
        items: Iterable[Article | Skipped],
        batch_size: int = 500,
        on_progress: ProgressCallback | None = None,
    ) -> IngestStats:
        """Store new articles, count duplicates and skipped inputs; one transaction per
        ``batch_size`` articles. A ``RetoldError`` raised by the sources still commits the
        articles read before it."""
        stats = IngestStats()
        batch: list[tuple[Any, ...]] = []
        try:
            for item in items:
                if isinstance(item, Skipped):
                    stats.skip(item)
                else:
                    stats.read += 1
                    batch.append(self._row(item))
                    if len(batch) >= batch_size:
                        self._write_batch(batch, stats)
                        batch = []
                if on_progress is not None:
                    on_progress(stats)
        except RetoldError:
            if batch:
                self._write_batch(batch, stats)
            raise
        if batch:
            self._write_batch(batch, stats)
        if on_progress is not None:
            on_progress(stats)
        return stats
