"""Benchmark `retold families` over a SQLite store: articles/s per stage, peak RSS, index
size, and an incremental run. Prints one JSON object.

The corpus is synthetic (``retold.training.synth_families``: invented stories, rewrites made with
the project's perturbations, same-topic noise, boilerplate). Each size runs in its own
subprocess so its peak RSS (``ru_maxrss``) is its own; several sizes show how time and
memory grow (per-article cost should stay flat: no all-pairs step). Goal from issue 6:
~12 articles/s end to end including analysis, < 8 GB at 1M.

    .venv/bin/python bench/families.py             # 2.5k, 5k, 10k
    .venv/bin/python bench/families.py --100k      # adds 100k
    .venv/bin/python bench/families.py --sizes 1000000   # opt-in 1M
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path


def run_one(
    n: int,
    keep: Path | None = None,
    stop_after_signature: bool = False,
    incremental_share: float = 0.01,
) -> dict:
    from retold.family.upkeep import ann_path_for, load_from_store, sign_new, update_store
    from retold.settings import Settings
    from retold.store import SqliteStore
    from retold.training.synth_families import family_of_url, generate

    settings = Settings()
    with tempfile.TemporaryDirectory() as tmp:
        # --store: the store and the timings of finished stages outlive the process, so a
        # 1M run can sign once and group later (signing does not depend on grouping code)
        folder = keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "bench.db"
        state_file = folder / "stages.json"
        state: dict = json.loads(state_file.read_text()) if state_file.exists() else {}
        if state.get("articles") != n or "ingest_s" not in state:
            state = {"articles": n}
            for f in folder.glob("bench.db*"):
                f.unlink()
        cut = int(n * (1 - incremental_share))
        gold = {}
        with SqliteStore.open(db) as store:
            if "ingest_s" not in state:
                t = time.perf_counter()
                store.add_articles(a for k, (a, _, _) in enumerate(generate(n)) if k < cut)
                state["ingest_s"] = time.perf_counter() - t
                state_file.write_text(json.dumps(state))
            ingest_s = state["ingest_s"]
            if "signature_s" not in state:
                t, cpu = time.perf_counter(), time.process_time()
                sign_new(store, settings)
                state["signature_s"] = time.perf_counter() - t
                state["signature_cpu_s"] = time.process_time() - cpu
                state["signature_peak_rss_mb"] = _peak_rss_mb()
                state_file.write_text(json.dumps(state))
        if stop_after_signature:
            return state
        work = db
        if keep:
            # grouped in a copy: the kept store stays signed and ungrouped for the next run
            work = folder / "group.db"
            for f in folder.glob("group.db*"):
                f.unlink()
            with SqliteStore.open(db) as store:
                store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(db, work)
        with SqliteStore.open(work) as store:
            # CPU seconds beside wall seconds: on shared cores the wall clock also counts
            # the time other processes had the CPU
            t, cpu = time.perf_counter(), time.process_time()
            first = update_store(store, settings)
            total_s = time.perf_counter() - t + state["signature_s"]
            group_cpu_s = time.process_time() - cpu
            group_peak_mb = _peak_rss_mb()
            # on disk at once: a long run's first pass is known before the rest finishes
            state["first_run"] = first | {"cpu_s": group_cpu_s, "peak_rss_mb": group_peak_mb}
            if keep:
                state_file.write_text(json.dumps(state))
            first["timings"]["signature"] = round(state["signature_s"], 3)
            store.add_articles(a for k, (a, _, _) in enumerate(generate(n)) if k >= cut)
            t = time.perf_counter()
            second = update_store(store, settings)
            incr_s = time.perf_counter() - t
            result = load_from_store(store)
            meta = store.article_meta()
            for aid, m in meta.items():
                gold[aid] = family_of_url(m.url)
        # source pick on synthetic families (dates present for ~90% of members)
        right = sum(
            1
            for f in result.families
            if f.source is not None and gold.get(f.source, ("", False))[1]
        )
        from retold.eval.families import adjusted_rand, pairwise

        ids = sorted(gold)
        fam_of = {m.id: f.id for f in result.families for m in f.members}
        gold_labels = [gold[i][0] or f"boilerplate:{i}" for i in ids]
        pred = [fam_of.get(i, -i - 1) for i in ids]
        pw = pairwise(gold_labels, pred)
        ann = ann_path_for(store)
        index_file = ann.stat().st_size if ann and ann.exists() else 0
        db_bytes = work.stat().st_size
        stages = first["timings"]
        articles = cut
        return {
            "articles": n,
            "first_run_articles": articles,
            "ingest_articles_per_s": round(articles / ingest_s, 1),
            "families_seconds": round(total_s, 2),
            "families_articles_per_s": round(articles / total_s, 1),
            "stage_articles_per_s": {
                k: round(articles / v, 1) if v > 0 else None for k, v in stages.items()
            },
            "stage_seconds": stages,
            "stage_cpu_seconds": first["cpu_timings"]
            | {"signature": _round(state.get("signature_cpu_s"))},
            "incremental": {
                "articles": n - cut,
                "seconds": round(incr_s, 2),
                "timings": second["timings"],
                "cpu_timings": second["cpu_timings"],
            },
            "families": len(result.families),
            "excluded": len(result.excluded),
            "excluded_reasons": dict(
                Counter(e.reason.split(":")[0] for e in result.excluded).most_common(3)
            ),
            "pairwise_f1": round(pw["f1"], 4),
            "ari": round(adjusted_rand(gold_labels, pred), 4),
            "source_from_gold_source": round(right / max(1, len(result.families)), 3),
            "index_bytes_in_memory": first["index_bytes"],
            "ann_index_file_bytes": index_file,
            "grouping_cpu_seconds": round(group_cpu_s, 1),
            "signature_cpu_seconds": _round(state.get("signature_cpu_s")),
            "grouping_peak_rss_mb": group_peak_mb,
            "peak_rss_mb": _peak_rss_mb(),
            "signature_peak_rss_mb": state.get("signature_peak_rss_mb"),
            "db_bytes": db_bytes,
        }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2500,5000,10000")
    ap.add_argument("--100k", dest="big", action="store_true", help="also 100,000 articles")
    ap.add_argument(
        "--store",
        type=Path,
        help="keep each size's store under this folder (STORE/<size>/); a rerun reuses "
        "its ingest and signatures and regroups",
    )
    ap.add_argument("--sign-only", action="store_true", help="with --store: stop after signatures")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child process
    args = ap.parse_args()
    if args.one:
        keep = args.store / str(args.one) if args.store else None
        print(json.dumps(run_one(args.one, keep, args.sign_only)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s]
    if args.big:
        sizes.append(100_000)
    env = dict(os.environ)
    src = str(Path(__file__).resolve().parents[1] / "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    runs = []
    for n in sizes:
        cmd = [sys.executable, __file__, "--one", str(n)]
        if args.store:
            cmd += ["--store", str(args.store)]
        if args.sign_only:
            cmd.append("--sign-only")
        out = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, text=True, check=True)
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    if args.sign_only:
        print(json.dumps(runs, indent=2))
        return 0
    # growth: seconds per 1k articles of the families run at each size (flat = linear)
    growth = {
        str(r["articles"]): round(1000 * r["families_seconds"] / r["first_run_articles"], 3)
        for r in runs
    }
    print(json.dumps({"runs": runs, "seconds_per_1k_articles": growth}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
