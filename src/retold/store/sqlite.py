"""The default store: one SQLite file in WAL mode.

Default location: ``$XDG_DATA_HOME/retold/retold.db``, else
``~/.local/share/retold/retold.db`` (setting ``db_path``, or ``--db PATH`` on the CLI).

Crash safety: ``add_articles`` reads a batch from the sources *outside* any transaction,
then writes it in one short ``BEGIN IMMEDIATE ... COMMIT``; a SIGKILL loses at most the
batch being read or written, never a committed one, and re-running resumes because every
article already stored counts as a duplicate. WAL + ``synchronous=NORMAL`` survives
process crashes (a power cut may lose the last commits, never corrupt the file).

Concurrency: several processes may write one file. A writer waits up to
``busy_timeout`` for another's lock (SQLite's busy handler, then our own retry with
backoff for the cases it does not cover), and otherwise fails with a one-line
``database is locked by another writer (...)`` error. All SQL is parameterised.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self, TypeVar

from retold.errors import RetoldError
from retold.store.base import (
    ArticleReads,
    AuditWrites,
    BatchWriter,
    IngestStats,
    now_iso,
)
from retold.store.families import FamilyTables

T = TypeVar("T")

# Each entry upgrades the schema by one version; never edit a released entry, append.
MIGRATIONS: tuple[str, ...] = (
    # 1: articles and audits
    """
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY,
        content_hash TEXT NOT NULL UNIQUE,
        canonical_url TEXT UNIQUE,
        title TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL,
        site TEXT NOT NULL DEFAULT '',
        url TEXT NOT NULL DEFAULT '',
        published TEXT,
        language TEXT NOT NULL DEFAULT 'en',
        origin TEXT NOT NULL DEFAULT '',
        ingested_at TEXT NOT NULL
    );
    CREATE INDEX articles_site ON articles(site);
    CREATE TABLE audits (
        id INTEGER PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        retelling_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        judge TEXT NOT NULL,
        schema_version TEXT NOT NULL DEFAULT '',
        json TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (source_id, retelling_id, judge)
    );
    CREATE INDEX audits_retelling ON audits(retelling_id);
    """,
    # 2: the article's byline (web pages, feeds, crawls, dataset column)
    """
    ALTER TABLE articles ADD COLUMN author TEXT NOT NULL DEFAULT '';
    """,
    # 3: story families (retold.families): signatures, families, members, family audits
    """
    CREATE TABLE family_signatures (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        minhash BLOB NOT NULL,
        embedding BLOB NOT NULL,
        words BLOB NOT NULL,
        anchors BLOB NOT NULL,
        quotes BLOB NOT NULL,
        n_shingles INTEGER NOT NULL DEFAULT 0,
        boilerplate REAL NOT NULL DEFAULT 0,
        style REAL NOT NULL DEFAULT 0
    );
    CREATE TABLE families (
        id INTEGER PRIMARY KEY,
        source_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
        source_status TEXT NOT NULL,
        source_confidence REAL NOT NULL DEFAULT 0,
        source_reasons TEXT NOT NULL DEFAULT '[]',
        updated_at TEXT NOT NULL
    );
    CREATE TABLE family_members (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        family_id INTEGER NOT NULL REFERENCES families(id) ON DELETE CASCADE,
        confidence REAL NOT NULL,
        reason TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX family_members_family ON family_members(family_id);
    CREATE TABLE family_audits (
        family_id INTEGER NOT NULL REFERENCES families(id) ON DELETE CASCADE,
        retelling_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        judge TEXT NOT NULL,
        audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        schema_version TEXT NOT NULL DEFAULT '',
        only_here TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        PRIMARY KEY (family_id, retelling_id, judge)
    );
    """,
    # 4: machine-rewrite cue density in family signatures (source direction); signatures
    # are derived data: the old ones are dropped and recomputed by the next family run
    """
    DELETE FROM family_signatures;
    ALTER TABLE family_signatures ADD COLUMN machine REAL NOT NULL DEFAULT 0;
    """,
    # 5: the signature's style column becomes the learned sensationalism score (a far
    # better sign of which member is the retelling); recomputed by the next family run
    """
    DELETE FROM family_signatures;
    """,
    # 6: family document vectors come from a contextual model over the lead (384
    # dimensions); recomputed by the next family run
    """
    DELETE FROM family_signatures;
    """,
    # 7: which document model made each signature's vector (family.signature.doc_model_tag;
    # the ones stored so far are the packaged model's)
    """
    ALTER TABLE family_signatures ADD COLUMN doc_model TEXT NOT NULL
        DEFAULT 'minilm-int8 (128 word pieces)';
    """,
    # 8: how much each text reads like a machine rewrite (family.machine_text, source
    # direction) and which model scored it; NULL in the rows stored so far, filled from
    # their text by the next run (the index finds them without reading every row)
    """
    ALTER TABLE family_signatures ADD COLUMN machine_text REAL;
    ALTER TABLE family_signatures ADD COLUMN machine_text_model TEXT;
    CREATE INDEX family_signatures_unscored ON family_signatures(article_id)
        WHERE machine_text IS NULL;
    """,
    # 9: each family member's audit reduced for site profiles (sites.read), keyed by the
    # family, its source, the audit it came from and that link's revision (counted up each
    # time the member's audit is saved again); derived data, refilled by `retold sites`
    """
    ALTER TABLE family_audits ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE site_findings (
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        judge TEXT NOT NULL,
        family_id INTEGER NOT NULL REFERENCES families(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        audit_id INTEGER NOT NULL REFERENCES audits(id) ON DELETE CASCADE,
        revision INTEGER NOT NULL,
        version INTEGER NOT NULL,
        findings TEXT NOT NULL,
        PRIMARY KEY (article_id, judge)
    );
    CREATE INDEX site_findings_family ON site_findings(family_id);
    CREATE INDEX site_findings_audit ON site_findings(audit_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def default_db_path() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "retold" / "retold.db"


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    msg = str(exc).lower()
    return "locked" in msg or "busy" in msg


class SqliteStore(BatchWriter, ArticleReads, AuditWrites, FamilyTables):
    """An article store in one SQLite file (``ArticleStore`` and ``FamilyStore``). Use
    ``SqliteStore.open(path)``; close with ``close()`` or a ``with`` block."""

    def __init__(self, conn: sqlite3.Connection, path: Path, busy_timeout_s: float) -> None:
        self._conn = conn
        self.path: Path = path
        self.location = str(path)
        self.busy_timeout_s = busy_timeout_s

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(
        cls, path: str | os.PathLike[str] | None = None, busy_timeout_s: float = 30.0
    ) -> SqliteStore:
        """Open (creating it and its folder if needed) and migrate the store at ``path``.

        Args: path: the database file (None: ``default_db_path()``); busy_timeout_s: how
        long a writer waits for another's lock.
        Returns: the open store. Raises: RetoldError when the file cannot be opened, is no
        retold database, or has a newer schema than this retold knows.
        """
        target = Path(os.path.expanduser(os.fspath(path))) if path else default_db_path()
        if target.is_dir():
            raise RetoldError(f"{target}: is a folder; --db needs a database file path")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RetoldError(
                f"{target}: cannot create its folder ({exc.strerror or exc})"
            ) from None
        try:
            conn = sqlite3.connect(
                target, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise RetoldError(f"{target}: cannot open the database ({exc})") from None
        store = cls(conn, target, busy_timeout_s)
        try:
            store._retry(store._setup)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if "not a database" in str(exc) or "malformed" in str(exc):
                raise RetoldError(f"{target}: not a retold database ({exc})") from None
            raise RetoldError(f"{target}: cannot open the database ({exc})") from None
        except BaseException:
            conn.close()
            raise
        return store

    def _setup(self) -> None:
        c = self._conn
        c.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout_s * 1000)}")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RetoldError(f"{self.path}: cannot switch the database to WAL mode (got {mode})")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _current_version(self) -> int:
        c = self._conn
        exists = c.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        ).fetchone()
        if not exists:
            return 0
        return c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[0]

    def _migrate(self) -> None:
        c = self._conn
        current = self._current_version()  # a read: no write lock when nothing is to do
        if current > SCHEMA_VERSION:
            raise RetoldError(
                f"{self.path}: database schema version {current} is newer than this "
                f"retold supports ({SCHEMA_VERSION}); upgrade retold"
            )
        if current == SCHEMA_VERSION:
            return
        c.execute("BEGIN IMMEDIATE")
        try:
            c.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                "version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)"
            )
            current = c.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()[
                0
            ]
            if current > SCHEMA_VERSION:
                raise RetoldError(
                    f"{self.path}: database schema version {current} is newer than this "
                    f"retold supports ({SCHEMA_VERSION}); upgrade retold"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in MIGRATIONS[version - 1].split(";"):
                    if statement.strip():
                        c.execute(statement)
                c.execute(
                    "INSERT INTO schema_version(version, applied_at) VALUES (?, ?)",
                    (version, now_iso()),
                )
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        return self._conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]

    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` (a whole transaction) again while another writer holds the lock."""
        deadline = time.monotonic() + self.busy_timeout_s
        delay = 0.01
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as exc:
                if "readonly" in str(exc):  # a file the user may read but not write
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise RetoldError(f"{self.path}: the database is read-only") from None
                if not _is_locked(exc):
                    raise
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                if time.monotonic() >= deadline:
                    raise RetoldError(
                        f"database is locked by another writer ({self.path}; waited "
                        f"{self.busy_timeout_s:g} s; set db_busy_timeout_s to wait longer)"
                    ) from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)

    # ------------------------------------------------------------------ writing

    def _missing_article_errors(self) -> tuple[type[BaseException], ...]:
        return (sqlite3.IntegrityError,)

    def _tx(self, fn: Callable[[], T]) -> T:
        """``fn`` in one write transaction (retried while another writer holds the lock)."""

        def run() -> T:
            c = self._conn
            c.execute("BEGIN IMMEDIATE")
            try:
                result = fn()
            except BaseException:
                if c.in_transaction:
                    c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")
            return result

        return self._retry(run)

    def _write_batch(self, batch: list[tuple[Any, ...]], stats: IngestStats) -> None:
        def write() -> int:
            c = self._conn
            now = now_iso()
            inserted = 0
            for row in batch:
                cur = c.execute(
                    "INSERT OR IGNORE INTO articles (content_hash, canonical_url, title, text,"
                    " site, url, published, language, origin, author, ingested_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (*row, now),
                )
                inserted += cur.rowcount
            return inserted

        inserted = self._tx(write)
        stats.new += inserted
        stats.duplicates += len(batch) - inserted

    # ------------------------------------------------------------------ reading

    def integrity_check(self) -> str:
        return self._conn.execute("PRAGMA integrity_check").fetchone()[0]

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
