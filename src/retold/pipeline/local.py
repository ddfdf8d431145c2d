"""The single-machine driver of ``retold run``: every stage in this process, groups made
with dictionaries. The Ray driver (``ray_driver``) runs the same stage functions with Ray
Data; the two give the same tables."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from retold.inputs.sources import ColumnMapping
from retold.pipeline import keys, links, output, records, stories
from retold.pipeline.sitetables import site_tables
from retold.settings import Settings

Row = dict[str, Any]


def group_by(rows: Iterable[Row], key: Callable[[Row], Hashable]) -> list[list[Row]]:
    """Rows grouped by ``key``, groups in key order."""
    groups: dict[Any, list[Row]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return [groups[k] for k in sorted(groups)]


def batches(rows: list[Row], size: int) -> Iterable[list[Row]]:
    for lo in range(0, len(rows), max(size, 1)):
        yield rows[lo : lo + size]


def run_local(
    paths: list[str],
    tmp: Path,
    settings: Settings,
    mapping: ColumnMapping,
    now: datetime,
    judge: str,
) -> dict[str, Any]:
    """Every stage over ``paths``, tables written into ``tmp``; returns counts and
    seconds per stage."""
    st = settings
    timings: dict[str, float] = {}
    t = time.perf_counter()
    read = [
        r
        for task in records.read_tasks(paths, st)
        for r in records.read_file(task["path"], st, mapping, task["first"], task["last"])
    ]
    skipped = [r for r in read if r["skipped"]]
    unique = [records.one_copy(g) for g in group_by((r for r in read if not r["skipped"]), _id)]
    unique.sort(key=records.order_key)
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    signed = [r for b in batches(unique, st.run_sign_batch) for r in records.sign_rows(b, st)]
    timings["signature"] = time.perf_counter() - t
    t = time.perf_counter()
    n_ok = sum(records.sig_from_bytes(r["sig"]).ok for r in signed)
    df = links.doc_freq([links.hash_counts(signed, links.idf_step(n_ok, st))], st)
    cands = [
        c
        for g in group_by(keys.key_rows(signed, st), lambda r: (r["kind"], r["key"]))
        for c in keys.pairs_of_key(g, st)
    ]
    queries = [r for r in signed if not r["excluded"]]
    cands += ann_candidates(queries, st)
    trim_in = cands + [keys.self_row(r) for r in signed]
    verify_in = [v for g in group_by(trim_in, _a) for v in keys.trim(g, len(queries), st)]
    timings["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    link_rows = [x for g in group_by(verify_in, _key) for x in links.verify_group(g, st, df)]
    timings["verify"] = time.perf_counter() - t
    t = time.perf_counter()
    grouped = links.clusters([r["id"] for r in signed], link_rows, st)
    timings["cluster"] = time.perf_counter() - t
    t = time.perf_counter()
    family_of = grouped.family_of()
    family_links = grouped.links_by_family()
    by_id = {r["id"]: r for r in signed}
    members = []
    for fid, fam in enumerate(grouped.families, 1):
        fl, fw = family_links[fid]
        rows = [by_id[m] for m in fam]
        members += stories.family_rows(fid, rows, fl, fw, st, now, judge, st.run_audit)
    timings["families"] = time.perf_counter() - t
    t = time.perf_counter()
    articles = [
        r | {"family": family_of.get(r["id"], 0), "excluded": grouped.excluded.get(r["id"], "")}
        for r in signed
    ]
    output.write_rows(articles, tmp / "articles", output.ARTICLE_COLUMNS)
    output.write_rows(members, tmp / "families", stories.MEMBER_FIELDS)
    audits = [m for m in members if m["audit"]]
    output.write_rows(audits, tmp / "audits", stories.AUDIT_FIELDS)
    output.write_rows(skipped, tmp / "skipped", output.SKIPPED_COLUMNS)
    meta = [{k: r[k] for k in records.META_FIELDS} for r in signed]
    output.write_sites(site_tables(members, meta, st), tmp)
    timings["write"] = time.perf_counter() - t
    return {
        "counts": {
            "read": len(read) - len(skipped),
            "skipped": len(skipped),
            "articles": len(signed),
            "families": len(grouped.families),
            "excluded": len(grouped.excluded),
            "audits": len(audits),
            "links": len(grouped.links),
        },
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }


def ann_candidates(queries: list[Row], settings: Settings) -> list[Row]:
    """Every shard's neighbours of every query (``keys.ann_rows``), shard by shard."""
    if not queries:
        return []
    ids = np.array([r["id"] for r in queries], dtype=np.int64)
    vecs = np.stack([records.sig_from_bytes(r["sig"]).embedding for r in queries])
    shards = keys.ann_shards(len(ids), settings)
    k = keys.ann_k(len(ids), settings)
    out: list[Row] = []
    for s in range(shards):
        inside = ids % shards == s
        out += keys.ann_rows(ids[inside], vecs[inside], ids, vecs, k)
    return out


def _id(r: Row) -> int:
    return r["id"]


def _a(r: Row) -> int:
    return r["a"]


def _key(r: Row) -> int:
    return r["key"]
