"""Where ingested articles, audits and story families are kept.

``open_store(db)`` picks the backend from ``db``: a file path (or None for the default,
see ``retold.store.sqlite.default_db_path``) opens ``SqliteStore``; a ``postgresql://`` (or
``postgres://``) URL opens ``PostgresStore`` (imported on first use: psycopg only when
asked for). Both implement the protocols of ``retold.store.contract``: ``ArticleStore``
and ``FamilyStore``; the rows they exchange are frozen dataclasses
(``retold.store.base``, ``retold.store.rows``).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from retold.settings import Settings
from retold.store.base import IngestStats, Skipped, SourceArticle, StoredArticle, StoredAudit
from retold.store.contract import ArticleStore, FamilyStore, NoSuchFamily, NotAMember
from retold.store.rows import (
    ArticleMeta,
    AuditKey,
    FamilyAudit,
    FamilyMember,
    FamilyPage,
    FamilyRow,
    FamilyWrite,
    SignatureRow,
    SignatureText,
    SiteFindings,
)
from retold.store.sqlite import SqliteStore, default_db_path

if TYPE_CHECKING:
    from retold.store.postgres import PostgresStore

__all__ = [
    "ArticleMeta",
    "ArticleStore",
    "AuditKey",
    "FamilyAudit",
    "FamilyMember",
    "FamilyPage",
    "FamilyRow",
    "FamilyStore",
    "FamilyWrite",
    "IngestStats",
    "NoSuchFamily",
    "NotAMember",
    "PostgresStore",
    "SignatureRow",
    "SignatureText",
    "SiteFindings",
    "Skipped",
    "SourceArticle",
    "SqliteStore",
    "StoredArticle",
    "StoredAudit",
    "default_db_path",
    "open_store",
]


def __getattr__(name: str) -> object:
    if name == "PostgresStore":
        from retold.store.postgres import PostgresStore

        return PostgresStore
    raise AttributeError(f"module 'retold.store' has no attribute {name!r}")


def open_store(
    db: str | os.PathLike[str] | None = None, settings: Settings | None = None
) -> FamilyStore:
    """Open (creating and migrating it if needed) the store ``db`` names.

    Args: db: a SQLite file path, a ``postgresql://`` URL, or None for ``settings.db_path``
    (else the default file); settings: the lock wait (``db_busy_timeout_s``).
    Returns: the open store (close it, or use it in a ``with`` block).
    Raises: RetoldError when it cannot be opened (see ``SqliteStore.open``,
    ``PostgresStore.open``).
    """
    settings = settings or Settings()
    target = os.fspath(db) if db else (settings.db_path or None)
    if target and str(target).startswith(("postgresql://", "postgres://")):
        from retold.store.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore.open(str(target), busy_timeout_s=settings.db_busy_timeout_s)
    return SqliteStore.open(target, busy_timeout_s=settings.db_busy_timeout_s)
