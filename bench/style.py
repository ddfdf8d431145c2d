"""Benchmark `retold style`: model load time, per-article latency and throughput, peak RSS.

Prints one JSON object. Runs on one core (threads pinned to 1). Articles are the bundled demo
corpus and, when ../shared/data is found, the PTC dev articles; each is analysed from scratch
(the word-vector cache is cleared between passes, so no article is scored from a warm cache of
its own words). Goal: at least 50 articles/s.
"""

from __future__ import annotations

import argparse
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from importlib import resources  # noqa: E402


def _articles(limit: int) -> list[tuple[str, str]]:
    folder = resources.files("retold").joinpath("demo/corpus")
    out = [(p.name, p.read_text("utf-8")) for p in folder.iterdir() if p.name.endswith(".txt")]
    from retold.eval.data import find_data_dir, read_jsonl

    data = find_data_dir()
    if data is not None and (data / "ptc" / "articles.jsonl").is_file():
        out += [
            (r["id"], r["text"])
            for r in read_jsonl(data / "ptc" / "articles.jsonl")
            if r["split"] == "dev"
        ]
    return out[:limit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=200, help="articles to time")
    ap.add_argument("--passes", type=int, default=2, help="timed passes over the articles")
    args = ap.parse_args()

    t0 = time.perf_counter()
    from retold.style import analyze_style
    from retold.style.features import _VEC_CACHE, word_vectors
    from retold.style.model import load_model

    load_model()
    word_vectors(["warm"])
    load_s = time.perf_counter() - t0

    docs = _articles(args.articles)
    analyze_style(docs[0][1])  # warm-up
    lat: list[float] = []
    t_all = time.perf_counter()
    for _ in range(args.passes):
        _VEC_CACHE.clear()
        for _name, text in docs:
            t = time.perf_counter()
            analyze_style(text)
            lat.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t_all
    lat.sort()
    print(
        json.dumps(
            {
                "benchmark": "style",
                "threads": int(os.environ["OMP_NUM_THREADS"]),
                "articles": len(docs),
                "passes": args.passes,
                "words_per_article_mean": round(statistics.mean(len(t.split()) for _, t in docs)),
                "model_load_s": round(load_s, 3),
                "latency_ms_median": round(statistics.median(lat), 2),
                "latency_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 2),
                "articles_per_s": round(len(lat) / wall, 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
