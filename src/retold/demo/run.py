"""`retold demo`: audit every retelling in the bundled corpus against its source, offline;
then the store path of the main job: every file ingested into a fresh SQLite store
(``<out>/demo-store/retold.db``), grouped into story families, the family's members
audited against the source retold picked (siblings marking only-here claims) and the
family report written."""

from __future__ import annotations

import html
import json
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

import retold
from retold.demo.gold import corpus_dir, load_gold, score
from retold.errors import RetoldError
from retold.settings import Settings


def audit_corpus(settings: Settings, judge: str | None = None) -> dict[str, dict[str, Any]]:
    """Audit JSON dicts keyed by retelling file name (the source's analysis is cached, so it
    is analysed once)."""
    from retold.report.jsonout import audit_to_dict

    gold = load_gold()
    folder = corpus_dir()
    source = retold.read_article(str(folder.joinpath(gold["source"])), settings)
    out = {}
    for name in gold["retellings"]:
        retelling = retold.read_article(str(folder.joinpath(name)), settings)
        out[name] = audit_to_dict(
            retold.compare(source, retelling, settings=settings, judge=judge or settings.judge)
        )
    return out


def run_demo(
    out: Path, settings: Settings, *, as_json: bool = False, console: Console | None = None
) -> dict[str, Any]:
    """Audit the bundled corpus, group it in a fresh store and write the reports to ``out``.

    Prints a summary table on ``console`` (or the JSON result on stdout with ``as_json``).
    Returns the result dict. Raises ``RetoldError`` when ``out`` cannot be written.
    """
    from retold.report.files import write_text_atomic
    from retold.report.html import write_html

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RetoldError(f"{out}: cannot create report folder ({exc.strerror})") from None
    audits = audit_corpus(settings)
    scores = score(audits)
    links = []
    for name, data in audits.items():
        page = out / (Path(name).stem + ".html")
        write_html(data, page)
        links.append((page.name, name, data))
    fams = demo_families(out, settings)
    scores["checks"].update(fams.pop("checks"))
    write_text_atomic(out / "index.html", _index_html(links, scores, fams))
    result = {
        "reports": str(out),
        "audits": {n: d["summary"] for n, d in audits.items()},
        "families": fams,
        "gold": scores,
    }
    if as_json:
        sys.stdout.write(json.dumps(result, indent=2) + "\n")
    else:
        _print(audits, scores, out, fams, console)
    return result


def demo_families(out: Path, settings: Settings) -> dict[str, Any]:
    """Ingest, group, pick the source, audit the family, write its report; with checks
    against the corpus's gold (one family of the source and its retellings, ``source.txt``
    its source, the unrelated story alone)."""
    from retold.report.family import write_family_report

    gold = load_gold()
    folder = corpus_dir()
    names = [gold["source"], *gold["retellings"]]
    # a store of the demo's own, made afresh each run (a kept one would hold an older
    # grouping, and a user's retold.db in --out must never get the demo's articles)
    db = out / "demo-store" / "retold.db"
    db.parent.mkdir(exist_ok=True)
    for old in db.parent.glob("retold.db*"):
        old.unlink()
    with retold.open_store(db, settings) as store:
        store.add_articles([retold.read_article(str(folder.joinpath(n)), settings) for n in names])
        retold.update_families(store, settings)
        result = retold.load_families(store)
        name_of = {m.id: Path(m.path).name for f in result.families for m in f.members}
        name_of |= {i: Path(store.get(i).origin).name for i in result.singletons}
        families = []
        for fam in result.families:
            retold.audit_families(store, settings, settings.judge, fam.id)
            report = write_family_report(store, fam.id, out / f"family-{fam.id}", settings.judge)
            families.append(
                {
                    "id": fam.id,
                    "source": name_of.get(fam.source) if fam.source is not None else None,
                    "source_status": fam.source_status,
                    "source_confidence": fam.source_confidence,
                    "source_reasons": fam.source_reasons,
                    "members": {name_of[m.id]: m.confidence for m in fam.members},
                    "report": str(report[0]),
                }
            )
    related = {gold["source"]} | {
        n for n, g in gold["retellings"].items() if g.get("related", True) is not False
    }
    alone = sorted(name_of[i] for i in result.singletons)
    checks = {
        "families: the source and its retellings are one family": len(families) == 1
        and set(families[0]["members"]) == related,
        f"families: {gold['source']} picked as the source": bool(families)
        and families[0]["source"] == gold["source"],
        "families: the unrelated story stays alone": alone == sorted(set(names) - related),
    }
    return {"store": str(db), "families": families, "alone": alone, "checks": checks}


def _print(
    audits: dict[str, dict[str, Any]],
    scores: dict[str, Any],
    out: Path,
    fams: dict[str, Any],
    console: Console | None,
) -> None:
    con = console or Console(highlight=False)
    table = Table(title="retold demo: each retelling audited against source.txt")
    for col in (
        "retelling",
        "related",
        "fidelity",
        "claims s/u/c",
        "quotes ok/bad",
        "changes",
        "omitted",
        "style",
    ):
        table.add_column(col, justify="left" if col == "retelling" else "right")
    for name, d in audits.items():
        s = d["summary"]
        c, q = s["claims"], s["quotes"]
        table.add_row(
            Path(name).stem,
            "yes" if s["related"] else "[red]no[/]",
            f"{s['fidelity']:.0%}",
            f"{c['supported']}/{c['unsupported']}/{c['contradicted']}",
            f"{q['verbatim'] + q['indirect']}/{q['altered'] + q['misattributed'] + q['unsourced']}",
            str(s["changes"]),
            str(s["omissions"]),
            f"{d['style']['source_score']:.1f}→{d['style']['retelling_score']:.1f}",
        )
    con.print(table)
    gt = Table(title="against the gold findings (demo/corpus/gold.json)")
    for col in ("finding type", "precision", "recall", "tp", "fp", "fn"):
        gt.add_column(col, justify="right" if col != "finding type" else "left")
    for kind, v in scores["types"].items():
        gt.add_row(
            kind,
            f"{v['precision']:.2f}",
            f"{v['recall']:.2f}",
            str(v["tp"]),
            str(v["fp"]),
            str(v["fn"]),
        )
    con.print(gt)
    for f in fams["families"]:
        con.print(
            f"story family {f['id']} in {fams['store']}: {len(f['members'])} articles, source "
            f"{f['source'] or 'unclear'} ({f['source_status']}, confidence "
            f"{f['source_confidence']:.2f}); report {f['report']}",
            markup=False,
        )
    if fams["alone"]:
        con.print(f"not in a family: {', '.join(fams['alone'])}", markup=False)
    failed = [k for k, ok in scores["checks"].items() if not ok]
    con.print(
        f"checks: {len(scores['checks']) - len(failed)}/{len(scores['checks'])} pass"
        + ("" if not failed else " — failing: " + "; ".join(failed))
    )
    con.print(f"HTML reports: {out / 'index.html'}")


def _index_html(
    links: list[tuple[str, str, dict[str, Any]]], scores: dict[str, Any], fams: dict[str, Any]
) -> str:
    rows = "\n".join(
        f'<tr><td><a href="{html.escape(page)}">{html.escape(name)}</a></td>'
        f"<td>{html.escape(d['retelling']['title'])}</td><td>{d['summary']['fidelity']:.0%}</td>"
        f"<td>{d['summary']['claims']['unsupported']}</td><td>{d['summary']['claims']['contradicted']}</td>"
        f"<td>{d['summary']['quotes']['unsourced']}</td><td>{d['summary']['changes']}</td></tr>"
        for page, name, d in links
    )
    family_rows = "\n".join(
        f'<li><a href="{html.escape(Path(f["report"]).parent.name)}/index.html">family '
        f"{f['id']}</a>: {len(f['members'])} articles, source "
        f"{html.escape(f['source'] or 'unclear')} ({html.escape(f['source_status'])})</li>"
        for f in fams["families"]
    )
    gold = "\n".join(
        f"<tr><td>{html.escape(k)}</td><td>{v['precision']:.2f}</td><td>{v['recall']:.2f}</td></tr>"
        for k, v in scores["types"].items()
    )
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>retold demo</title><style>
body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}
table{{border-collapse:collapse;margin:1rem 0}}
td,th{{border:1px solid #ccc;padding:.3rem .6rem}}</style></head><body><h1>retold demo</h1>
<p>Each retelling of the invented wire story audited against its source.</p>
<table><tr><th>file</th><th>headline</th><th>fidelity</th><th>unsupported</th><th>contradicted</th>
<th>unsourced quotes</th><th>changes</th></tr>
{rows}</table><h2>Story families</h2>
<p>The same files ingested into a SQLite store, grouped, the source picked without being told,
and every member audited against it.</p><ul>{family_rows}</ul><h2>Against the gold findings</h2>
<table><tr><th>finding type</th><th>precision</th><th>recall</th></tr>{gold}</table></body></html>
"""
