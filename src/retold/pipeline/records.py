"""Article rows of the batch pipeline: reading one input file into rows, the article id,
exact copies folded into one row, and signatures kept as bytes in a row.

A row is a plain dict of Arrow-friendly values, so the same functions serve the local
driver (lists of dicts) and the Ray driver (Arrow batches). An article's id comes from its
content hash (``store.base.content_hash``): the same text gets the same id however the
input was split or ordered, which makes a re-run idempotent and a retried batch harmless.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from retold.family.signature import Signature
from retold.inputs.sources import PARQUET_SUFFIXES, ColumnMapping, iter_parquet, iter_sources
from retold.settings import Settings
from retold.store.base import Skipped, SourceArticle, content_hash
from retold.types import Article

ID_HEX_DIGITS = 15  # 60 bits: fits int64 (Arrow, faiss) with room to spare
ARTICLE_FIELDS = (
    "id",
    "content_hash",
    "origin",
    "url",
    "site",
    "title",
    "published",
    "author",
    "text",
    "skipped",
)
META_FIELDS = ("id", "origin", "url", "site", "title", "published")


def article_id(digest: str) -> int:
    """The article id of a content hash (hex sha256): its first 60 bits."""
    return int(digest[:ID_HEX_DIGITS], 16)


def article_row(a: Article) -> dict[str, Any]:
    digest = content_hash(a.text)
    extra = a if isinstance(a, SourceArticle) else None
    return {
        "id": article_id(digest),
        "content_hash": digest,
        "origin": a.origin,
        "url": extra.url if extra else "",
        "site": extra.site if extra else "",
        "title": a.title,
        "published": extra.published if extra else "",
        "author": extra.author if extra else "",
        "text": a.text,
        "skipped": "",
    }


def skipped_row(item: Skipped) -> dict[str, Any]:
    """An input that could not be read, in the article schema (``skipped``: the reason)."""
    row: dict[str, Any] = dict.fromkeys(ARTICLE_FIELDS, "")
    row.update(id=-1, origin=item.origin, skipped=item.reason)
    return row


def read_tasks(paths: list[str], settings: Settings) -> list[dict[str, Any]]:
    """One read task per input file; a Parquet file of several row groups is split into
    tasks of about ``run_read_rows`` records (whole row groups). ``first``/``last``: the
    row groups (-1: the whole file)."""
    tasks = []
    for path in paths:
        groups = _row_groups(path)
        if len(groups) < 2:
            tasks.append({"path": path, "first": -1, "last": -1})
            continue
        first, rows = 0, 0
        for g, n in enumerate(groups):
            rows += n
            if rows >= settings.run_read_rows or g == len(groups) - 1:
                tasks.append({"path": path, "first": first, "last": g})
                first, rows = g + 1, 0
    return tasks


def _row_groups(path: str) -> list[int]:
    """Records per row group of a Parquet file; [] for other files and unreadable ones
    (read whole, where the reader reports the problem)."""
    if Path(path).suffix.lower() not in PARQUET_SUFFIXES:
        return []
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except (pa.ArrowException, OSError, ValueError):
        return []
    return [meta.row_group(g).num_rows for g in range(meta.num_row_groups)]


def read_file(
    path: str, settings: Settings, mapping: ColumnMapping, first: int = -1, last: int = -1
) -> list[dict[str, Any]]:
    """Every article (and skipped input) of one input file (or of its row groups
    ``first``..``last``), through the same readers as ``retold ingest`` (JSONL, CSV,
    Parquet, WARC, article files)."""
    if first >= 0:
        items = iter_parquet(path, settings, mapping, path, range(first, last + 1))
    else:
        items = iter_sources([os.fspath(path)], settings, mapping)
    return [skipped_row(item) if isinstance(item, Skipped) else article_row(item) for item in items]


def one_copy(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Exact copies (one content hash) as one row: the copy with the smallest origin, so
    the pick does not depend on which copy was read first; ``copies`` counts them."""
    best = min(rows, key=lambda r: (r["origin"], r["url"]))
    return best | {"copies": len(rows)}


def order_key(row: dict[str, Any]) -> tuple[str, int]:
    """The grouping order: publication date (undated last), then id. Both drivers sort by
    it, so candidate windows and clustering never depend on how the input was split."""
    return (row["published"] or "~", row["id"])


def sig_bytes(sig: Signature) -> bytes:
    """A signature as one byte string (a header line of JSON, then the arrays)."""
    arrays = (sig.minhash, sig.embedding, sig.words, sig.anchors, sig.quotes)
    head = {
        "status": sig.status,
        "n_shingles": sig.n_shingles,
        "boilerplate": sig.boilerplate,
        "style": sig.style,
        "machine": sig.machine,
        "machine_text": sig.machine_text,
        "lens": [a.nbytes for a in arrays],
    }
    return json.dumps(head).encode() + b"\n" + b"".join(a.tobytes() for a in arrays)


def sig_from_bytes(data: bytes) -> Signature:
    head_raw, _, body = bytes(data).partition(b"\n")
    head = json.loads(head_raw)
    parts, at = [], 0
    for n in head["lens"]:
        parts.append(body[at : at + n])
        at += n
    u32 = [np.frombuffer(p, dtype=np.uint32) for p in (parts[0], *parts[2:])]
    return Signature(
        head["status"],
        u32[0],
        np.frombuffer(parts[1], dtype=np.float16),
        u32[1],
        u32[2],
        u32[3],
        n_shingles=head["n_shingles"],
        boilerplate=head["boilerplate"],
        style=head["style"],
        machine=head["machine"],
        machine_text=head["machine_text"],
    )


def to_article(row: dict[str, Any]) -> Article:
    return Article(text=row["text"], title=row["title"], origin=row["origin"], language="en")


def sign_rows(rows: list[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """``rows`` with their family signature (``sig``, bytes) and why the article cannot be
    placed in a family (``excluded``, "" when it can): the only pass over the text."""
    from retold.family.candidates import unplaceable
    from retold.family.signature import signatures

    sigs = signatures([r["text"] for r in rows], settings)
    why = unplaceable(list(range(len(sigs))), dict(enumerate(sigs)), settings)
    return [
        r | {"sig": sig_bytes(s), "excluded": why.get(n, "")}
        for n, (r, s) in enumerate(zip(rows, sigs, strict=True))
    ]
