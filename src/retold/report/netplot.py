"""The copy network as inline SVG (no script, no inline style: colours are presentation
attributes, so the pages' CSP holds): the busiest sites, arrows from a retelling site to
the site it retells, colour by community, red rings on likely content farms. Site names
are user data: every label and tooltip is escaped."""

from __future__ import annotations

from html import escape
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

MAX_DRAWN = 120  # sites drawn (the busiest); the JSON and the exports have all
MAX_LABELLED = 40  # sites named on the picture (the rest in their tooltips)
SIZE = 720
PAD = 60
PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#393b79", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")  # fmt: skip
NO_COMMUNITY = "#bbbbbb"


def _layout(sites: list[str], edges: list[dict[str, Any]]) -> dict[str, tuple[float, float]]:
    """Spring layout (networkx, fixed seed) stretched to fill the picture."""
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(sites)
    for e in edges:
        g.add_edge(e["retelling_site"], e["source_site"], weight=e["stories"])
    if len(g) < 2:
        return {s: (SIZE / 2, SIZE / 2) for s in g}
    pos = nx.spring_layout(g, seed=7, weight="weight", k=2.0 / len(g) ** 0.5)
    xs, ys = [float(x) for x, _ in pos.values()], [float(y) for _, y in pos.values()]
    dx, dy = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    span = SIZE - 2 * PAD
    return {
        s: (PAD + span * (float(x) - min(xs)) / dx, PAD + span * (float(y) - min(ys)) / dy)
        for s, (x, y) in pos.items()
    }


def _radius(articles: int, most: int) -> float:
    return 4.0 + 10.0 * (articles / most) ** 0.5 if most else 4.0


def network_svg(network: dict[str, Any], farm_at: float = 0.5) -> Markup | None:
    """``network`` is ``web.site_services.sites_network``'s dict: its busiest sites that
    retell or are retold (sites alone are in the table only); None when there are none."""
    linked = {s for e in network["edges"] for s in (e["retelling_site"], e["source_site"])}
    nodes = sorted(
        (n for n in network["nodes"] if n["site"] in linked), key=lambda n: -n["articles"]
    )[:MAX_DRAWN]
    if not nodes:
        return None
    drawn = {n["site"] for n in nodes}
    edges = [
        e for e in network["edges"] if e["retelling_site"] in drawn and e["source_site"] in drawn
    ]
    pos = _layout([n["site"] for n in nodes], edges)
    most = max(n["articles"] for n in nodes)
    widest = max((e["stories"] for e in edges), default=1)
    out = [
        f'<svg class="plot network" role="img" xmlns="http://www.w3.org/2000/svg" '
        f'width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" '
        'aria-label="copy network: site to the site it retells">'
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="5" '
        'markerHeight="5" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#888"/></marker></defs>'
    ]
    radius = {n["site"]: _radius(n["articles"], most) for n in nodes}
    out += [_edge(e, pos, radius[e["source_site"]], widest) for e in edges]
    labelled = {n["site"] for n in nodes[:MAX_LABELLED]}
    for n in nodes:
        out.append(_node(n, pos[n["site"]], radius[n["site"]], farm_at))
        if n["site"] in labelled:
            x, y = pos[n["site"]]
            short = n["site"] if len(n["site"]) <= 28 else n["site"][:27] + "…"
            out.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" text-anchor="middle" '
                       f'font-size="10">{escape(short)}</text>')  # fmt: skip
    out.append("</svg>")
    return Markup("".join(out))


def _edge(e: dict[str, Any], pos: dict[str, tuple[float, float]], r: float, widest: int) -> str:
    """An arrow that stops at the rim (radius ``r``) of the retold site's circle."""
    (x1, y1), (x2, y2) = pos[e["retelling_site"]], pos[e["source_site"]]
    length = ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
    if length > r + 2:
        x2, y2 = x2 - (x2 - x1) * (r + 2) / length, y2 - (y2 - y1) * (r + 2) / length
    width = 0.6 + 3.0 * e["stories"] / widest
    tip = (
        f"{e['retelling_site']} retells {e['source_site']}: {e['stories']} stories, "
        f"{e['verbatim']} verbatim, {e['fabrications']} with fabrications"
    )
    return (
        f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#888" '
        f'stroke-opacity="0.5" stroke-width="{width:.2f}" marker-end="url(#arrow)">'
        f"<title>{escape(tip)}</title></line>"
    )


def _node(n: dict[str, Any], xy: tuple[float, float], r: float, farm_at: float) -> str:
    c = n["community"]
    fill = NO_COMMUNITY if c is None else PALETTE[c % len(PALETTE)]
    farm = n["score"] >= farm_at
    ring = ' stroke="#c0392b" stroke-width="2.5"' if farm else ' stroke="#fff" stroke-width="1"'
    tip = (
        f"{n['site']}: {n['articles']} articles, content-farm score {n['score']:.2f}"
        + (f" ({n['label']})" if n["label"] else "")
        + (f", community {c}" if c is not None else "")
    )
    href = escape("/sites/" + quote(n["site"], safe=""))
    return (
        f'<a href="{href}"><circle cx="{xy[0]:.1f}" cy="{xy[1]:.1f}" r="{r:.1f}" '
        f'fill="{fill}"{ring}><title>{escape(tip)}</title></circle></a>'
    )
