"""Terminal rendering of `retold style`: scores and spans per article."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from retold.report.fmt import num
from retold.types import StyleAnalysis

MAX_SPANS = 12  # per article, highest confidence first, unless --verbose


def _scores_line(a: StyleAnalysis) -> Text:
    s = a.scores
    line = Text("sensationalism ")
    line.append(num(s.sensationalism), style="bold red" if s.sensational else "bold")
    line.append(" · propaganda spans ")
    line.append(str(s.propaganda_spans), style="bold")
    line.append(f" ({num(s.propaganda_per_100_words)} per 100 words)", style="dim")
    line.append(" · machine-rewrite evidence ")
    if s.machine_rewrite is None:
        line.append("none found", style="bold")
    else:
        line.append(num(s.machine_rewrite), style="bold")
        line.append(" (not proof)", style="dim")
    if s.clickbait is not None:
        line.append(" · headline clickbait ")
        line.append(num(s.clickbait), style="bold red" if s.clickbait_flag else "bold")
    line.append("  (0-100)", style="dim")
    return line


def render_style(
    results: list[tuple[str, StyleAnalysis]], console: Console, *, verbose: bool = False
) -> None:
    for origin, a in results:
        head = Text(origin, style="bold")
        head.append(f"  {a.title or '(untitled)'} · {a.word_count} words", style="dim")
        console.print(head)
        console.print(_scores_line(a))
        if a.scores.techniques:
            console.print(
                Text(
                    "techniques: " + ", ".join(f"{k} {v}" for k, v in a.scores.techniques.items()),
                    style="dim",
                )
            )
        spans = sorted(a.spans, key=lambda s: -s.confidence)
        shown = spans if verbose else spans[:MAX_SPANS]
        if shown:
            table = Table(show_edge=False, pad_edge=False)
            for col in ("kind", "label", "text", "conf."):
                table.add_column(col, justify="right" if col == "conf." else "left")
            for s in shown:
                text = s.text if len(s.text) <= 80 else s.text[:79] + "…"
                table.add_row(s.kind, s.label, text, f"{s.confidence:.2f}")
            console.print(table)
            if len(spans) > len(shown):
                console.print(Text(f"… {len(spans) - len(shown)} more (--verbose)", style="dim"))
        console.print()
