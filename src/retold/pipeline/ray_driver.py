"""The Ray driver of ``retold run``: the local driver's stages as Ray Data operators (the
operators are in ``ray_ops``).

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
- families: ``groupby("family")`` packs each family into one row, then an actor pool
  (``Auditor``: spaCy, the sentence model and the judge load once per actor) runs
  ``stories.family_rows``;
- tables: written by the workers (``write_parquet``) into the run's staging folder, which
  on a cluster must be on storage every node reaches.

Ray is imported here and in ``ray_ops`` only, when ``--engine ray`` is asked for.
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
from retold.pipeline.ray_ops import (
    AnnShard,
    Auditor,
    counts_batch,
    hash_counts_batch,
    key_batch,
    link_arrays,
    one_copy_group,
    pack_family,
    pairs_group,
    read_batch,
    rows_where,
    self_batch,
    signer_pool,
    tag_batch,
    trim_group,
    vector_batch,
    verify_group,
)
from retold.pipeline.sitetables import site_tables
from retold.settings import Settings

Row = dict[str, Any]
_MB = 1 << 20


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
