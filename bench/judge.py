"""Benchmark the offline claim-support judges: claims/s and latency per claim.

Prints one JSON object. Articles are analysed and aligned once (that cost is `compare`'s,
see bench/compare.py); what is timed is the judge deciding every retelling sentence of the
demo corpus against its source, repeated. One core.
"""

from __future__ import annotations

import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=30)
    ap.add_argument("--judges", default="heuristic,learned")
    args = ap.parse_args()

    from retold.analysis.article import analyze
    from retold.audit.align import align
    from retold.audit.changes import diff_all
    from retold.demo.gold import corpus_dir, load_gold
    from retold.inputs.reading import read_article
    from retold.judges import get_judge
    from retold.settings import Settings

    st = Settings()
    folder = corpus_dir()
    gold = load_gold()
    source = analyze(read_article(str(folder.joinpath(gold["source"]))), st)
    pairs = []
    for name in gold["retellings"]:
        ret = analyze(read_article(str(folder.joinpath(name))), st)
        al = align(source, ret, st)
        pairs.append((ret, al, diff_all(source, ret, al, st)))
    n_claims = sum(len(r.sentences) for r, _, _ in pairs)

    results = {}
    for name in args.judges.split(","):
        judge = get_judge(name, st)
        per_claim = []
        t_all = time.perf_counter()
        for _ in range(args.rounds):
            for ret, al, diffs in pairs:
                t = time.perf_counter()
                judge.judge(source, ret, al, list(range(len(ret.sentences))), diffs)
                per_claim.append((time.perf_counter() - t) * 1000 / max(1, len(ret.sentences)))
        wall = time.perf_counter() - t_all
        per_claim.sort()
        results[name] = {
            "claims_per_s": round(n_claims * args.rounds / wall, 1),
            "latency_ms_per_claim_median": round(statistics.median(per_claim), 3),
            "latency_ms_per_claim_p95": round(per_claim[int(0.95 * (len(per_claim) - 1))], 3),
        }
    print(
        json.dumps(
            {
                "benchmark": "judge",
                "threads": int(os.environ["OMP_NUM_THREADS"]),
                "claims": n_claims,
                "rounds": args.rounds,
                "judges": results,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
