"""Where ingested articles and audits are kept.

``open_store(db)`` picks the backend from ``db``: a file path (or None for the default,
see ``retold.store.sqlite.default_db_path``) opens SQLite; a ``postgresql://`` (or
``postgres://``) URL opens PostgreSQL (``retold.store.postgres``). Every backend implements
``retold.store.base.ArticleStore``.
"""

from __future__ import annotations

import os

from retold.settings import Settings
from retold.store.base import ArticleStore, IngestStats, Skipped, SourceArticle, StoredArticle
from retold.store.sqlite import Store, default_db_path

__all__ = [
    "ArticleStore",
    "IngestStats",
    "Skipped",
    "SourceArticle",
    "Store",
    "StoredArticle",
    "default_db_path",
    "open_store",
]


def open_store(
    db: str | os.PathLike[str] | None = None, settings: Settings | None = None
) -> ArticleStore:
    settings = settings or Settings()
    target = os.fspath(db) if db else (settings.db_path or None)
    if target and str(target).startswith(("postgresql://", "postgres://")):
        from retold.store.postgres import PostgresStore  # psycopg only when asked for

        return PostgresStore.open(str(target), busy_timeout_s=settings.db_busy_timeout_s)
    return Store.open(target, busy_timeout_s=settings.db_busy_timeout_s)
