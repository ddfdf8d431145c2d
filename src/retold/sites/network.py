"""The copy network: who retells whom, and which sites run together.

``copy_graph``: a weighted directed graph, site -> the site whose story it retells, with
``stories`` (retellings), ``verbatim`` (verbatim copies) and ``fabrications`` (retellings
with an invented quote or an unsupported claim) on each edge.

``communities``: sites that run together. Their tie is evidence of coordination, not of
covering the same news: synchronised retellings of one story (``sites.timing``) and
verbatim copies. Ties lighter than ``sites_community_min_weight`` are dropped (chance),
then Louvain modularity groups the rest; a site with no tie is a community of its own.
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
        if not g.has_node(o.site):
            g.add_node(o.site)
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
    """Undirected ties: one per synchronised pair of retellings, one per verbatim copy."""
    g = nx.Graph()
    g.add_nodes_from(copies.nodes)
    for _, _, a, b, _ in pairs:
        w = g.edges[a, b]["weight"] + 1.0 if g.has_edge(a, b) else 1.0
        g.add_edge(a, b, weight=w)
    for a, b, data in copies.edges(data=True):
        if data["verbatim"]:
            w = g.edges[a, b]["weight"] if g.has_edge(a, b) else 0.0
            g.add_edge(a, b, weight=w + data["verbatim"])
    weak = [(a, b) for a, b, w in g.edges(data="weight") if w < settings.sites_community_min_weight]
    g.remove_edges_from(weak)
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
