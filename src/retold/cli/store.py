"""CLI commands for the article store: ``ingest``, ``list``, ``show``, ``export``.

``register(app)`` adds them to a Typer app (``retold.cli`` calls it). Errors are raised as
``RetoldError`` so ``retold.cli.main`` prints them as one line with exit code 2.
"""

from __future__ import annotations

import json
import sys
import time
import unicodedata
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from retold.cli.common import ConfigOpt, DbOpt, console, err_console, load_settings, open_db
from retold.errors import RetoldError
from retold.store.base import IngestStats

_MAX_ERROR_LINES = 20  # inputs named one per line when none could be read


class ListFormat(StrEnum):
    table = "table"
    json = "json"


class ShowFormat(StrEnum):
    text = "text"
    json = "json"


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    parquet = "parquet"


# --------------------------------------------------------------------------- ingest


def ingest_cmd(
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Files, folders, glob patterns, .jsonl/.csv/.parquet datasets, .warc/.arc "
            "crawls, http(s) URLs of pages, RSS/Atom feeds and sitemaps."
        ),
    ],
    db: DbOpt = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Dataset columns, e.g. text=body,title=headline (fields: text, title, url, "
            "date, site, author).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    allow_private: Annotated[
        bool,
        typer.Option(
            "--allow-private", help="Let URLs reach loopback and private-network addresses."
        ),
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(help="Articles per transaction (setting ingest_batch_size).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Read SOURCES into the store; duplicates are counted, not stored twice."""
    from retold.inputs.run import ingest
    from retold.inputs.sources import ColumnMapping, estimate_total

    settings = load_settings(config)
    column_map = ColumnMapping.parse(mapping)
    if batch_size is not None and batch_size < 1:
        raise RetoldError("--batch-size must be at least 1")
    err = err_console()
    progress = None
    if err.is_terminal:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            TextColumn("ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>8} /s"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=True,
        )
    store = open_db(db, settings)
    try:
        if progress is None:
            stats = ingest(
                sources,
                store,
                settings=settings,
                mapping=column_map,
                batch_size=batch_size,
                allow_private=allow_private,
            )
        else:
            total = estimate_total(sources)
            with progress:
                task = progress.add_task("ingest", total=total, rate="")
                started = time.monotonic()
                last = [0.0]

                def update(s: IngestStats) -> None:
                    now = time.monotonic()
                    if now - last[0] < 0.1:
                        return
                    last[0] = now
                    done = s.read + s.skipped
                    rate = done / max(now - started, 1e-9)
                    progress.update(task, completed=done, rate=f"{rate:,.0f}")

                stats = ingest(
                    sources,
                    store,
                    settings=settings,
                    mapping=column_map,
                    batch_size=batch_size,
                    on_progress=update,
                    allow_private=allow_private,
                )
        location = store.location
    finally:
        store.close()
    failed = stats.read == 0 and stats.skipped > 0
    if as_json:
        sys.stdout.write(json.dumps(stats.to_dict(), ensure_ascii=False) + "\n")
    elif not failed:
        _print_summary(err, stats, location)
    if failed:
        # nothing given could be read: an error (exit 2), one line per input, as for compare;
        # a run where some inputs were read keeps exit 0 and reports the rest as skipped
        _print_failures(stats)
        raise typer.Exit(RetoldError.exit_code)


def _printable(text: str) -> str:
    return "".join("?" if unicodedata.category(c) == "Cc" else c for c in text)


def _print_failures(stats: IngestStats) -> None:
    for origin, reason in stats.skipped_examples[:_MAX_ERROR_LINES]:
        sys.stderr.write(_printable(f"retold: error: {origin}: {reason}") + "\n")
    rest = stats.skipped - min(len(stats.skipped_examples), _MAX_ERROR_LINES)
    if rest > 0:
        sys.stderr.write(
            f"retold: error: ... and {rest} more input{'s' if rest != 1 else ''} could not "
            "be read (see --json)\n"
        )


def _print_summary(console: Console, stats: IngestStats, location: str) -> None:
    console.print(
        f"ingested into {location}: read {stats.read}, new {stats.new}, "
        f"duplicates {stats.duplicates}, skipped {stats.skipped}",
        markup=False,
        soft_wrap=True,
    )
    for reason, count in stats.skipped_reasons.most_common(10):
        console.print(f"  skipped {count}x: {reason}", markup=False, soft_wrap=True)
    if len(stats.skipped_reasons) > 10:
        console.print(
            f"  ... and {len(stats.skipped_reasons) - 10} other reasons",
            markup=False,
            soft_wrap=True,
        )
    for origin, reason in stats.skipped_examples[:20]:
        console.print(_printable(f"  {origin}: {reason}"), markup=False, soft_wrap=True)
    if stats.skipped > 20:
        console.print(
            f"  ... {stats.skipped - 20} more skipped (see --json)", markup=False, soft_wrap=True
        )


# --------------------------------------------------------------------------- list / show


def list_cmd(
    db: DbOpt = None,
    limit: Annotated[int, typer.Option(help="At most this many articles.")] = 20,
    offset: Annotated[int, typer.Option(help="Skip this many (newest first).")] = 0,
    site: Annotated[str | None, typer.Option(help="Only articles from this site.")] = None,
    query: Annotated[
        str | None, typer.Option(help="Only articles whose title or text contains this.")
    ] = None,
    fmt: Annotated[ListFormat, typer.Option("--format", "-f")] = ListFormat.table,
    config: ConfigOpt = None,
) -> None:
    """List stored articles, newest first."""
    store = open_db(db, load_settings(config))
    try:
        rows = store.list(limit=limit, offset=offset, site=site, query=query)
        total = store.count(site=site, query=query)
    finally:
        store.close()
    if fmt is ListFormat.json:
        data = [a.to_dict(with_text=False) for a in rows]
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"{len(rows)} of {total} stored articles", title_justify="left")
    for col, kw in (
        ("id", {"justify": "right"}),
        ("title", {"overflow": "fold"}),
        ("site", {}),
        ("published", {}),
        ("words", {"justify": "right"}),
    ):
        table.add_column(col, **kw)
    for a in rows:
        table.add_row(
            str(a.id), a.title or "(untitled)", a.site, a.published or "", str(len(a.text.split()))
        )
    console().print(table, markup=False)


def show_cmd(
    article_id: Annotated[int, typer.Argument(metavar="ID", help="Article id (see retold list).")],
    db: DbOpt = None,
    fmt: Annotated[ShowFormat, typer.Option("--format", "-f")] = ShowFormat.text,
    config: ConfigOpt = None,
) -> None:
    """Show one stored article."""
    store = open_db(db, load_settings(config))
    try:
        article = store.get(article_id)
        location = store.location
    finally:
        store.close()
    if article is None:
        raise RetoldError(f"no article with id {article_id} in {location}")
    if fmt is ShowFormat.json:
        sys.stdout.write(json.dumps(article.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    lines = [f"# {article.title or '(untitled)'}", ""]
    for label, value in (
        ("id", article.id),
        ("site", article.site),
        ("url", article.url),
        ("published", article.published),
        ("origin", article.origin),
        ("ingested", article.ingested_at),
        ("words", len(article.text.split())),
    ):
        if value not in ("", None):
            lines.append(f"{label}: {value}")
    lines += ["", article.text, ""]
    sys.stdout.write("\n".join(lines))


# --------------------------------------------------------------------------- export


def export_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    db: DbOpt = None,
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f")] = ExportFormat.jsonl,
    config: ConfigOpt = None,
) -> None:
    """Export every stored article to JSONL, CSV or Parquet (written atomically)."""
    from retold.store.export import export_articles

    store = open_db(db, load_settings(config))
    try:
        n = export_articles(store, fmt.value, output)
    finally:
        store.close()
    err_console().print(f"exported {n} articles to {output}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``ingest``, ``list``, ``show`` and ``export`` to ``app``."""
    app.command("ingest")(ingest_cmd)
    app.command("list")(list_cmd)
    app.command("show")(show_cmd)
    app.command("export")(export_cmd)
