"""Benchmark `retold ingest` into SQLite (or PostgreSQL with --postgres): articles/s and
peak RSS.

Prints one JSON object. Inputs are invented and generated in a temp folder: small HTML
pages (one article each, through trafilatura) and JSONL/Parquet datasets. Each case runs in
its own subprocess so its peak RSS (``ru_maxrss``) is its own; every dataset is ingested at
two sizes to show memory stays flat as the input grows (streaming). Goals from issue 5:
300 HTML articles/s and 5,000 JSONL rows/s on 2 cores.

    .venv/bin/python bench/ingest.py [--html 500] [--rows 5000,20000] [--postgres]

``--postgres`` starts a throw-away local PostgreSQL server (``retold.store.pg_local``,
needs the Debian ``postgresql`` package) and ingests into a fresh database per case.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLACES = ["Orlen", "Varn", "Kesby", "Halm", "Tessel", "Brode", "Ilvar", "Marrow"]
BODIES = [
    "officials said on {day} that the new footbridge would open after a final inspection",
    "the water board confirmed that repairs to the main pipe were finished ahead of schedule",
    "the council voted to extend the library's opening hours during the winter months",
    "residents were asked to report any interruptions to the supply to the local office",
]


def _paragraphs(i: int, n: int = 4) -> list[str]:
    place = PLACES[i % len(PLACES)]
    out = []
    for k in range(n):
        body = BODIES[(i + k) % len(BODIES)].format(day=f"day {i}")
        out.append(
            f"In {place}, {body}, according to a statement released with reference {i}-{k}. "
            f"A spokesperson for the district said that the work was part of a wider plan."
        )
    return out


def _html(i: int) -> str:
    paras = "".join(f"<p>{p}</p>" for p in _paragraphs(i))
    return (
        f"<!doctype html><html><head><title>Update {i} from {PLACES[i % len(PLACES)]}</title>"
        f"</head><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>"
        f"<article><h1>Update {i}</h1>{paras}</article><footer>Contact us</footer></body></html>"
    )


def _row(i: int) -> dict:
    return {
        "text": "\n\n".join(_paragraphs(i)),
        "title": f"Update {i}",
        "url": f"https://news.example.org/{i}",
        "site": "example",
        "published": "2024-03-01",
    }


def _make_input(kind: str, n: int, folder: Path) -> Path:
    if kind == "html":
        d = folder / f"html{n}"
        d.mkdir()
        for i in range(n):
            (d / f"{i:05d}.html").write_text(_html(i), encoding="utf-8")
        return d
    if kind == "jsonl":
        p = folder / f"rows{n}.jsonl"
        with p.open("w", encoding="utf-8") as fh:
            for i in range(n):
                fh.write(json.dumps(_row(i)) + "\n")
        return p
    import pyarrow as pa
    import pyarrow.parquet as pq

    p = folder / f"rows{n}.parquet"
    with pq.ParquetWriter(p, pa.schema([(k, pa.string()) for k in _row(0)])) as w:
        for start in range(0, n, 2000):
            rows = [_row(i) for i in range(start, min(n, start + 2000))]
            w.write_table(pa.Table.from_pylist(rows))
    return p


def _run_case(kind: str, n: int, folder: Path, db: str | None = None) -> dict:
    """In a child process: ingest one generated input into a fresh database."""
    src = _make_input(kind, n, folder)
    from retold.inputs.run import ingest

    if kind == "html":  # trafilatura's first call imports and warms up lxml etc.
        from retold.inputs.reading import read_article

        read_article(next(src.iterdir()))
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    stats = ingest([src], db or folder / f"{kind}{n}.db")
    elapsed = time.perf_counter() - t0
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "kind": kind,
        "inputs": n,
        "new": stats.new,
        "skipped": stats.skipped,
        "seconds": round(elapsed, 3),
        "articles_per_s": round(stats.read / elapsed, 1),
        "rss_before_mb": round(rss_before / 1024, 1),
        "peak_rss_mb": round(rss_peak / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--html", default="250,500", help="HTML file counts (comma-separated)")
    ap.add_argument("--rows", default="5000,20000", help="JSONL/Parquet row counts")
    ap.add_argument("--postgres", action="store_true", help="ingest into a local PostgreSQL")
    ap.add_argument("--case", nargs=2, metavar=("KIND", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--db", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.case:
        with tempfile.TemporaryDirectory() as tmp:
            print(json.dumps(_run_case(args.case[0], int(args.case[1]), Path(tmp), args.db)))
        return
    server = None
    if args.postgres:
        from retold.store.pg_local import LocalPostgres

        server = LocalPostgres()
        problem = server.start()
        if problem:
            server.stop()
            sys.exit(f"bench/ingest.py: PostgreSQL did not start: {problem}")
    cases = [("html", int(n)) for n in args.html.split(",")]
    cases += [(k, int(n)) for k in ("jsonl", "parquet") for n in args.rows.split(",")]
    results = []
    try:
        for kind, n in cases:
            db = ["--db", server.new_database()] if server else []
            out = subprocess.run(
                [sys.executable, __file__, "--case", kind, str(n), *db],
                capture_output=True,
                text=True,
                check=True,
            )
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    finally:
        if server:
            server.stop()
    print(
        json.dumps(
            {
                "store": "postgresql" if server else "sqlite",
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
