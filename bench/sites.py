"""Benchmark `retold sites`: site profiles, the copy network and communities. Prints one
JSON object.

Two parts, each size in its own subprocess (its peak RSS, ``ru_maxrss``, is its own):

- ``analyze``: observations (one per article, with audit findings) -> profiles, copy
  graph, synchronised pairs, communities, on synthetic worlds (``training.synth_sites``,
  ~1 site per 100 articles). This is the part that grows with the whole store.
- ``store``: the same from a SQLite store (families + stored audits written by
  ``synth_sites.write_world``): adds reading families, metadata and audit JSON.
- ``incremental``: a store holding 99% of a world's families runs ``sites`` once (every
  audit reduced and kept), then once more unchanged; the other 1% (articles, families,
  audits) is added and ``sites`` runs again, reducing only their audits; last, the same
  final store with its kept findings emptied (what every run cost before). Each step in
  its own subprocess, so each peak RSS is its own.

Issue 20's goal: 1M articles / 10k sites in under 10 minutes and 4 GB on 2 cores.

    .venv/bin/python bench/sites.py                      # analyze 10k, 100k; store 10k
    .venv/bin/python bench/sites.py --analyze 1000000    # opt-in 1M
    .venv/bin/python bench/sites.py --analyze --store --incremental 100000
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_analyze(n: int) -> dict:
    from retold.settings import Settings
    from retold.sites.run import analyze_sites
    from retold.training.synth_sites import scaled

    t = time.perf_counter()
    world = scaled(n)
    gen_s = time.perf_counter() - t
    base = _rss_mb()
    t, c = time.perf_counter(), time.process_time()
    result = analyze_sites(world.observations, Settings())
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "part": "analyze",
        "articles": len(world.observations),
        "sites": len(result.profiles),
        "edges": result.graph.number_of_edges(),
        "synchronised_pairs": result.counts["synchronised_pairs"],
        "generate_s": round(gen_s, 2),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "articles_per_s": round(len(world.observations) / wall),
        "peak_rss_mb": round(_rss_mb()),
        "rss_before_mb": round(base),
    }


def run_store(n: int) -> dict:
    from retold.settings import Settings
    from retold.sites.run import sites_from_store
    from retold.store import open_store
    from retold.training.synth_sites import scaled, write_world

    world = scaled(n)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        t = time.perf_counter()
        write_world(store, world)
        write_s = time.perf_counter() - t
        del world
        base = _rss_mb()
        t, c = time.perf_counter(), time.process_time()
        result = sites_from_store(store, Settings(), judge="synthetic")
        wall, cpu = time.perf_counter() - t, time.process_time() - c
        # latency of one profile once computed: the CLI's --site lookup
        t1 = time.perf_counter()
        result.profile(result.profiles[len(result.profiles) // 2].site)
        lookup_ms = (time.perf_counter() - t1) * 1000
        store.close()
    return {
        "part": "store",
        "articles": result.counts["articles"],
        "families": result.counts["families"],
        "audited_retellings": result.counts["audited_retellings"],
        "sites": len(result.profiles),
        "write_world_s": round(write_s, 2),
        "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2),
        "articles_per_s": round(result.counts["articles"] / wall),
        "profile_lookup_ms": round(lookup_ms, 3),
        "peak_rss_mb": round(_rss_mb()),
        "rss_before_mb": round(base),
    }


ADDED_EVERY = 100  # one family in 100 (and one lone article in 100) is the later 1%


def split_world(n: int, later: bool) -> Any:
    """The first 99% (``later`` False) or the last 1% of ``scaled(n)``'s observations, cut
    along families so a part holds each family whole."""
    from retold.training.synth_sites import SitesWorld, scaled

    world = scaled(n)

    def is_later(o: Any) -> bool:
        key = o.family if o.family is not None else o.article
        return key % ADDED_EVERY == ADDED_EVERY - 1

    obs = [o for o in world.observations if is_later(o) == later]
    return SitesWorld(obs, world.kind, world.group)


def timed_sites(db: Path) -> dict:
    from retold.settings import Settings
    from retold.sites.read import observations_from_store
    from retold.sites.run import analyze_sites
    from retold.store import open_store

    settings = Settings()
    with open_store(db) as store:
        base = _rss_mb()
        t, c = time.perf_counter(), time.process_time()
        obs, counts = observations_from_store(store, settings, judge="synthetic")
        read_s = time.perf_counter() - t
        result = analyze_sites(obs, settings, counts)
        wall, cpu = time.perf_counter() - t, time.process_time() - c
    return {
        "articles": result.counts["articles"],
        "audited_retellings": result.counts["audited_retellings"],
        "audits_reduced": result.counts["audits_reduced"],
        "sites": len(result.profiles),
        "seconds": round(wall, 2),
        "read_s": round(read_s, 2),
        "analyze_s": round(wall - read_s, 2),
        "cpu_seconds": round(cpu, 2),
        "peak_rss_mb": round(_rss_mb()),
        "rss_before_mb": round(base),
    }


def run_incremental_step(step: str, n: int, db: Path) -> dict:
    """One step of the incremental part (see the module docstring)."""
    from retold.store import open_store
    from retold.training.synth_sites import write_world

    write_s = 0.0
    if step in ("first", "add"):
        world = split_world(n, later=step == "add")
        with open_store(db) as store:
            t = time.perf_counter()
            write_world(store, world, seed=int(step == "add"))
            write_s = time.perf_counter() - t
        del world
    if step == "scratch":
        with open_store(db) as store:
            store.save_site_findings(
                "synthetic", [], [r.article_id for r in store.iter_site_findings("synthetic")]
            )
    out = timed_sites(db)
    return {"part": f"incremental:{step}", "write_s": round(write_s, 2), **out}


def run_incremental(n: int) -> list[dict]:
    steps = []
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        for step in ("first", "again", "add", "scratch"):
            cmd = [sys.executable, __file__, "--one", f"incremental:{step}", str(n), str(db)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            steps.append(json.loads(done.stdout.strip().splitlines()[-1]))
            sys.stderr.write(json.dumps(steps[-1]) + "\n")
    return steps


def run_one(part: str, n: int, rest: list[str]) -> dict:
    if part == "analyze":
        return run_analyze(n)
    if part == "store":
        return run_store(n)
    return run_incremental_step(part.split(":", 1)[1], n, Path(rest[0]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--analyze", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--store", type=int, nargs="*", default=[10_000])
    ap.add_argument("--incremental", type=int, nargs="*", default=[])
    ap.add_argument("--one", nargs="+", help=argparse.SUPPRESS)  # part size [db] (subprocess)
    args = ap.parse_args()
    if args.one:
        out = run_one(args.one[0], int(args.one[1]), args.one[2:])
        sys.stdout.write(json.dumps(out) + "\n")
        return
    runs = []
    for part, sizes in (("analyze", args.analyze), ("store", args.store)):
        for n in sizes:
            cmd = [sys.executable, __file__, "--one", part, str(n)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            sys.stderr.write(json.dumps(runs[-1]) + "\n")
    for n in args.incremental:
        runs += run_incremental(n)
    sys.stdout.write(json.dumps({"runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
