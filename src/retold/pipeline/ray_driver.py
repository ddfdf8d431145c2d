"""The Ray driver of ``retold run``: the local driver's stages as Ray Data operators.

- reading: one task per input file or part of a large Parquet file (``records.read_file``),
  retried when a worker dies;
- exact copies: ``groupby("id")`` (a shuffle), ``records.one_copy``;
- signing: ``map_batches`` over an actor pool (``Signer``: the document and machine-text
  models load once per actor), restarted and retried when an actor dies;
- candidates: key rows (``keys.key_rows``) shuffled by ``groupby(kind, key)``
  (``keys.pairs_of_key``); ANN per shard (an actor pool holding one shard's index answers
  every query, ``keys.ann_rows``); ``groupby("a")`` merges them (``keys.trim``);
- verification: ``groupby("key")`` (``links.verify_group``); clustering on the driver
  over the links alone (``links.clusters``);
- families: ``groupby("family")`` over an actor pool (``Auditor``: spaCy, the sentence
  model and the judge load once per actor): ``stories.family_rows``;
- tables: written by the workers (``write_parquet``) into the run's staging folder, which
  on a cluster must be on storage every node reaches.

Ray is imported here only, when ``--engine ray`` is asked for.
"""

from __future__ import annotations

import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from retold.errors import RetoldError
from retold.inputs.sources import ColumnMapping
from retold.pipeline import keys, links, output, records, stories
from retold.pipeline.sitetables import site_tables
from retold.settings import Settings

Row = dict[str, Any]
_MB = 1 << 20


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


class Signer:
    """An actor of the signing pool: the models load on its first batch, once."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

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


# --------------------------------------------------------------------------- the driver


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RetoldError(
            "--engine ray needs Ray: pip install 'retold[ray]' (or use --engine local)"
        ) from None
    return ray


def connect(address: str | None, settings: Settings) -> bool:
    """Join the Ray cluster at ``address`` ("" starts a local one); True when this call
    started Ray (and so shuts it down)."""
    ray = import_ray()
    if ray.is_initialized():
        return False
    address = settings.run_address if address is None else address
    try:
        if address:
            ray.init(address=address, log_to_driver=False)
        else:
            ray.init(include_dashboard=False, log_to_driver=False)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        where = f"the Ray cluster at {address!r}" if address else "a local Ray"
        detail = " ".join(str(exc).split())[:300]
        raise RetoldError(f"cannot reach {where}: {detail}") from None
    return True


def _pool(workers: int, cpus: float, queue: int) -> Any:
    """An actor pool of ``workers``, or of 1 up to as many as the cluster's CPUs allow;
    ``queue`` batches in flight per actor."""
    import ray
    from ray.data import ActorPoolStrategy

    if workers > 0:
        return ActorPoolStrategy(size=workers, max_tasks_in_flight_per_actor=queue)
    total = float(ray.cluster_resources().get("CPU", 1.0))
    most = max(1, int(total // max(cpus, 0.01)))
    return ActorPoolStrategy(min_size=1, max_size=most, max_tasks_in_flight_per_actor=queue)


def empty_counts(skipped: int) -> dict[str, int]:
    keys_ = ("read", "articles", "families", "excluded", "audits", "links")
    return dict.fromkeys(keys_, 0) | {"skipped": skipped}


def audit_families(
    tagged: Any,
    links: Any,
    shuffle: int,
    st: Settings,
    now: datetime,
    judge: str,
) -> Any:
    """Member rows of every family: the members grouped by family (a shuffle, finished
    first), then the audit pool over whole families."""
    arrow = {"batch_format": "pyarrow"}
    packed = (
        tagged.map_batches(rows_where, fn_kwargs={"column": "family", "test": "member"}, **arrow)
        .groupby("family", num_partitions=shuffle)
        .map_groups(pack_family, **arrow, max_retries=st.run_task_retries)
        .materialize()
    )
    return packed.map_batches(
        Auditor,
        batch_size=1,
        fn_constructor_kwargs={
            "settings": st,
            "now": now,
            "judge": judge,
            "links": links,
        },
        compute=_pool(st.run_audit_workers, st.run_audit_cpus, st.run_actor_queue),
        num_cpus=st.run_audit_cpus,
        memory=st.run_audit_memory_mb * _MB,
        max_restarts=st.run_max_restarts,
        max_task_retries=st.run_task_retries,
        **arrow,
    ).materialize()


def run_ray(
    paths: list[str],
    tmp: Path,
    settings: Settings,
    mapping: ColumnMapping,
    now: datetime,
    judge: str,
    address: str | None = None,
) -> dict[str, Any]:
    """Every stage on Ray over ``paths``, tables written into ``tmp``; returns counts and
    seconds per stage (as ``local.run_local``)."""
    ray = import_ray()
    started = connect(address, settings)
    try:
        import ray.data as rd

        ctx = rd.DataContext.get_current()
        ctx.enable_progress_bars = False
        ctx.print_on_execution_start = False
        with warnings.catch_warnings():
            # retries and restarts go in ray_remote_args until Ray 2.64 (the extra pins <2.64)
            warnings.filterwarnings("ignore", message=".*ray_remote_args.* is deprecated")
            return _run(rd, ray, paths, tmp, settings, mapping, now, judge)
    finally:
        if started:
            ray.shutdown()


def _run(
    rd: Any,
    ray: Any,
    paths: list[str],
    tmp: Path,
    st: Settings,
    mapping: ColumnMapping,
    now: datetime,
    judge: str,
) -> dict[str, Any]:
    retry = {"max_retries": st.run_task_retries}
    actor = {"max_restarts": st.run_max_restarts, "max_task_retries": st.run_task_retries}
    arrow = {"batch_format": "pyarrow"}
    timings: dict[str, float] = {}
    shuffle = st.run_shuffle_partitions or max(1, int(ray.cluster_resources().get("CPU", 1)))
    t = time.perf_counter()
    tasks = records.read_tasks(paths, st)
    read = (
        rd.from_items(tasks, override_num_blocks=len(tasks))
        .map_batches(
            read_batch,
            batch_size=1,
            fn_kwargs={"settings": st, "mapping": mapping},
            num_cpus=st.run_read_cpus,
            **arrow,
            **retry,
        )
        .materialize()
    )
    skipped = read.map_batches(
        rows_where, fn_kwargs={"column": "skipped", "test": "set"}, **arrow, **retry
    )
    articles = read.map_batches(
        rows_where, fn_kwargs={"column": "skipped", "test": "empty"}, **arrow, **retry
    )
    n_read, n_skipped = articles.count(), skipped.count()
    if n_skipped:
        skipped.select_columns(list(output.SKIPPED_COLUMNS)).write_parquet(str(tmp / "skipped"))
    if not n_read:
        output.write_sites(site_tables([], [], st), tmp)
        return {"counts": empty_counts(n_skipped), "timings": {}}
    if st.run_partitions > 0:
        articles = articles.repartition(st.run_partitions)
    # each shuffle is finished before an actor pool starts: a pool holding every CPU of
    # a small cluster would starve the shuffle's tasks feeding it
    unique = (
        articles.groupby("id", num_partitions=shuffle)
        .map_groups(one_copy_group, **arrow, **retry)
        .materialize()
    )
    timings["read"] = time.perf_counter() - t
    t = time.perf_counter()
    signer, signer_kwargs = signer_pool(st)
    signed = unique.map_batches(
        signer,
        batch_size=st.run_sign_batch,
        fn_constructor_kwargs=signer_kwargs,
        compute=_pool(st.run_sign_workers, st.run_sign_cpus, st.run_actor_queue),
        num_cpus=st.run_sign_cpus,
        memory=st.run_sign_memory_mb * _MB,
        **arrow,
        **actor,
    ).materialize()
    timings["signature"] = time.perf_counter() - t
    t = time.perf_counter()
    tallies = signed.map_batches(counts_batch, **arrow, **retry).take_all()
    n_ok = sum(r["ok"] for r in tallies)
    n_query = sum(r["query"] for r in tallies)
    step = links.idf_step(n_ok, st)
    parts = [
        (
            np.frombuffer(r["keys"], dtype=np.uint32),
            np.frombuffer(r["counts"], dtype=np.int64),
            r["docs"],
        )
        for r in signed.map_batches(hash_counts_batch, fn_kwargs={"step": step}, **arrow).take_all()
    ]
    df = links.doc_freq(parts, st)
    cands = (
        signed.map_batches(key_batch, fn_kwargs={"settings": st}, **arrow, **retry)
        .groupby(["kind", "key"], num_partitions=shuffle)
        .map_groups(pairs_group, fn_kwargs={"settings": st}, **arrow, **retry)
        .materialize()
    )
    vectors = signed.map_batches(vector_batch, **arrow, **retry).materialize()
    shards = keys.ann_shards(n_query, st)
    k = keys.ann_k(n_query, st)
    for s in range(shards):
        part = vectors.filter(lambda r, s=s: r["id"] % shards == s).take_all()
        ids = np.array([r["id"] for r in part], dtype=np.int64)
        vecs = (
            np.stack([np.frombuffer(r["vector"], dtype=np.float16) for r in part])
            if part
            else np.zeros((0, 1), np.float16)
        )
        cands = cands.union(
            vectors.map_batches(
                AnnShard,
                fn_constructor_kwargs={"ids": ids, "vectors": vecs, "k": k},
                compute=_pool(1, st.run_verify_cpus, st.run_actor_queue),
                num_cpus=st.run_verify_cpus,
                **arrow,
                **actor,
            ).materialize()
        )
    cands = cands.union(signed.map_batches(self_batch, **arrow, **retry))
    verify_in = cands.groupby("a", num_partitions=shuffle).map_groups(
        trim_group, fn_kwargs={"n_indexed": n_query, "settings": st}, **arrow, **retry
    )
    timings["candidates"] = time.perf_counter() - t
    t = time.perf_counter()
    link_rows = (
        verify_in.groupby("key", num_partitions=shuffle)
        .map_groups(
            verify_group,
            fn_kwargs={"settings": st, "df": df},
            num_cpus=st.run_verify_cpus,
            **arrow,
            **retry,
        )
        .take_all()
    )
    timings["verify"] = time.perf_counter() - t
    t = time.perf_counter()
    meta = signed.select_columns(list(records.META_FIELDS)).take_all()
    order = [m["id"] for m in sorted(meta, key=records.order_key)]
    grouped = links.clusters(order, link_rows, st)
    family_of = grouped.family_of()
    timings["cluster"] = time.perf_counter() - t
    t = time.perf_counter()
    ids = np.array(sorted(family_of), dtype=np.int64)
    fams = np.array([family_of[i] for i in ids.tolist()], dtype=np.int64)
    tagged = signed.map_batches(
        tag_batch,
        fn_kwargs={"assigned": ray.put((ids, fams)), "excluded": ray.put(grouped.excluded)},
        **arrow,
        **retry,
    ).materialize()
    members = None
    if grouped.families:
        link_ref = ray.put(link_arrays(grouped.links_by_family()))
        members = audit_families(tagged, link_ref, shuffle, st, now, judge)
    timings["families"] = time.perf_counter() - t
    t = time.perf_counter()
    tagged.select_columns(list(output.ARTICLE_COLUMNS)).write_parquet(str(tmp / "articles"))
    member_rows: list[Row] = []
    n_audits = 0
    if members is not None:
        members.select_columns(list(stories.MEMBER_FIELDS)).write_parquet(str(tmp / "families"))
        audits = members.map_batches(
            rows_where, fn_kwargs={"column": "audit", "test": "set"}, batch_format="pyarrow"
        )
        n_audits = audits.count()
        if n_audits:
            audits.select_columns(list(stories.AUDIT_FIELDS)).write_parquet(str(tmp / "audits"))
        site_cols = ["family", "article", "is_source", "source", "site", "url", "published"]
        member_rows = members.select_columns([*site_cols, "findings"]).take_all()
    output.write_sites(site_tables(member_rows, meta, st), tmp)
    timings["write"] = time.perf_counter() - t
    return {
        "counts": {
            "read": n_read,
            "skipped": n_skipped,
            "articles": len(meta),
            "families": len(grouped.families),
            "excluded": len(grouped.excluded),
            "audits": n_audits,
            "links": len(grouped.links),
        },
        "timings": {k: round(v, 3) for k, v in timings.items()},
    }
