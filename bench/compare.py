"""Benchmark `retold compare`: model load time, per-pair latency and throughput, peak RSS.

Prints one JSON object. Runs on one core by default (threads pinned to 1) since the goal is
stated per core: under 150 ms per ~600-word pair after load. Pairs are built from the bundled
demo corpus, padded to ~600 words, and analysed from scratch every time (no caching).

``--sizes 0.1,1,5,10`` adds a ``sizes`` section: one normal source against retellings of that
many MB, as prose (paragraphs) and as a single line, each in a fresh process so its peak RSS
is its own (read + compare, models included). A run whose RSS passes ``--max-rss-gb`` is
killed and reported as such. ``--only-sizes`` skips the pair benchmark.
"""

from __future__ import annotations

import argparse
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "RAYON_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from demo_pairs import corpus, demo_pairs  # noqa: E402

SHAPES = ("prose", "single-line")


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM (Linux), which starts afresh at exec, unlike
    ru_maxrss, which keeps the peak of the process that forked it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def pairs_bench(pairs: int, words: int) -> dict:
    t0 = time.perf_counter()
    from retold.analysis.article import analyze, clear_cache
    from retold.analysis.embed import get_encoder
    from retold.analysis.nlp import get_nlp
    from retold.audit.compare import compare
    from retold.settings import Settings
    from retold.types import Article

    st = Settings()
    get_nlp(st.spacy_model)
    get_encoder(st.embedding_model)
    load_s = time.perf_counter() - t0

    (src_name, src_text), pair_texts = demo_pairs(words)
    source = Article(src_text, origin=src_name)
    retellings = [Article(text, origin=name) for name, text in pair_texts]
    compare(source, retellings[0], settings=st)  # warm-up

    def timed(src: object) -> tuple[list[float], float]:
        lat = []
        t_all = time.perf_counter()
        for k in range(pairs):
            clear_cache()  # every article analysed from scratch
            t = time.perf_counter()
            compare(src, retellings[k % len(retellings)], settings=st)
            lat.append((time.perf_counter() - t) * 1000)
        return sorted(lat), time.perf_counter() - t_all

    lat, wall = timed(source)
    # the usual workload: one source, many retellings; the source is analysed once
    warm, _ = timed(analyze(source, st))
    words_all = [source.word_count] + [r.word_count for r in retellings]
    return {
        "threads": int(os.environ["OMP_NUM_THREADS"]),
        "pairs": pairs,
        "words_per_article_mean": round(statistics.mean(words_all)),
        "model_load_s": round(load_s, 3),
        "latency_ms_median": round(statistics.median(lat), 1),
        "latency_ms_p95": round(lat[int(0.95 * (len(lat) - 1))], 1),
        "pairs_per_s": round(pairs / wall, 2),
        "latency_ms_median_source_analysed_once": round(statistics.median(warm), 1),
        "peak_rss_mb": _peak_rss_mb(),
    }


# --------------------------------------------------------------------------- sizes


def big_retelling(megabytes: float, shape: str) -> str:
    """Up to ``megabytes`` MB (UTF-8) of news prose: the demo retellings and the unrelated
    article in turn, as paragraphs, or with all whitespace made single spaces (one line)."""
    docs = corpus()
    parts = [docs[n] for n in sorted(docs) if n != "source.txt"]
    target = int(megabytes * 1_000_000)
    out: list[str] = []
    size = k = 0
    while size < target:
        piece = parts[k % len(parts)]
        out.append(piece)
        size += len(piece.encode("utf-8")) + 2
        k += 1
    # at most ``megabytes`` (10 MB is the default input limit), ending at a paragraph end
    text = "\n\n".join(out).encode("utf-8")[:target].decode("utf-8", "ignore")
    text = text[: text.rfind("\n\n")] if len(text.encode("utf-8")) >= target else text
    return " ".join(text.split()) if shape == "single-line" else text


def _child(megabytes: float, shape: str) -> None:
    """One size run (in its own process): read the retelling as a file is read, compare,
    and write the audit as JSON."""
    from retold.analysis.embed import get_encoder
    from retold.analysis.nlp import get_nlp
    from retold.audit.compare import compare
    from retold.errors import RetoldError
    from retold.inputs.reading import read_text_input
    from retold.report.jsonout import audit_to_dict
    from retold.settings import Settings

    st = Settings()
    get_nlp(st.spacy_model)
    get_encoder(st.embedding_model)
    loaded_mb = _peak_rss_mb()
    text = big_retelling(megabytes, shape)
    row: dict = {"mb": megabytes, "shape": shape, "bytes": len(text.encode("utf-8"))}
    t0 = time.perf_counter()
    try:
        source = read_text_input(corpus()["source.txt"], "source.txt", st)
        retelling = read_text_input(text, "retelling.txt", st)
        del text
        t1 = time.perf_counter()
        audit = compare(source, retelling, settings=st)
        t2 = time.perf_counter()
        out = json.dumps(audit_to_dict(audit), ensure_ascii=False)  # as `--format json`
        t3 = time.perf_counter()
        row.update(
            read_s=round(t1 - t0, 2),
            compare_s=round(t2 - t1, 2),
            json_s=round(t3 - t2, 2),
            json_mb=round(len(out) / 1e6, 1),
            seconds=round(t3 - t0, 2),
            sentences=len(audit.retelling.sentences),
            claims=len(audit.claims),
            notes=audit.notes,
        )
    except RetoldError as exc:
        row.update(seconds=round(time.perf_counter() - t0, 2), error=str(exc))
    row.update(rss_after_load_mb=loaded_mb, peak_rss_mb=_peak_rss_mb())
    print(json.dumps(row))


def _rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def size_run(megabytes: float, shape: str, max_rss_gb: float, timeout_s: float) -> dict:
    cmd = [sys.executable, __file__, "--child", str(megabytes), shape]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0, seen = time.monotonic(), 0.0
    killed = None
    while proc.poll() is None:
        seen = max(seen, _rss_mb(proc.pid))
        if seen > max_rss_gb * 1024:
            killed = f"killed: RSS passed {max_rss_gb:g} GB"
        elif time.monotonic() - t0 > timeout_s:
            killed = f"killed: still running after {timeout_s:g} s"
        if killed:
            proc.kill()
            break
        time.sleep(0.1)
    out, err = proc.communicate()
    if killed or proc.returncode != 0:
        return {
            "mb": megabytes,
            "shape": shape,
            "seconds": round(time.monotonic() - t0, 1),
            "peak_rss_mb": round(seen, 1),
            "error": killed or (err.strip().splitlines() or ["failed"])[-1],
        }
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--pairs", type=int, default=60, help="pairs to time after warm-up")
    ap.add_argument("--words", type=int, default=600, help="target words per article")
    ap.add_argument("--sizes", default="", help="retelling sizes in MB, e.g. 0.1,1,5,10")
    ap.add_argument("--shapes", default=",".join(SHAPES), help="prose,single-line")
    ap.add_argument("--only-sizes", action="store_true", help="skip the pair benchmark")
    ap.add_argument("--max-rss-gb", type=float, default=8.0, help="kill a size run above this")
    ap.add_argument("--timeout-s", type=float, default=900.0, help="kill a size run after this")
    ap.add_argument("--child", nargs=2, metavar=("MB", "SHAPE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(float(args.child[0]), args.child[1])
        return

    result: dict = {"benchmark": "compare"}
    if not args.only_sizes:
        result.update(pairs_bench(args.pairs, args.words))
    if args.sizes:
        shapes = [s for s in args.shapes.split(",") if s]
        unknown = set(shapes) - set(SHAPES)
        if unknown:
            ap.error(f"unknown shapes {sorted(unknown)}; use {', '.join(SHAPES)}")
        result["sizes"] = [
            size_run(float(mb), shape, args.max_rss_gb, args.timeout_s)
            for mb in args.sizes.split(",")
            if mb
            for shape in shapes
        ]
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
