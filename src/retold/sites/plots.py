"""Pictures of the sites (matplotlib, no display): volume against fidelity sized by
invented quotes, the lag histogram and the copy network, as PNG and SVG, with an offline
``index.html`` that shows them above the profile table."""

from __future__ import annotations

import html
from pathlib import Path

from retold.settings import Settings
from retold.sites.run import SitesResult

MAX_DRAWN = 300  # sites drawn in the network picture (the most active ones)
MIN_DRAWN_STORIES = 3  # lighter edges are left out of the picture (not of the exports)


def _pyplot():  # noqa: ANN202
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def _save(fig, folder: Path, name: str) -> list[str]:  # noqa: ANN001
    """Write ``fig`` as PNG and SVG, then close it (also when writing fails)."""
    out = []
    try:
        for ext in ("png", "svg"):
            fig.savefig(folder / f"{name}.{ext}", dpi=110, bbox_inches="tight")
            out.append(f"{name}.{ext}")
    finally:
        _pyplot().close(fig)
    return out


def scatter(result: SitesResult, folder: Path, settings: Settings) -> list[str]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 5))
    ps = [p for p in result.profiles if p.fidelity is not None]
    farm = [p.score >= settings.sites_farm_at for p in ps]
    ax.scatter(
        [p.articles for p in ps],
        [p.fidelity for p in ps],
        s=[20 + 15 * p.invented_quotes for p in ps],
        c=["#c0392b" if f else "#2c7fb8" for f in farm],
        alpha=0.6,
    )
    for p in sorted(ps, key=lambda p: -p.score)[:12]:
        ax.annotate(p.site, (p.articles, p.fidelity), fontsize=7)
    ax.set_xscale("log")
    ax.set_xlabel("articles (log)")
    ax.set_ylabel("fidelity (1 - unsupported share of retold claims)")
    ax.set_title("sites: volume vs fidelity (size: invented quotes; red: likely farm)")
    return _save(fig, folder, "scatter")


def lag_histogram(result: SitesResult, folder: Path) -> list[str]:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    lags = [p.lag_median_h for p in result.profiles if p.lag_median_h is not None]
    ax.hist(lags, bins=40, color="#555")
    ax.set_xlabel("median lag behind the source (hours)")
    ax.set_ylabel("sites")
    ax.set_title("how long after the source a site retells it")
    return _save(fig, folder, "lag")


def network_picture(result: SitesResult, folder: Path) -> list[str]:
    """The busiest sites; edges that carry at least ``MIN_DRAWN_STORIES`` retellings (the
    full graph is in the exports); sites of one multi-site community share a colour."""
    from collections import Counter

    import networkx as nx

    plt = _pyplot()
    g = result.graph
    keep = sorted(g.nodes, key=lambda n: -g.degree(n, weight="stories"))[:MAX_DRAWN]
    h = nx.DiGraph(
        (a, b, d)
        for a, b, d in g.subgraph(keep).edges(data=True)
        if d["stories"] >= MIN_DRAWN_STORIES or d["verbatim"]
    )
    h.add_nodes_from(keep)
    sizes = Counter(result.community.values())
    multi = sorted({c for c, n in sizes.items() if n > 1})
    palette = plt.get_cmap("tab20")
    colour = {c: palette(i % 20) for i, c in enumerate(multi)}
    fig, ax = plt.subplots(figsize=(9, 9))
    pos = nx.spring_layout(h.to_undirected(), seed=7, weight="stories") if len(h) else {}
    nx.draw_networkx_edges(
        h, pos, ax=ax, alpha=0.25, arrows=True, arrowsize=6, edge_color="#777",
        width=[0.3 + min(3.0, d["stories"] / 10) for _, _, d in h.edges(data=True)],
    )  # fmt: skip
    nx.draw_networkx_nodes(
        h, pos, ax=ax, node_size=45,
        node_color=[colour.get(result.community.get(n, -1), "#bbb") for n in h.nodes],
    )  # fmt: skip
    if h.number_of_nodes() <= 60:
        nx.draw_networkx_labels(h, pos, ax=ax, font_size=7)
    ax.set_title(
        "copy network: site -> the site it retells "
        f"(edges of >= {MIN_DRAWN_STORIES} stories; colour: community, grey: none)"
    )
    ax.axis("off")
    return _save(fig, folder, "network")


def write_site_pages(result: SitesResult, folder: Path, settings: Settings) -> Path:
    """Pictures plus ``index.html`` (pictures, then the profile table). Returns the page."""
    from retold.sites.export import COLUMNS, flat_row

    folder.mkdir(parents=True, exist_ok=True)
    pics = scatter(result, folder, settings) + lag_histogram(result, folder)
    pics += network_picture(result, folder)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    rows = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in flat_row(p).values()) + "</tr>"
        for p in result.profiles
    )
    imgs = "".join(f'<p><img src="{f}" alt="{f}"></p>' for f in pics if f.endswith(".png"))
    page = folder / "index.html"
    page.write_text(
        "<!doctype html><meta charset='utf-8'><title>retold: sites</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 6px;font-size:12px}"
        "img{max-width:100%}</style><h1>Sites</h1>"
        f"{imgs}<table><tr>{head}</tr>{rows}</table>",
        encoding="utf-8",
    )
    return page
