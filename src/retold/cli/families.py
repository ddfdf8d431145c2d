"""CLI commands for story families: ``families`` and ``audit``.

``register(app)`` adds them to a Typer app (``retold.cli`` calls it). Both work on the
store filled by ``retold ingest``; errors are ``RetoldError`` (one line, exit code 2).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from retold.cli.common import ConfigOpt, DbOpt, console, err_console, load_settings, open_db
from retold.errors import RetoldError
from retold.family.summary import sites_line, time_span

if TYPE_CHECKING:
    from retold.family.result import FamiliesResult, Family
    from retold.store.rows import FamilyAudit


class FamiliesFormat(StrEnum):
    table = "table"
    json = "json"
    parquet = "parquet"


def families_cmd(
    db: DbOpt = None,
    family: Annotated[
        int | None, typer.Option("--family", help="Show one family with its members' audits.")
    ] = None,
    set_source: Annotated[
        tuple[int, int] | None,
        typer.Option("--set-source", metavar="FAMILY ARTICLE", help="Override a family's source."),
    ] = None,
    fmt: Annotated[FamiliesFormat, typer.Option("--format", "-f")] = FamiliesFormat.table,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON/Parquet here.")
    ] = None,
    update: Annotated[
        bool, typer.Option(help="Place articles ingested since the last run first.")
    ] = True,
    resign: Annotated[
        bool,
        typer.Option(
            "--resign",
            help="Recompute every family signature (after changing families_doc_model or"
            " families_doc_tokens); sources are picked again.",
        ),
    ] = False,
    judge: Annotated[str | None, typer.Option(help="Judge whose audits --family shows.")] = None,
    html: Annotated[
        Path | None,
        typer.Option(
            "--html",
            help="With --family: write a family report folder (index.html + one audit report "
            "per audited member).",
        ),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Group stored articles into story families and pick each family's source."""
    from retold.family.upkeep import load_from_store, update_store

    if fmt is FamiliesFormat.parquet and output is None:
        raise RetoldError("--format parquet needs --output FILE")
    if html is not None and family is None:
        raise RetoldError("--html needs --family ID (one report folder per family)")
    settings = load_settings(config)
    err = err_console()
    store = open_db(db, settings)
    try:
        if set_source is not None:
            store.set_family_source(*set_source)
            err.print(f"family {set_source[0]}: source set to article {set_source[1]}")
        elif update or resign:
            stats = update_store(store, settings, resign=resign)
            err.print(
                f"families: {stats['new_articles']} new articles placed, "
                f"{stats['excluded']} excluded",
                markup=False,
            )
            if stats["machine_text_filled"]:
                err.print(
                    f"families: {stats['machine_text_filled']} stored signatures given their "
                    "machine-text score; sources picked again (not those set by the user)",
                    markup=False,
                )
        result = load_from_store(store, family)
        if family is not None and not result.families:
            raise RetoldError(f"no family with id {family} in {store.location}")
        audits = store.family_audits(family, judge or settings.judge) if family else {}
        view = None
        if family is not None and fmt is FamiliesFormat.json:
            from retold.family.summary import family_view

            view = family_view(store, family, judge or settings.judge)
        if html is not None and family is not None:
            from retold.report.family import write_family_report

            files = write_family_report(store, family, html, judge or settings.judge)
            err.print(f"family report written to {files[0]} ({len(files)} files)", markup=False)
    finally:
        store.close()
    if fmt is FamiliesFormat.parquet and output is not None:
        from retold.family.export import write_parquet

        n = write_parquet(result, output)
        err.print(f"exported {n} family members to {output}", markup=False)
        return
    if fmt is FamiliesFormat.json:
        data = result.to_dict()
        if view is not None:
            data["families"] = [view]
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
        if output:
            from retold.report.files import write_text_atomic

            write_text_atomic(output, text)
        else:
            sys.stdout.write(text)
        return
    if family is not None:
        _print_family(result.families[0], audits)
    else:
        _print_list(result)


def _print_list(result: FamiliesResult) -> None:
    out = console()
    table = Table(
        title=f"{len(result.families)} families ({len(result.singletons)} single articles, "
        f"{len(result.excluded)} excluded)",
        title_justify="left",
    )
    for col, kw in (
        ("family", {"justify": "right"}),
        ("size", {"justify": "right"}),
        ("source", {"overflow": "fold"}),
        ("time span", {}),
        ("sites", {"overflow": "fold"}),
    ):
        table.add_column(col, **kw)
    for f in result.families:
        src = next((m for m in f.members if m.id == f.source), None)
        if src is None:
            source = "no clear source"
        else:
            source = f"#{src.id} {src.title or src.path or src.url} ({f.source_status})"
        dates = [m.published for m in f.members if m.published]
        table.add_row(str(f.id), str(f.size), source, time_span(dates), sites_line(f.members))
    out.print(table, markup=False)
    if result.excluded:
        from collections import Counter

        reasons = Counter(e.reason.split(" (")[0] for e in result.excluded)
        for reason, n in reasons.most_common(5):
            out.print(f"excluded {n}x: {reason}", markup=False, soft_wrap=True)


def _print_family(f: Family, audits: dict[int, FamilyAudit]) -> None:
    from retold.family.audit import member_summary

    out = console()
    status = "no clear source" if f.source is None else f"source #{f.source} ({f.source_status})"
    out.print(f"family {f.id}: {f.size} articles, {status}", markup=False)
    for r in f.source_reasons:
        out.print(f"  {r}", markup=False, soft_wrap=True)
    table = Table(title_justify="left")
    for col in ("id", "site", "published", "conf.", "fidelity", "unsupp.", "only-here", "quotes"):
        table.add_column(col, justify="left" if col in ("site", "published") else "right")
    for m in f.members:
        if m.id == f.source:
            row = ["source", "", "", ""]
        elif m.id in audits:
            s = member_summary(f.id, m.id, audits[m.id].audit, audits[m.id].only_here)
            quotes = f"{s['quotes_unsourced']} unsourced, {s['quotes_altered']} altered"
            row = [
                f"{s['fidelity']:.2f}",
                str(s["unsupported"] + s["contradicted"]),
                str(s["only_here"]),
                quotes,
            ]
        else:
            row = ["not audited", "", "", ""]
        table.add_row(str(m.id), m.site, m.published or "", f"{m.confidence:.2f}", *row)
    out.print(table, markup=False)
    if not audits and len(f.members) > 1:
        out.print(f"run `retold audit --family {f.id}` for fidelity", markup=False)


def audit_cmd(
    db: DbOpt = None,
    family: Annotated[int | None, typer.Option("--family", help="Only this family.")] = None,
    judge: Annotated[str | None, typer.Option(help="Claim-support judge.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summaries as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Audit every family member against its family's source and store the audits."""
    from retold.family.audit import audit_families

    settings = load_settings(config)
    store = open_db(db, settings)
    try:
        rows = audit_families(store, settings, judge or settings.judge, family)
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(rows, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} retellings audited", title_justify="left")
    cols = ("family", "article", "fidelity", "unsupported", "contradicted", "only_here")
    for col in cols:
        table.add_column(col.replace("_", "-"), justify="right")
    for r in rows:
        table.add_row(*(f"{r[c]:.2f}" if c == "fidelity" else str(r[c]) for c in cols))
    console().print(table, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``families`` and ``audit`` to ``app``."""
    app.command("families")(families_cmd)
    app.command("audit")(audit_cmd)
