"""CLI command ``sites``: site profiles, the copy network and the content-farm score.

Works on the store after ``retold ingest``, ``retold families`` and ``retold audit``.
``register(app)`` adds it to a Typer app (``retold.cli`` calls it).
"""

from __future__ import annotations

import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table

from retold.cli.common import ConfigOpt, DbOpt, console, err_console, load_settings, open_db
from retold.errors import RetoldError


class SitesFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    parquet = "parquet"


_SHORT = {"likely content farm": "farm?", "thin evidence": "thin", "syndication": "synd."}


def _pct(x: float | None) -> str:
    return "" if x is None else f"{100 * x:.0f}%"


def _num(x: float | None, fmt: str = ".1f") -> str:
    return "" if x is None else format(x, fmt)


def sites_cmd(
    db: DbOpt = None,
    fmt: Annotated[SitesFormat, typer.Option("--format", "-f")] = SitesFormat.table,
    site: Annotated[
        str | None, typer.Option("--site", help="One site's profile (a domain or URL).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write JSON/CSV/Parquet here.")
    ] = None,
    network: Annotated[
        Path | None,
        typer.Option(
            "--network", help="Write the copy network here: GraphML, GEXF, CSV and Parquet."
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Write an offline page with pictures (PNG and SVG) here."),
    ] = None,
    judge: Annotated[str | None, typer.Option(help="Judge whose audits are read.")] = None,
    limit: Annotated[int, typer.Option(help="Rows in the table (0: all).")] = 30,
    config: ConfigOpt = None,
) -> None:
    """Per-site profiles: how much a site retells, whom, how fast, how faithfully, and a
    content-farm score with its evidence."""
    from retold.sites.domains import SiteNamer
    from retold.sites.export import to_csv, to_json, write_parquet
    from retold.sites.run import sites_from_store

    if fmt is SitesFormat.parquet and output is None:
        raise RetoldError("--format parquet needs --output FILE")
    settings = load_settings(config)
    store = open_db(db, settings)
    try:
        result = sites_from_store(store, settings, judge)
    finally:
        store.close()
    err = err_console()
    if network is not None:
        from retold.sites.network import export_network

        files = export_network(result.graph, result.community, network)
        err.print(f"network: {', '.join(str(f) for f in files)}", markup=False)
    if html is not None:
        from retold.sites.plots import write_site_pages

        page = write_site_pages(result, html, settings)
        err.print(f"pictures: {page}", markup=False)
    wanted = None
    if site is not None:
        wanted = SiteNamer(settings)(site, site).site
        if result.profile(wanted) is None:
            raise RetoldError(
                f"no site '{wanted}' in the store ({len(result.profiles)} sites; "
                "`retold sites` lists them)"
            )
    if fmt is SitesFormat.parquet:
        profiles = [result.profile(wanted)] if wanted else result.profiles
        write_parquet([p for p in profiles if p is not None], output)  # type: ignore[arg-type]
        err.print(f"wrote {output}", markup=False)
        return
    if fmt in (SitesFormat.json, SitesFormat.csv):
        if fmt is SitesFormat.json:
            text = to_json(result, wanted) + "\n"
        else:
            one = result.profile(wanted) if wanted else None
            text = to_csv([one] if one else result.profiles)
        if output is not None:
            output.write_text(text, encoding="utf-8")
            err.print(f"wrote {output}", markup=False)
        else:
            sys.stdout.write(text)
        return
    if wanted:
        _print_profile(result, wanted)
    else:
        _print_table(result, limit)


def _print_table(result, limit: int) -> None:  # noqa: ANN001 - SitesResult, imported lazily
    out = console()
    c = result.counts
    if not c.get("articles"):
        out.print("no articles in the store: run `retold ingest`, `retold families` and "
                  "`retold audit` first", markup=False)  # fmt: skip
        return
    if not c.get("families"):
        err_console().print("no families yet: run `retold families` (and `retold audit`)",
                            markup=False)  # fmt: skip
    elif not c.get("audited_retellings"):
        err_console().print("no stored audits by this judge: run `retold audit` for fidelity, "
                            "quotes and style", markup=False)  # fmt: skip
    table = Table(
        title=f"{c.get('sites', 0)} sites, {c.get('articles', 0)} articles, "
        f"{c.get('families', 0)} families, {c.get('audited_retellings', 0)} audited retellings",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        padding=(0, 0, 0, 1),
    )
    cols = (
        "site", "score", "label", "arts", "retold", "lag h", "fidel.", "inv.q",
        "sens+", "mach.", "verb.", "sync", "comm",
    )  # fmt: skip
    for col in cols:
        table.add_column(col, justify="left" if col in ("site", "label") else "right", no_wrap=True)
    rows = result.profiles if limit <= 0 else result.profiles[:limit]
    sizes = Counter(result.community.values())  # a community of one is no network
    for p in rows:
        table.add_row(
            p.site,
            f"{p.score:.2f}",
            _SHORT.get(p.label, p.label),
            str(p.articles),
            _pct(p.retell_share),
            _num(p.lag_median_h) + ("*" if p.lag_basis == "first-seen" else ""),
            _pct(p.fidelity),
            _pct(p.invented_rate) if p.audited else "",
            _num(p.sensational_rise, "+.1f") if p.audited else "",
            _pct(p.machine_rate) if p.audited else "",
            _pct(p.verbatim_rate) if p.audited else "",
            _pct(p.sync_share) if p.retellings else "",
            str(p.community) if p.community is not None and sizes[p.community] > 1 else "",
        )
    out.print(table, markup=False)
    if len(rows) < len(result.profiles):
        out.print(f"... {len(result.profiles) - len(rows)} more (--limit 0: all)", markup=False)
    out.print(
        "score: content-farm score (farm?: likely content farm; thin: too few audited "
        "retellings to say; synd.: verbatim syndication); retold: share of the site's "
        "articles that retell another's story; lag h: median hours behind the source (*: "
        "from first-seen times, no published dates); fidel., inv.q, sens+, mach., verb., "
        "sync: fidelity, invented quotes, sensationalism rise, machine rewrites, verbatim "
        "copies and synchronised publishing among its audited retellings; comm: community. "
        "`retold sites --site S` for one profile.",
        markup=False,
    )


def _print_profile(result, site: str) -> None:  # noqa: ANN001
    p = result.profile(site)
    out = console()
    ev = p.evidence
    members = sorted(s for s, c in result.community.items() if c == p.community and s != site)
    lines = [
        f"{p.site}: content-farm score {p.score:.2f}" + (f" ({p.label})" if p.label else ""),
        f"  articles {p.articles}: {p.sources} family sources, {p.retellings} retellings, "
        f"{p.alone} alone ({_pct(p.retell_share)} retellings)",
        "  retells: " + (", ".join(f"{s} ({n})" for s, n in p.top_sources) or "nobody"),
        f"  lag behind the source: median {_num(p.lag_median_h)} h, p90 {_num(p.lag_p90_h)} h"
        + (f" (from {p.lag_basis} times)" if p.lag_basis else " (no dates)"),
        f"  audited retellings {p.audited}: fidelity {_pct(p.fidelity) or 'n/a'} "
        f"({ev['unsupported_claims']} unsupported, {ev['contradicted_claims']} contradicted "
        f"claims), invented quotes in {_pct(p.invented_rate)} ({ev['invented_quotes']} quotes, "
        f"{ev['altered_quotes']} altered)",
        f"  style: sensationalism {_num(p.sensationalism)} (rise over source "
        f"{_num(p.sensational_rise, '+.1f')}), machine rewrites {_pct(p.machine_rate)}",
        f"  copying: verbatim {_pct(p.verbatim_rate)} ({ev['verbatim_copies']}), in sync with "
        f"another site {_pct(p.sync_share)} ({ev['synchronised_retellings']})",
        "  score parts: " + ", ".join(f"{k} {v:.2f}" for k, v in p.score_parts.items()),
        "  evidence families: "
        + (" ".join(str(f) for f in ev["families"]) or "none")
        + " (`retold families --family ID`)",
        (f"  community {p.community}: " + ", ".join(members))
        if members
        else "  community: none (no tie to another site)",
    ]
    if p.shortener_links:
        lines.append(f"  {p.shortener_links} articles came by short links: the outlet is unknown")
    for line in lines:
        out.print(line, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``sites`` to ``app``."""
    app.command("sites")(sites_cmd)
