"""The operators of the Ray driver (``ray_driver``): each turns one Arrow batch or one
keyed group into the next stage's rows by calling the stage functions (``records``,
``keys``, ``links``, ``stories``); the actor classes (``Signer``, ``AnnShard``,
``Auditor``) load their models or index once per worker. Ray is imported inside them only.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import numpy as np

from retold.analysis.embed import ONNX_THREADS_VAR
from retold.inputs.sources import ColumnMapping
from retold.pipeline import keys, links, records, stories
from retold.settings import Settings

Row = dict[str, Any]


def _schemas() -> dict[str, Any]:
    import pyarrow as pa

    s, i, f, b, y = pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.binary()
    article = [(c, i if c == "id" else s) for c in records.ARTICLE_FIELDS]
    member_types = {
        "family": i,
        "family_size": i,
        "article": i,
        "is_source": b,
        "confidence": f,
        "source": i,
        "source_confidence": f,
        "fidelity": f,
    }
    member_cols = stories.MEMBER_FIELDS + tuple(
        c for c in stories.AUDIT_FIELDS if c not in stories.MEMBER_FIELDS
    )
    return {
        "article": pa.schema(article),
        "unique": pa.schema([*article, ("copies", i)]),
        "signed": pa.schema([*article, ("copies", i), ("sig", y), ("excluded", s)]),
        "key": pa.schema(
            [("id", i), ("published", s), ("query", b), ("kind", i), ("key", i), ("minhash", y)]
        ),
        "cand": pa.schema(
            [
                ("a", i),
                ("b", i),
                ("kind", i),
                ("score", f),
                ("b_published", s),
                ("b_ok", b),
                ("sig", y),
                ("excluded", s),
            ]
        ),
        "verify": pa.schema([("key", i), ("other", i), ("sig", y), ("cands", y), ("excluded", s)]),
        "link": pa.schema([("lo", i), ("hi", i), ("strength", f), ("prob", f), ("excluded", s)]),
        "member": pa.schema([(c, member_types.get(c, s)) for c in member_cols]),
        "vector": pa.schema([("id", i), ("vector", y)]),
        "df": pa.schema([("keys", y), ("counts", y), ("docs", i)]),
    }


def _table(rows: list[Row], kind: str) -> Any:
    import pyarrow as pa

    schema = _schemas()[kind]
    return pa.Table.from_pylist([{c: r[c] for c in schema.names} for r in rows], schema=schema)


def _rows(batch: Any) -> list[Row]:
    return batch.to_pylist()


# --------------------------------------------------------------------------- operators


def rows_where(batch: Any, column: str, test: str) -> Any:
    """The rows of ``batch`` whose ``column`` is "" (``empty``), is not (``set``), or is a
    family id (``member``). Empty results keep the batch's schema: a schema-less empty
    block breaks the shuffles after it."""
    import pyarrow.compute as pc

    values = batch.column(column)
    if test == "member":
        return batch.filter(pc.greater(values, 0))
    same = pc.equal(values, "")
    return batch.filter(same if test == "empty" else pc.invert(same))


def read_batch(batch: Any, settings: Settings, mapping: ColumnMapping) -> Any:
    rows = [
        r
        for t in batch.to_pylist()
        for r in records.read_file(t["path"], settings, mapping, t["first"], t["last"])
    ]
    return _table(rows, "article")


def one_copy_group(batch: Any) -> Any:
    return _table([records.one_copy(_rows(batch))], "unique")


def _cap_onnx_threads(cpus: float) -> None:
    """An actor's ONNX models use the CPUs Ray gave it, not every core of the node (the
    models load after this, on the first batch)."""
    os.environ[ONNX_THREADS_VAR] = str(max(1, int(cpus)))


class Signer:
    """An actor of the signing pool: the models load on its first batch, once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        _cap_onnx_threads(settings.run_sign_cpus)

    def __call__(self, batch: Any) -> Any:
        return _table(records.sign_rows(_rows(batch), self.settings), "signed")


def signer_pool(settings: Settings) -> tuple[type, dict[str, Any]]:
    """The signing pool's actor class and its constructor arguments."""
    return Signer, {"settings": settings}


def counts_batch(batch: Any) -> Any:
    import pyarrow as pa

    ok = query = 0
    for r in _rows(batch):
        sig = records.sig_from_bytes(r["sig"])
        ok += sig.ok
        query += sig.ok and not r["excluded"]
    return pa.table({"ok": [ok], "query": [query]})


def hash_counts_batch(batch: Any, step: int) -> Any:
    k, c, docs = links.hash_counts(_rows(batch), step)
    row = {"keys": k.astype(np.uint32).tobytes(), "counts": c.astype(np.int64).tobytes()}
    return _table([row | {"docs": docs}], "df")


def key_batch(batch: Any, settings: Settings) -> Any:
    return _table(keys.key_rows(_rows(batch), settings), "key")


def pairs_group(batch: Any, settings: Settings) -> Any:
    return _table(keys.pairs_of_key(_rows(batch), settings), "cand")


def self_batch(batch: Any) -> Any:
    return _table([keys.self_row(r) for r in _rows(batch)], "cand")


def vector_batch(batch: Any) -> Any:
    rows = [
        {"id": r["id"], "vector": records.sig_from_bytes(r["sig"]).embedding.tobytes()}
        for r in _rows(batch)
        if not r["excluded"]
    ]
    return _table(rows, "vector")


class AnnShard:
    """An actor holding one ANN shard's vectors; answers every query batch against it."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, k: int) -> None:
        self.ids, self.vectors, self.k = ids, vectors, k

    def __call__(self, batch: Any) -> Any:
        rows = _rows(batch)
        if not rows:
            return _table([], "cand")
        q_ids = np.array([r["id"] for r in rows], dtype=np.int64)
        q_vecs = np.stack([np.frombuffer(r["vector"], dtype=np.float16) for r in rows])
        return _table(keys.ann_rows(self.ids, self.vectors, q_ids, q_vecs, self.k), "cand")


def trim_group(batch: Any, n_indexed: int, settings: Settings) -> Any:
    return _table(keys.trim(_rows(batch), n_indexed, settings), "verify")


def verify_group(batch: Any, settings: Settings, df: Any) -> Any:
    return _table(links.verify_group(_rows(batch), settings, df), "link")


def tag_batch(batch: Any, assigned: Any, excluded: Any) -> Any:
    """The batch with each article's family number (0: none) and why it is excluded;
    ``assigned``: the object-store ref of (sorted ids, their families); ``excluded``: of
    {id: reason}. Read from the object store once per node, not shipped with each task."""
    import pyarrow as pa
    import ray

    ids, fams = ray.get(assigned)
    why = ray.get(excluded)
    own = np.asarray(batch.column("id").to_numpy(), dtype=np.int64)
    pos = np.minimum(np.searchsorted(ids, own), max(len(ids) - 1, 0))
    hit = (ids[pos] == own) if len(ids) else np.zeros(len(own), dtype=bool)
    family = np.where(hit, fams[pos] if len(ids) else 0, 0).astype(np.int64)
    reasons = pa.array([why.get(i, "") for i in own.tolist()], pa.string())
    batch = batch.set_column(batch.schema.get_field_index("excluded"), "excluded", reasons)
    return batch.append_column(pa.field("family", pa.int64()), pa.array(family))


class Auditor:
    """An actor of the family pool: picks each family's source and audits its members
    (spaCy, the sentence model and the judge load on its first family, once)."""

    def __init__(self, settings: Settings, now: datetime, judge: str, links: Any) -> None:
        import ray

        self.settings, self.now, self.judge = settings, now, judge
        _cap_onnx_threads(settings.run_audit_cpus)
        # every family's links as arrays sorted by family (``link_arrays``)
        self.fam, self.lo, self.hi, self.p, self.weak = ray.get(links)

    def links_of(self, fid: int) -> tuple[list[list[Any]], list[list[Any]]]:
        a, b = np.searchsorted(self.fam, [fid, fid + 1])
        rows = zip(
            self.lo[a:b].tolist(),
            self.hi[a:b].tolist(),
            self.p[a:b].tolist(),
            self.weak[a:b].tolist(),
            strict=True,
        )
        strong: list[list[Any]] = []
        weak: list[list[Any]] = []
        for lo, hi, p, is_weak in rows:
            (weak if is_weak else strong).append([lo, hi, p])
        return strong, weak

    def __call__(self, batch: Any) -> Any:
        st = self.settings
        out: list[Row] = []
        for packed in batch.column("rows").to_pylist():
            rows = _unpack(packed)
            fid = rows[0]["family"]
            fl, fw = self.links_of(fid)
            out += stories.family_rows(fid, rows, fl, fw, st, self.now, self.judge, st.run_audit)
        return _table(out, "member")


def link_arrays(
    by_family: dict[int, tuple[list[list[Any]], list[list[Any]]]],
) -> tuple[np.ndarray, ...]:
    """Every family's links as (family, lo, hi, probability, weak) arrays, by family."""
    rows = [
        (fid, lo, hi, p, kind)
        for fid, pairs in sorted(by_family.items())
        for kind, part in enumerate(pairs)
        for lo, hi, p in part
    ]
    cols = list(zip(*rows, strict=True)) if rows else [[], [], [], [], []]
    return (
        np.asarray(cols[0], dtype=np.int64),
        np.asarray(cols[1], dtype=np.int64),
        np.asarray(cols[2], dtype=np.int64),
        np.asarray(cols[3], dtype=np.float64),
        np.asarray(cols[4], dtype=bool),
    )


def pack_family(batch: Any) -> Any:
    """One family's member rows as one row (Arrow IPC bytes), so the audit pool's batches
    are whole families and the shuffle is done before the pool starts."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_table(batch)
    return pa.table({"rows": pa.array([sink.getvalue().to_pybytes()], pa.binary())})


def _unpack(data: bytes) -> list[Row]:
    import pyarrow as pa

    return pa.ipc.open_stream(data).read_all().to_pylist()
