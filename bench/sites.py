"""Benchmark `retold sites`: site profiles, the copy network and communities. Prints one
JSON object.

Two parts, each size in its own subprocess (its peak RSS, ``ru_maxrss``, is its own):

- ``analyze``: observations (one per article, with audit findings) -> profiles, copy
  graph, synchronised pairs, communities, on synthetic worlds (``training.synth_sites``,
  ~1 site per 100 articles). This is the part that grows with the whole store.
- ``store``: the same from a SQLite store (families + stored audits written by
  ``synth_sites.write_world``): adds reading families, metadata and audit JSON.

Issue 20's goal: 1M articles / 10k sites in under 10 minutes and 4 GB on 2 cores.

    .venv/bin/python bench/sites.py                      # analyze 10k, 100k; store 10k
    .venv/bin/python bench/sites.py --analyze 1000000    # opt-in 1M
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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--analyze", type=int, nargs="*", default=[10_000, 100_000])
    ap.add_argument("--store", type=int, nargs="*", default=[10_000])
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # part size (subprocess)
    args = ap.parse_args()
    if args.one:
        part, n = args.one[0], int(args.one[1])
        out = run_analyze(n) if part == "analyze" else run_store(n)
        sys.stdout.write(json.dumps(out) + "\n")
        return
    runs = []
    for part, sizes in (("analyze", args.analyze), ("store", args.store)):
        for n in sizes:
            cmd = [sys.executable, __file__, "--one", part, str(n)]
            done = subprocess.run(cmd, capture_output=True, text=True, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            sys.stderr.write(json.dumps(runs[-1]) + "\n")
    sys.stdout.write(json.dumps({"runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
