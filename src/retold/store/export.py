"""Export every stored article to JSONL, CSV or Parquet, streaming and atomically.

The output is written to a temporary file in the target folder, fsynced, then renamed over
the target (``os.replace``): a crash or full disk never leaves a half-written export, and
memory stays flat because articles are read from the store in chunks. (Same guarantees
as ``retold.report.files.write_text_atomic``, which needs the whole text in memory.)

Columns are ``retold.store.base.ARTICLE_COLUMNS``; ``text``, ``title``, ``url``,
``published`` and ``site`` match the default ingest column mapping, so exporting and
ingesting the export again adds nothing new.
"""

from __future__ import annotations

import csv
import json
import os
from typing import Literal

from retold.errors import RetoldError
from retold.report.files import atomic_path
from retold.store.base import ARTICLE_COLUMNS
from retold.store.contract import ArticleStore

ExportFormat = Literal["jsonl", "csv", "parquet"]
_PARQUET_ROWS = 1000


def export_articles(store: ArticleStore, fmt: ExportFormat, path: str | os.PathLike[str]) -> int:
    """Write every stored article to ``path`` (atomically, streaming).

    Args: fmt: ``jsonl``, ``csv`` or ``parquet`` (needs pyarrow).
    Returns: how many articles were written.
    Raises: RetoldError for an unknown format; OSError when ``path`` cannot be written.
    """
    if fmt not in ("jsonl", "csv", "parquet"):
        raise RetoldError(f"export: unknown format {fmt!r}; use jsonl, csv or parquet")
    n = 0
    with atomic_path(path) as tmp:
        if fmt == "jsonl":
            with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
                for a in store.iter_articles():
                    fh.write(json.dumps(a.to_dict(), ensure_ascii=False) + "\n")
                    n += 1
        elif fmt == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                writer = csv.writer(fh)
                writer.writerow(ARTICLE_COLUMNS)
                for a in store.iter_articles():
                    d = a.to_dict()
                    writer.writerow(["" if d[c] is None else d[c] for c in ARTICLE_COLUMNS])
                    n += 1
        else:
            n = _write_parquet(store, tmp)
    return n


def _write_parquet(store: ArticleStore, tmp: str) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.int64() if c == "id" else pa.string()) for c in ARTICLE_COLUMNS])
    n = 0
    rows: list[dict] = []
    with pq.ParquetWriter(tmp, schema) as writer:
        for a in store.iter_articles():
            rows.append(a.to_dict())
            if len(rows) >= _PARQUET_ROWS:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                n += len(rows)
                rows = []
        if rows or n == 0:
            writer.write_table(pa.Table.from_pylist(rows, schema=schema))
            n += len(rows)
    return n
