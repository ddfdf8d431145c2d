"""``ingest(sources, db)``: read every source into a store, in crash-safe batches."""

from __future__ import annotations

import os
from collections.abc import Iterable

from retold.inputs.sources import ColumnMapping, iter_sources, source_specs
from retold.settings import Settings
from retold.store import ArticleStore, open_store
from retold.store.base import IngestStats, ProgressCallback


def ingest(
    sources: Iterable[str | os.PathLike[str]],
    db: str | os.PathLike[str] | ArticleStore | None = None,
    *,
    settings: Settings | None = None,
    mapping: ColumnMapping | str | None = None,
    batch_size: int | None = None,
    on_progress: ProgressCallback | None = None,
    allow_private: bool = False,
) -> IngestStats:
    """Read every source into a store, in crash-safe batches; re-running adds nothing new.

    Args:
        sources: paths, folders, globs, JSONL/CSV/Parquet/WARC files, URLs of pages, feeds
            and sitemaps (or a single one of them).
        db: an open store (left open), a SQLite path or ``postgresql://`` URL, or None for
            the default store (``settings.db_path``, else ``~/.local/share/retold/retold.db``).
        settings: limits and fetch settings (default ``Settings()``).
        mapping: table columns, a ``ColumnMapping`` or ``"text=body,title=headline"``.
        batch_size: articles per transaction (default ``settings.ingest_batch_size``).
        on_progress: called with the running ``IngestStats``.
        allow_private: fetch URLs of private or loopback addresses (refused by default).

    Returns:
        ``IngestStats``: read / new / duplicate / skipped counts and skipped examples.

    Raises:
        TypeError: arguments of the wrong type.
        RetoldError: the store cannot be opened or written.
    """
    sources = source_specs(sources, "ingest")
    if settings is not None and not isinstance(settings, Settings):
        raise TypeError(
            f"ingest: settings must be a retold.Settings, not {type(settings).__name__}"
        )
    if db is not None and not isinstance(db, str | os.PathLike | ArticleStore):
        raise TypeError(
            f"ingest: db must be a path, a postgresql:// URL or an open store, not "
            f"{type(db).__name__}"
        )
    settings = settings or Settings()
    if not isinstance(mapping, ColumnMapping):
        mapping = ColumnMapping.parse(mapping)
    store = db if isinstance(db, ArticleStore) else open_store(db, settings)
    try:
        return store.add_articles(
            iter_sources(sources, settings, mapping, allow_private),
            batch_size=batch_size or settings.ingest_batch_size,
            on_progress=on_progress,
        )
    finally:
        if store is not db:
            store.close()
