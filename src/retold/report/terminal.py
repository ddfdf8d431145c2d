"""Terminal report (rich), rendered from the audit dict (the JSON contract) only.

Article text is always put into ``rich.text.Text`` objects (never parsed as markup), so an
article containing ``[bold]`` prints literally.
"""

from __future__ import annotations

from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from retold.report.fmt import num, pct

CLAIM_STYLES = {
    "supported": "green",
    "unsupported": "yellow",
    "contradicted": "bold red",
    "boilerplate": "dim",
}
QUOTE_STYLES = {
    "verbatim": "green",
    "altered": "dark_orange",
    "indirect": "blue",
    "misattributed": "magenta",
    "unsourced": "bold red",
}
CLAIM_ORDER = ("contradicted", "unsupported", "supported", "boilerplate")
QUOTE_ORDER = ("unsourced", "misattributed", "altered", "indirect", "verbatim")
_CLAIM_RANK = {v: i for i, v in enumerate(CLAIM_ORDER)}
_QUOTE_RANK = {v: i for i, v in enumerate(QUOTE_ORDER)}
MAX_OMISSIONS = 8
MAX_STYLE_SPANS = 6


def _short(text: str | None, limit: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _best_evidence(evidence: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    items = [e for e in evidence or [] if e.get("side", "source") == "source"]
    if not items:
        return None
    return max(items, key=lambda e: e.get("score") if e.get("score") is not None else -1.0)


def _verdict(verdict: str, styles: dict[str, str]) -> Text:
    return Text(verdict, style=styles.get(verdict, "bold"))


def diff_text(diff: list[dict[str, Any]], limit: int = 160) -> Text:
    """Compact inline word diff: ``[-old-]{+new+}`` (styled), shortened to about ``limit``."""
    out = Text()
    for op in diff:
        if out.cell_len > limit:
            out.append(" …", style="dim")
            break
        if len(out):
            out.append(" ")
        kind, old, new = op.get("op"), op.get("source", ""), op.get("retelling", "")
        if kind == "equal":
            out.append(_short(old, 40))
        if kind in ("delete", "replace"):
            out.append("[-" + old + "-]", style="red strike")
        if kind in ("insert", "replace"):
            out.append("{+" + new + "+}", style="green")
    return out


def _header(data: dict[str, Any]) -> Panel:
    src, ret = data.get("source") or {}, data.get("retelling") or {}
    summary = data.get("summary") or {}
    style = data.get("style") or {}
    fidelity = summary.get("fidelity", 0) or 0
    fid_style = "green" if fidelity >= 0.75 else ("yellow" if fidelity >= 0.5 else "red")

    lines = Text()
    lines.append("Retelling  ", style="dim")
    lines.append(ret.get("title") or "(untitled)", style="bold")
    lines.append(f"  {ret.get('word_count', 0)} words", style="dim")
    lines.append("\nSource     ", style="dim")
    lines.append(src.get("title") or "(untitled)", style="bold")
    lines.append(f"  {src.get('word_count', 0)} words", style="dim")
    lines.append("\n\nFidelity   ")
    lines.append(pct(fidelity), style=f"bold {fid_style}")
    lines.append(f"   relatedness {pct(summary.get('relatedness', 0))}", style="dim")
    if summary.get("same_story") is not None:
        lines.append(f", same story {pct(summary['same_story'])}", style="dim")

    lines.append("\nClaims     ")
    _counts(lines, summary.get("claims") or {}, CLAIM_ORDER, CLAIM_STYLES)
    lines.append("\nQuotes     ")
    _counts(lines, summary.get("quotes") or {}, QUOTE_ORDER, QUOTE_STYLES)
    lines.append("\nChanges    ")
    lines.append(str(summary.get("changes", len(data.get("changes") or []))), style="bold")
    lines.append("   Omissions ")
    lines.append(str(summary.get("omissions", len(data.get("omissions") or []))), style="bold")
    lines.append("   Style ")
    lines.append(f"{num(style.get('source_score'))} → {num(style.get('retelling_score'))} of 100")
    delta = summary.get("style_delta") or 0
    lines.append(
        f" ({num(delta) if delta <= 0 else '+' + num(delta)})",
        style="red" if delta > 0 else "dim",
    )

    parts: list[Any] = [lines]
    if not summary.get("related", True):
        parts.append(
            Text(
                "\n⚠ This does not appear to retell the source: "
                "the findings compare unrelated texts.",
                style="bold white on red",
            )
        )
    return Panel(Group(*parts), title="[bold]retold audit[/]", title_align="left", box=box.ROUNDED)


def _counts(
    out: Text, counts: dict[str, int], order: tuple[str, ...], styles: dict[str, str]
) -> None:
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    for i, key in enumerate(keys):
        if i:
            out.append(" · ", style="dim")
        n = counts.get(key, 0)
        out.append(f"{n} ", style="bold" if n else "dim")
        out.append(key, style=styles.get(key, "") if n else "dim")


def _claims_table(claims: list[dict[str, Any]], verbose: bool) -> Table | Text:
    # page furniture is counted in the summary line, listed only with --verbose
    shown = [c for c in claims if verbose or c.get("verdict") not in ("supported", "boilerplate")]
    if not shown:
        return Text("✓ Every claim is supported by the source.", style="green")
    shown.sort(key=lambda c: (_CLAIM_RANK.get(c.get("verdict"), 1), -(c.get("confidence") or 0)))
    title = "Claims" if verbose else "Claims not supported by the source"
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=True, show_lines=False
    )
    table.add_column("Verdict", no_wrap=True, width=12)
    table.add_column("Conf", justify="right", no_wrap=True, width=4)
    table.add_column("Claim (retelling)", ratio=3, overflow="fold")
    table.add_column("Best evidence (source)", ratio=2, overflow="fold")
    for c in shown:
        best = _best_evidence(c.get("evidence"))
        claim = Text(_short(c.get("text"), 220))
        if verbose and c.get("reasons"):
            claim.append("\n" + "; ".join(c["reasons"]), style="dim")
        table.add_row(
            _verdict(c.get("verdict", ""), CLAIM_STYLES),
            pct(c.get("confidence")),
            claim,
            Text(_short(best.get("text"), 120), style="dim") if best else Text("—", style="dim"),
        )
    return table


def _quotes_table(quotes: list[dict[str, Any]], verbose: bool) -> Table | Text:
    if not quotes:
        return Text("No quotes in the retelling.", style="dim")
    shown = sorted(
        quotes, key=lambda q: (_QUOTE_RANK.get(q.get("verdict"), 0), q.get("start") or 0)
    )
    table = Table(title="Quotes", title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("Verdict", no_wrap=True, width=13)
    table.add_column("Speaker", ratio=2, overflow="fold")
    table.add_column("In source", ratio=2, overflow="fold")
    table.add_column("Quote / diff (source → retelling)", ratio=5, overflow="fold")
    table.add_column("Conf", justify="right", no_wrap=True, width=4)
    for q in shown:
        verdict = q.get("verdict", "")
        if verdict == "altered" and q.get("diff"):
            body = diff_text(q["diff"], 400 if verbose else 160)
        else:
            body = Text("“" + _short(q.get("text"), 400 if verbose else 140) + "”")
        if verbose and q.get("reasons"):
            body.append("\n" + "; ".join(q["reasons"]), style="dim")
        src_speaker = Text(q.get("source_speaker") or "—")
        if verdict == "misattributed":
            src_speaker.stylize("bold magenta")
        table.add_row(
            _verdict(verdict, QUOTE_STYLES),
            Text(q.get("speaker") or "—"),
            src_speaker,
            body,
            pct(q.get("confidence")),
        )
    return table


def _changes_table(changes: list[dict[str, Any]]) -> Table | None:
    if not changes:
        return None
    table = Table(
        title="Changed numbers and names", title_justify="left", box=box.SIMPLE_HEAD, expand=True
    )
    table.add_column("Kind", no_wrap=True, width=12)
    table.add_column("Source", ratio=2, overflow="fold")
    table.add_column("Retelling", ratio=2, overflow="fold")
    table.add_column("Note", ratio=3, overflow="fold")
    table.add_column("Conf", justify="right", no_wrap=True, width=4)
    for ch in changes:
        table.add_row(
            Text(ch.get("kind", ""), style="magenta"),
            Text(_short(ch.get("source_text"), 80), style="red"),
            Text(_short(ch.get("retelling_text"), 80), style="green"),
            Text(_short(ch.get("note"), 160), style="dim"),
            pct(ch.get("confidence")),
        )
    return table


def _omissions_table(omissions: list[dict[str, Any]], verbose: bool) -> Table | None:
    if not omissions:
        return None
    ranked = sorted(omissions, key=lambda o: -(o.get("importance") or 0))
    shown = ranked if verbose else ranked[:MAX_OMISSIONS]
    title = "Left out of the retelling"
    if len(shown) < len(ranked):
        title += f" (top {len(shown)} of {len(ranked)}; --verbose for all)"
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, expand=True)
    table.add_column("Imp.", justify="right", no_wrap=True, width=4)
    table.add_column("Source text", ratio=3, overflow="fold")
    table.add_column("Why it matters", ratio=2, overflow="fold")
    for o in shown:
        table.add_row(
            pct(o.get("importance")),
            Text(_short(o.get("text"), 400 if verbose else 180)),
            Text("; ".join(o.get("reasons") or []), style="dim"),
        )
    return table


def _style_line(data: dict[str, Any], verbose: bool) -> Group:
    style = data.get("style") or {}
    summary = data.get("summary") or {}
    delta = summary.get("style_delta") or 0
    line = Text("Style ", style="bold")
    line.append(f"({style.get('method', '')}) ", style="dim")
    line.append(f"sensationalism: source {num(style.get('source_score'))} → retelling ")
    line.append(num(style.get("retelling_score")), style="bold")
    line.append(" of 100 ")
    line.append(f"({'+' if delta > 0 else ''}{num(delta)})", style="red" if delta > 0 else "dim")
    if style.get("more_sensational"):
        line.append("  more sensational than the source", style="bold red")
    rows = [line]
    src, ret = style.get("source_scores"), style.get("retelling_scores")
    if src and ret:
        more = Text("  ")
        more.append(
            f"propaganda spans {src['propaganda_spans']} → {ret['propaganda_spans']} · "
            f"machine-rewrite evidence {num(src['machine_rewrite'])} → "
            f"{num(ret['machine_rewrite'])} (not proof)",
            style="dim",
        )
        if src.get("clickbait") is not None and ret.get("clickbait") is not None:
            more.append(
                f" · headline clickbait {num(src['clickbait'])} → {num(ret['clickbait'])}",
                style="dim",
            )
        new_tech = style.get("new_techniques") or {}
        if new_tech:
            more.append(
                "\n  new techniques: " + ", ".join(f"{k} {v}" for k, v in new_tech.items()),
                style="dim",
            )
        rows.append(more)
    spans = [
        s
        for s in style.get("spans") or []
        if s.get("new") and s.get("side", "retelling") == "retelling"
    ]
    if spans:
        seen: set[str] = set()
        picked = []
        for s in sorted(spans, key=lambda s: -float(s.get("confidence") or 0)):
            key = (s.get("text") or "").lower()
            if key not in seen:
                seen.add(key)
                picked.append(s)
        limit = len(picked) if verbose else MAX_STYLE_SPANS
        more = Text("new in retelling: ", style="dim")
        for i, s in enumerate(picked[:limit]):
            if i:
                more.append(", ", style="dim")
            more.append("“" + _short(s.get("text"), 40) + "”", style="underline")
            more.append(f" ({s.get('label', '')})", style="dim")
        if len(picked) > limit:
            more.append(f", … {len(picked) - limit} more", style="dim")
        rows.append(Padding(more, (0, 0, 0, 2)))
    return Group(*rows)


def render_terminal(data: dict[str, Any], console: Console, *, verbose: bool = False) -> None:
    """Print the audit dict as a rich report (readable at 100 columns)."""
    console.print(_header(data))
    console.print(_claims_table(data.get("claims") or [], verbose))
    console.print(_quotes_table(data.get("quotes") or [], verbose))
    for table in (
        _changes_table(data.get("changes") or []),
        _omissions_table(data.get("omissions") or [], verbose),
    ):
        if table is not None:
            console.print(table)
    console.print(_style_line(data, verbose))
    notes = data.get("notes") or []
    if notes:
        console.print(Text("\n".join("note: " + n for n in notes), style="dim"))
    gen = data.get("generator") or {}
    console.print(
        Text(
            f"retold {gen.get('version', '')} · judge {gen.get('judge', '')} · "
            f"schema {data.get('schema_version', '')}",
            style="dim",
        )
    )
