"""CLI command for the batch pipeline: ``retold run`` (``register(app)`` adds it)."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from retold.cli.common import ConfigOpt, DbOpt, err_console, load_settings


class Engine(StrEnum):
    local = "local"
    ray = "ray"


def run_cmd(
    inputs: Annotated[
        list[str],
        typer.Argument(help="Input files or folders: .parquet, .jsonl, .csv, .warc(.gz)."),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Output folder (tables in Parquet; replaced whole when the run ends)."
        ),
    ],
    engine: Annotated[
        Engine | None,
        typer.Option("--engine", help="local (this machine) or ray (a Ray cluster)."),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="Ray cluster: auto (the one this machine belongs to) or ray://HOST:PORT; "
            "default: start a local Ray.",
        ),
    ] = None,
    db: DbOpt = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="Dataset columns, e.g. text=body,title=headline."),
    ] = None,
    judge: Annotated[str | None, typer.Option(help="Judge of the member audits.")] = None,
    no_audit: Annotated[
        bool, typer.Option("--no-audit", help="Group and pick sources only.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    config: ConfigOpt = None,
) -> None:
    """Read, sign, group into families, pick sources, audit members and write Parquet tables
    (articles, families, audits, sites), on this machine or on a Ray cluster."""
    from retold.inputs.sources import ColumnMapping
    from retold.pipeline.api import run_pipeline

    settings = load_settings(config, run_judge=judge, run_audit=False if no_audit else None)
    result = run_pipeline(
        inputs,
        out,
        engine=engine.value if engine else None,
        address=address,
        settings=settings,
        mapping=ColumnMapping.parse(mapping),
        db=db,
    )
    if as_json:
        sys.stdout.write(json.dumps(result.to_dict(), indent=2) + "\n")
        return
    c = result.counts
    err_console().print(
        f"run ({result.engine}): {c['articles']} articles ({c['skipped']} skipped), "
        f"{c['families']} families, {c['excluded']} excluded, {c['audits']} audits in "
        f"{result.timings.get('total', 0):.1f} s -> {result.out}",
        markup=False,
    )
    if result.loaded:
        loaded = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in result.loaded.items())
        err_console().print(f"store: {loaded}", markup=False)


def register(app: typer.Typer) -> None:
    """Add ``run`` to ``app``."""
    app.command("run")(run_cmd)
