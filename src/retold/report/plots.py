"""Small server-side plots as inline SVG (no script, no CDN): horizontal bars with labels,
for a family's fidelity per member or an article's style scores. Labels are escaped;
values clamped."""

from __future__ import annotations

from html import escape
from typing import Any

from markupsafe import Markup

ROW = 22
LABEL_W = 260
BAR_W = 360


def bars(
    items: list[tuple[str, float | None]],
    *,
    maximum: float = 1.0,
    title: str = "",
    fmt: str = "{:.0%}",
    colour: str = "#1f5fa8",
) -> Markup:
    """One bar per (label, value); ``None`` values are drawn as "n/a"."""
    height = ROW * len(items) + (ROW if title else 0) + 6
    width = LABEL_W + BAR_W + 70
    out = [
        f'<svg class="plot" role="img" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-label="{escape(title)}">'
    ]
    y = 0
    if title:
        out.append(f'<text x="0" y="14" font-weight="600">{escape(title)}</text>')
        y = ROW
    for label, value in items:
        short = label if len(label) <= 42 else label[:41] + "…"
        out.append(f'<text x="{LABEL_W - 8}" y="{y + 15}" text-anchor="end">{escape(short)}</text>')
        if value is None:
            out.append(f'<text x="{LABEL_W}" y="{y + 15}">n/a</text>')
        else:
            frac = min(max(float(value) / maximum, 0.0), 1.0) if maximum else 0.0
            w = max(round(frac * BAR_W), 1)
            out.append(
                f'<rect x="{LABEL_W}" y="{y + 4}" width="{w}" height="{ROW - 8}" '
                f'fill="{colour}" rx="2"><title>{escape(label)}: '
                f"{escape(fmt.format(value))}</title></rect>"
            )
            out.append(
                f'<text x="{LABEL_W + w + 6}" y="{y + 15}">{escape(fmt.format(value))}</text>'
            )
        y += ROW
    out.append("</svg>")
    return Markup("".join(out))


def fidelity_plot(fam: dict[str, Any]) -> Markup | None:
    """Bars of each audited member's fidelity to the source (None before any audit);
    ``fam`` is a ``retold.family.summary.family_view`` dict."""
    audited = [m for m in fam["members"] if "audit" in m]
    if not audited:
        return None
    items = [
        (f"#{m['id']} {m.get('site') or m.get('title') or ''}".strip(), m["audit"]["fidelity"])
        for m in audited
    ]
    return bars(items, title="Fidelity to the source per retelling")


def style_plot(scores: dict[str, Any]) -> Markup:
    """Bars of an article's style scores (0-100), from ``StyleAnalysis.to_dict()["scores"]``."""
    return bars(
        [
            ("sensationalism", scores["sensationalism"]),
            ("machine-rewrite evidence (not proof)", scores["machine_rewrite"]),
            ("headline clickbait", scores["clickbait"]),
        ],
        maximum=100,
        fmt="{:.0f}",
        title="How it is told (0-100)",
    )
