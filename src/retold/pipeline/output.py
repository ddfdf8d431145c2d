"""Where a pipeline run's tables go: a staging folder beside ``--out``, swapped in whole
when every table is written, so a run that dies leaves the previous output as it was and
a re-run over the same input gives the same tables (articles are keyed by content hash).

Layout: ``articles/``, ``families/``, ``audits/``, ``skipped/``, ``sites/`` (profiles),
``site_edges/`` (the copy graph): folders of Parquet parts; ``run.json`` (counts, timings,
engine). ``load_into_store`` copies a finished run into a store.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from retold.errors import RetoldError
from retold.settings import Settings
from retold.sites.export import flat_row
from retold.sites.network import edge_rows
from retold.sites.run import SitesResult

MANIFEST = "run.json"
ARTICLE_COLUMNS = (
    "id",
    "content_hash",
    "origin",
    "url",
    "site",
    "title",
    "published",
    "author",
    "copies",
    "excluded",
    "family",
    "text",
)
SKIPPED_COLUMNS = ("origin", "skipped")


def staging(out: Path) -> Path:
    """A fresh staging folder beside ``out`` (stale ones of runs that died are removed)."""
    out = out.resolve()
    if out.exists() and not out.is_dir():
        raise RetoldError(f"{out}: --out must be a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / MANIFEST).exists():
        raise RetoldError(
            f"{out}: not empty and not the output of a retold run; pick another --out"
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    for old in out.parent.glob(f".{out.name}.tmp-*"):
        shutil.rmtree(old, ignore_errors=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()
    return tmp


def publish(tmp: Path, out: Path, manifest: dict[str, Any]) -> None:
    """Write the manifest last, then swap ``tmp`` in for ``out`` (two renames)."""
    out = out.resolve()
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    old = out.parent / f".{out.name}.old-{uuid.uuid4().hex[:12]}"
    if out.exists():
        os.replace(out, old)
    os.replace(tmp, out)
    shutil.rmtree(old, ignore_errors=True)


def write_rows(rows: list[dict[str, Any]], folder: Path, columns: tuple[str, ...]) -> None:
    """``rows`` as one Parquet part in ``folder`` (the local driver's writer)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([{c: r[c] for c in columns} for r in rows]) if rows else None
    if table is not None:
        pq.write_table(table, folder / "part-00000.parquet")


def write_sites(result: SitesResult, tmp: Path) -> None:
    """The site profiles (``sites/``) and the copy graph's edges (``site_edges/``)."""
    sites = [flat_row(p) for p in result.profiles]
    for p in sites:
        p["community"] = -1 if p["community"] is None else p["community"]
    write_rows(sites, tmp / "sites", tuple(sites[0]) if sites else ())
    edges = edge_rows(result.graph)
    write_rows(edges, tmp / "site_edges", tuple(edges[0]) if edges else ())


def read_table(out: Path, name: str) -> list[dict[str, Any]]:
    """Every row of one table of a finished run (an absent table: no rows)."""
    import pyarrow.dataset as pds

    folder = Path(out) / name
    if not folder.is_dir() or not any(folder.glob("*.parquet")):
        return []
    return pds.dataset(str(folder), format="parquet").to_table().to_pylist()


def load_into_store(out: Path, db: str, settings: Settings) -> dict[str, int]:
    """Add a finished run's articles, families and audits to the store ``db``. Articles
    the store holds already are not added again; families with a member the store has
    already placed are left to it (``retold families`` places the rest)."""
    from retold.family.upkeep import load_from_store
    from retold.store import open_store
    from retold.store.base import SourceArticle
    from retold.store.rows import FamilyMember, FamilyWrite

    articles = read_table(out, "articles")
    members = read_table(out, "families")
    audits = {(r["family"], r["article"]): r for r in read_table(out, "audits")}
    store = open_store(db, settings)
    try:
        stats = store.add_articles(
            SourceArticle(
                r["text"],
                r["title"],
                r["origin"],
                "en",
                r["url"],
                r["site"],
                r["published"],
                r["author"],
            )
            for r in sorted(articles, key=lambda r: r["id"])
        )
        wanted = {r["content_hash"]: r["id"] for r in articles}
        sid = {
            wanted[a.content_hash]: a.id for a in store.iter_articles() if a.content_hash in wanted
        }
        placed = {m.id for f in load_from_store(store).families for m in f.members}
        by_family: dict[int, list[dict[str, Any]]] = {}
        for r in members:
            by_family.setdefault(r["family"], []).append(r)
        todo = [
            rows
            for _, rows in sorted(by_family.items())
            if all(r["article"] in sid and sid[r["article"]] not in placed for r in rows)
        ]
        writes = [
            FamilyWrite(
                None,
                [FamilyMember(sid[r["article"]], r["confidence"], r["reason"]) for r in rows],
                sid[rows[0]["source"]] if rows[0]["source"] >= 0 else None,
                rows[0]["source_status"],
                rows[0]["source_confidence"],
                json.loads(rows[0]["source_reasons"]),
            )
            for rows in todo
        ]
        ids = store.write_families(writes, delete=[])
        saved = 0
        for fid, rows in zip(ids, todo, strict=True):
            for r in rows:
                a = audits.get((r["family"], r["article"]))
                if a is None or not a["audit"]:
                    continue
                data = json.loads(a["audit"])
                aid = store.save_audit(sid[a["source"]], sid[a["article"]], a["judge"], data)
                marks = json.loads(a["only_here"])
                store.save_family_audit(
                    fid, aid, sid[a["article"]], a["judge"], data["schema_version"], marks
                )
                saved += 1
    finally:
        store.close()
    return {"articles_added": stats.new, "families_added": len(ids), "audits_added": saved}
