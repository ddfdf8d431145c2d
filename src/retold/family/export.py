"""Families as a table: one row per member (Parquet, written atomically)."""

from __future__ import annotations

from pathlib import Path

from retold.family.result import FamiliesResult


def rows(result: FamiliesResult) -> list[dict]:
    out = []
    for f in result.families:
        for m in f.members:
            out.append(
                {
                    "family_id": f.id,
                    "family_size": f.size,
                    "source_id": f.source,
                    "source_status": f.source_status,
                    "is_source": m.id == f.source,
                    "article_id": m.id,
                    "site": m.site,
                    "url": m.url,
                    "path": m.path,
                    "published": m.published,
                    "confidence": m.confidence,
                    "reason": m.reason,
                }
            )
    return out


def write_parquet(result: FamiliesResult, path: Path) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from retold.report.files import atomic_path

    data = rows(result)
    schema = pa.schema(
        [
            ("family_id", pa.int64()),
            ("family_size", pa.int64()),
            ("source_id", pa.int64()),
            ("source_status", pa.string()),
            ("is_source", pa.bool_()),
            ("article_id", pa.int64()),
            ("site", pa.string()),
            ("url", pa.string()),
            ("path", pa.string()),
            ("published", pa.string()),
            ("confidence", pa.float64()),
            ("reason", pa.string()),
        ]
    )
    table = pa.Table.from_pylist(data, schema=schema)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)
    return len(data)
