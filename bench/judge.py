"""Benchmark the offline claim-support judges: claims/s and latency per claim.

Prints one JSON object. Articles are analysed and aligned once (that cost is `compare`'s,
see bench/compare.py); what is timed is the judge deciding every retelling sentence against
its source, repeated. The article mix: the demo corpus (a wire story and six retellings, from
verbatim copies to a content-farm rewrite) or, with --corpus realworld, the real retellings in
../shared/data/realworld. --threads sets the cores the model judges use (default 2).
"""

from __future__ import annotations

import os
import sys

_THREADS = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "2"
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, _THREADS)

import argparse  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--judges", default="heuristic,learned,claim,cascade")
    ap.add_argument("--corpus", choices=("demo", "realworld"), default="demo")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()

    from retold.analysis.article import analyze
    from retold.audit.align import align
    from retold.audit.changes import diff_all
    from retold.judges import get_judge
    from retold.settings import Settings

    st = Settings()
    pairs = []
    for src_article, ret_article in _articles(args.corpus):
        source = analyze(src_article, st)
        ret = analyze(ret_article, st)
        al = align(source, ret, st)
        pairs.append((source, ret, al, diff_all(source, ret, al, st)))
    n_claims = sum(len(r.sentences) for _, r, _, _ in pairs)

    results = {}
    for name in args.judges.split(","):
        judge = get_judge(name, st)
        per_claim = []
        t_all = time.perf_counter()
        # one warm-up pass: model loading is not the judge's per-claim cost
        for source, ret, al, diffs in pairs[:1]:
            judge.judge(source, ret, al, list(range(len(ret.sentences))), diffs)
        stats = getattr(judge, "stats", None)
        if stats:
            stats.update(claims=0, escalated=0)
        for _ in range(args.rounds):
            for source, ret, al, diffs in pairs:
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
        if stats:
            share = stats["escalated"] / max(1, stats["claims"])
            results[name]["escalated_share"] = round(share, 3)
    print(
        json.dumps(
            {
                "benchmark": "judge",
                "corpus": args.corpus,
                "threads": int(os.environ["OMP_NUM_THREADS"]),
                "claims": n_claims,
                "rounds": args.rounds,
                "judges": results,
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            },
            indent=2,
        )
    )


def _articles(corpus: str) -> list[tuple[Any, Any]]:
    """(source, retelling) articles of the chosen mix."""
    from retold.demo.gold import corpus_dir, load_gold
    from retold.inputs.reading import read_article

    if corpus == "demo":
        folder, gold = corpus_dir(), load_gold()
        src = read_article(str(folder.joinpath(gold["source"])))
        return [(src, read_article(str(folder.joinpath(n)))) for n in gold["retellings"]]
    from retold.eval.data import find_data_dir, read_jsonl
    from retold.eval.realworld import read_story_file

    data = find_data_dir(None)
    if data is None:
        raise SystemExit("--corpus realworld needs ../shared/data (or $RETOLD_DATA)")
    folder = data / "realworld"
    return [
        (
            read_story_file(folder / it["story"] / "original.txt"),
            read_story_file(folder / it["story"] / it["retelling"]),
        )
        for it in read_jsonl(folder / "gold.jsonl")
    ]


if __name__ == "__main__":
    main()
