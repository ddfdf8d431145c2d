"""Benchmark `retold compare`: model load time, per-pair latency and throughput, peak RSS.

Prints one JSON object. Runs on one core by default (threads pinned to 1) since the goal is
stated per core: under 150 ms per ~600-word pair after load. Pairs are built from the bundled
demo corpus, padded to ~600 words, and analysed from scratch every time (no caching).
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

from demo_pairs import demo_pairs  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=60, help="pairs to time after warm-up")
    ap.add_argument("--words", type=int, default=600, help="target words per article")
    args = ap.parse_args()

    t0 = time.perf_counter()
    from retold.analyze.article import analyze, clear_cache
    from retold.analyze.embed import get_encoder
    from retold.analyze.nlp import get_nlp
    from retold.audit.compare import compare
    from retold.model import Article
    from retold.settings import Settings

    st = Settings()
    get_nlp(st.spacy_model)
    get_encoder(st.embedding_model)
    load_s = time.perf_counter() - t0

    (src_name, src_text), pairs = demo_pairs(args.words)
    source = Article(src_text, origin=src_name)
    retellings = [Article(text, origin=name) for name, text in pairs]
    compare(source, retellings[0], settings=st)  # warm-up

    def timed(src: object) -> tuple[list[float], float]:
        lat = []
        t_all = time.perf_counter()
        for k in range(args.pairs):
            clear_cache()  # every article analysed from scratch
            t = time.perf_counter()
            compare(src, retellings[k % len(retellings)], settings=st)
            lat.append((time.perf_counter() - t) * 1000)
        return sorted(lat), time.perf_counter() - t_all

    lat, wall = timed(source)
    # the usual workload: one source, many retellings; the source is analysed once
    warm, _ = timed(analyze(source, st))
    words = [source.word_count] + [r.word_count for r in retellings]
    print(
        json.dumps(
            {
                "benchmark": "compare",
                "threads": int(os.environ["OMP_NUM_THREADS"]),
                "pairs": args.pairs,
                "words_per_article_mean": round(statistics.mean(words)),
                "model_load_s": round(load_s, 3),
                "latency_ms_median": round(statistics.median(lat), 1),
                "latency_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
                "pairs_per_s": round(args.pairs / wall, 2),
                "latency_ms_median_source_analysed_once": round(statistics.median(warm), 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
