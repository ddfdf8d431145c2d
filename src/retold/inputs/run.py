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
    """Ingest ``sources`` (paths, folders, globs, JSONL/CSV/Parquet/WARC files, URLs of
    pages, feeds and sitemaps) into ``db``. URLs to private or loopback addresses are
    refused unless ``allow_private``.

    ``db``: an open store (left open), a SQLite path, or None for the default store
    (``settings.db_path``, else ``~/.local/share/retold/retold.db``). ``mapping``: a
    ``ColumnMapping`` or ``"text=body,title=headline"``. Returns read/new/duplicate/skipped
    counts; re-running on the same sources adds nothing new. A single path or URL may be
    given as ``sources`` itself; anything but str/PathLike sources is a ``TypeError``.
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
