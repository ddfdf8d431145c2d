"""Benchmark `retold run --engine ray`: articles/s with 1 and 2 local Ray workers on the
synthetic families corpus, peak memory per worker, and a projection for a 100M-article day.
Prints one JSON object.

The corpus is ``retold.training.synth_families`` (invented stories, rewrites, same-topic
noise, boilerplate) as JSONL. Each worker count runs in its own subprocess with its own
local Ray (``ray.init(num_cpus=W)``; signing and audit pools of W actors), the whole
pipeline end to end: read, sign, candidates, verify, cluster, source pick, audit every
member, write the tables. Peak memory per worker is the largest resident set any Ray
worker process reached (sampled every 0.2 s). Goal from issue 21: >= 1.8x with 2 workers.

Projection: the CPU seconds every Ray process and the driver spent in the 1-worker run,
per article, are the core-seconds an article costs; a 100M-article day needs 100M x that,
divided by the core utilisation of the 2-worker run (CPU seconds per wall second per
worker: Ray's fixed costs and stage barriers leave cores idle); the price is core-hours x
``--core-hour-usd`` (a compute-optimised cloud core, on demand). On a shared machine the
wall-clock speedup measures the free cores as much as retold: ``cpus_busy`` and
``load_before`` say how many there were.

    .venv/bin/python bench/ray.py                   # 600 articles
    .venv/bin/python bench/ray.py --articles 2000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DAY = 100_000_000
# this file is named ray.py: its folder must not shadow the ray package
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]


def sample_workers(peaks: dict[str, int], cpu: dict[int, float], stop: threading.Event) -> None:
    """Largest RSS per Ray worker kind (process title ``ray::...``) and the CPU seconds of
    each Ray worker process (the last value seen), until ``stop``."""
    import psutil

    while not stop.is_set():
        for p in psutil.process_iter(["cmdline", "memory_info", "cpu_times"]):
            try:
                cmd = " ".join(p.info["cmdline"] or [])
                rss = p.info["memory_info"].rss if p.info["memory_info"] else 0
                times = p.info["cpu_times"]
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if cmd.startswith("ray::"):
                kind = cmd.split()[0].removeprefix("ray::")
                peaks[kind] = max(peaks.get(kind, 0), rss)
                if times is not None:
                    cpu[p.pid] = times.user + times.system
        stop.wait(0.2)


def run_one(corpus: Path, workers: int) -> dict:
    import ray

    from retold.pipeline.api import run_pipeline
    from retold.settings import Settings

    with tempfile.TemporaryDirectory(prefix="rtb-") as tmp:
        ray.init(
            num_cpus=workers,
            include_dashboard=False,
            _temp_dir=str(Path(tmp) / "ray"),
            _node_ip_address="127.0.0.1",
            log_to_driver=False,
        )
        peaks: dict[str, int] = {}
        cpu: dict[int, float] = {}
        stop = threading.Event()
        sampler = threading.Thread(target=sample_workers, args=(peaks, cpu, stop), daemon=True)
        sampler.start()
        st = Settings().with_overrides(
            run_sign_workers=workers,
            run_audit_workers=workers,
            run_shuffle_partitions=workers,
            run_partitions=4 * workers,
        )
        load = os.getloadavg()[0]
        t = time.perf_counter()
        own = resource.getrusage(resource.RUSAGE_SELF)
        result = run_pipeline([corpus], Path(tmp) / "out", engine="ray", settings=st)
        wall = time.perf_counter() - t
        done = resource.getrusage(resource.RUSAGE_SELF)
        driver_cpu = (done.ru_utime - own.ru_utime) + (done.ru_stime - own.ru_stime)
        stop.set()
        sampler.join()
        ray.shutdown()
    n = result.counts["articles"]
    return {
        "workers": workers,
        "articles": n,
        "audits": result.counts["audits"],
        "families": result.counts["families"],
        "wall_s": round(wall, 2),
        "articles_per_s": round(n / wall, 3),
        "stage_s": result.timings,
        "worker_cpu_s": round(sum(cpu.values()), 1),
        "driver_cpu_s": round(driver_cpu, 1),
        # CPU seconds used per wall second: 2 workers on 2 free cores approach 2
        "cpus_busy": round((sum(cpu.values()) + driver_cpu) / wall, 2),
        "peak_worker_mb": {
            k: round(v / 2**20)
            for k, v in sorted(peaks.items())
            if k.startswith("MapWorker") and "." not in k
        },
        "driver_peak_mb": round(done.ru_maxrss / 1024),
        "load_before": round(load, 2),
    }


def projection(one: dict, two: dict, core_hour_usd: float) -> dict:
    """CPU-seconds per article (the 1-worker run: every Ray process and the driver) over a
    100M-article day, with the cores' utilisation of the 2-worker run."""
    n = one["articles"]
    core_s = (one["worker_cpu_s"] + one["driver_cpu_s"]) / n
    utilisation = min(1.0, two["cpus_busy"] / two["workers"])
    core_hours = DAY * core_s / 3600 / max(utilisation, 0.1)
    wall_share = {k: round(v / one["stage_s"]["total"], 3) for k, v in one["stage_s"].items()}
    return {
        "method": (
            "CPU seconds of all Ray processes and the driver in the 1-worker run / articles "
            "= core-seconds per article; x 100M; / the 2-worker run's core utilisation "
            "(CPU seconds / wall seconds / workers); x core-hour price"
        ),
        "core_s_per_article": round(core_s, 4),
        "stage_share_of_wall": wall_share,
        "core_utilisation_2_workers": round(utilisation, 3),
        "core_hours_100M": round(core_hours),
        "cores_for_24h": round(core_hours / 24),
        "usd_100M_at": core_hour_usd,
        "usd_100M": round(core_hours * core_hour_usd),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--core-hour-usd", type=float, default=0.04)
    ap.add_argument("--one", nargs=2, help=argparse.SUPPRESS)  # corpus workers (subprocess)
    args = ap.parse_args()
    if args.one:
        sys.stdout.write(json.dumps(run_one(Path(args.one[0]), int(args.one[1]))) + "\n")
        return
    from retold.training.synth_families import main as write_corpus

    runs = []
    with tempfile.TemporaryDirectory(prefix="rtb-corpus-") as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        write_corpus(
            ["--articles", str(args.articles), "--seed", str(args.seed), "--out", str(corpus)]
        )
        for workers in (1, 2):
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(corpus), str(workers)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            sys.stderr.write(json.dumps(runs[-1]) + "\n")
    one, two = runs
    out = {
        "articles": args.articles,
        "cpus": os.cpu_count(),
        "runs": runs,
        "speedup_2_workers": round(two["articles_per_s"] / one["articles_per_s"], 3),
        "projection_100M": projection(one, two, args.core_hour_usd),
    }
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
