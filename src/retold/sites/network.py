"""The copy network: who retells whom, and which sites run together.

``copy_graph``: a weighted directed graph, site -> the site whose story it retells, with
``stories`` (retellings), ``verbatim`` (verbatim copies) and ``fabrications`` (retellings
with an invented quote or an unsupported claim) on each edge.

``communities``: sites that run together. Their tie is evidence of coordination, not of
covering the same news: synchronised retellings of one story (``sites.timing``) and
verbatim copies. Ties weaker than ``sites_community_min_tie`` (relative to the sites'
volume) or ``_min_count`` are dropped (chance), then Louvain modularity groups the
rest; a site with no tie is a community of its own.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import networkx as nx

from retold.settings import Settings
from retold.sites.records import RETELLING, Observation

EDGE_COLUMNS = ("retelling_site", "source_site", "stories", "verbatim", "fabrications")


def copy_graph(observations: Iterable[Observation]) -> nx.DiGraph:
    g = nx.DiGraph()
    for o in observations:
        if g.has_node(o.site):
            g.nodes[o.site]["articles"] += 1
        else:
            g.add_node(o.site, articles=1)
        if o.role != RETELLING or not o.source_site or o.source_site == o.site:
            continue
        if g.has_edge(o.site, o.source_site):
            e = g.edges[o.site, o.source_site]
        else:
            g.add_edge(o.site, o.source_site, stories=0, verbatim=0, fabrications=0)
            e = g.edges[o.site, o.source_site]
        e["stories"] += 1
        if o.findings is not None:
            e["verbatim"] += int(o.findings.verbatim)
            e["fabrications"] += int(o.findings.fabricated)
    return g


def tie_graph(
    copies: nx.DiGraph, pairs: Iterable[tuple[int, int, str, str, int]], settings: Settings
) -> nx.Graph:
    """Undirected ties: stories two sites retold in sync (each story once) plus verbatim
    copies between them, as ``count``; ``weight`` is the count over the geometric mean of
    the two sites' article counts, so a busy outlet that once or twice happened to retell
    a story at a farm's minute is not tied to it."""
    shared: dict[tuple[str, str], set[int]] = {}
    for _, _, a, b, fam in pairs:
        shared.setdefault((min(a, b), max(a, b)), set()).add(fam)
    count: dict[tuple[str, str], float] = {k: float(len(v)) for k, v in shared.items()}
    for a, b, data in copies.edges(data=True):
        if data["verbatim"]:
            key = (min(a, b), max(a, b))
            count[key] = count.get(key, 0.0) + data["verbatim"]
    g = nx.Graph()
    g.add_nodes_from(copies.nodes)
    for (a, b), n in count.items():
        size = (copies.nodes[a].get("articles", 1) * copies.nodes[b].get("articles", 1)) ** 0.5
        w = n / max(size, 1.0)
        if n >= settings.sites_community_min_count and w >= settings.sites_community_min_tie:
            g.add_edge(a, b, weight=w, count=n)
    return g


def communities(ties: nx.Graph, settings: Settings) -> dict[str, int]:
    """site -> community number (0 = the largest); singletons get their own numbers."""
    groups: list[set[str]] = []
    linked = ties.subgraph([n for n in ties.nodes if ties.degree(n) > 0])
    if linked.number_of_edges():
        groups = [
            set(c)
            for c in nx.community.louvain_communities(
                linked,
                weight="weight",
                resolution=settings.sites_community_resolution,
                seed=settings.sites_community_seed,
            )
        ]
    groups += [{n} for n in ties.nodes if ties.degree(n) == 0]
    groups.sort(key=lambda c: (-len(c), min(c)))
    return {site: i for i, c in enumerate(groups) for site in c}


def edge_rows(g: nx.DiGraph) -> list[dict[str, Any]]:
    rows = [
        {"retelling_site": a, "source_site": b, **{k: d[k] for k in EDGE_COLUMNS[2:]}}
        for a, b, d in g.edges(data=True)
    ]
    rows.sort(key=lambda r: (-r["stories"], r["retelling_site"], r["source_site"]))
    return rows


def export_network(g: nx.DiGraph, community: dict[str, int], folder: Path) -> list[Path]:
    """GraphML and GEXF (Gephi) with a ``community`` node attribute, CSV and Parquet edge
    lists. Returns the files written."""
    import csv

    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    h = g.copy()
    for n in h.nodes:
        h.nodes[n]["community"] = community.get(n, -1)
    out = [folder / "sites.graphml", folder / "sites.gexf", folder / "edges.csv"]
    nx.write_graphml(h, out[0])
    nx.write_gexf(h, out[1])
    rows = edge_rows(g)
    with out[2].open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(EDGE_COLUMNS))
        w.writeheader()
        w.writerows(rows)
    table = pa.table({c: [r[c] for r in rows] for c in EDGE_COLUMNS})
    out.append(folder / "edges.parquet")
    pq.write_table(table, out[-1])
    return out
