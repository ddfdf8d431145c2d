"""Site profiles, the copy network and communities in one pass over observations."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from retold.settings import Settings
from retold.sites.network import communities, copy_graph, edge_rows, tie_graph
from retold.sites.profile import SiteProfile, build_profiles
from retold.sites.records import Observation
from retold.sites.timing import together_pairs
from retold.store.contract import FamilyStore


@dataclass
class SitesResult:
    profiles: list[SiteProfile]  # highest content-farm score first
    graph: nx.DiGraph  # site -> site it retells
    community: dict[str, int]  # site -> community number
    counts: dict[str, int] = field(default_factory=dict)

    def profile(self, site: str) -> SiteProfile | None:
        return next((p for p in self.profiles if p.site == site), None)

    def to_dict(self) -> dict[str, Any]:
        sizes = Counter(self.community.values())
        return {
            "sites": [p.to_dict() for p in self.profiles],
            "edges": edge_rows(self.graph),
            "communities": [
                {"id": c, "sites": sorted(s for s, k in self.community.items() if k == c)}
                for c, n in sorted(sizes.items())
                if n > 1
            ],
            "counts": self.counts,
        }


def analyze_sites(
    observations: list[Observation], settings: Settings, counts: dict[str, int] | None = None
) -> SitesResult:
    pairs = together_pairs(observations, settings)
    synced = {a for p in pairs for a in p[:2]}
    profiles = build_profiles(observations, settings, synced)
    graph = copy_graph(observations)
    community = communities(tie_graph(graph, pairs, settings), settings)
    for p in profiles:
        p.community = community.get(p.site)
    counts = dict(counts or {})
    counts.update(sites=len(profiles), synchronised_pairs=len(pairs))
    return SitesResult(profiles, graph, community, counts)


def sites_from_store(
    store: FamilyStore, settings: Settings | None = None, judge: str | None = None
) -> SitesResult:
    """Site profiles, the copy network and communities of everything in ``store``.

    Args:
        store: an open store, after ingest, families and audit.
        settings: thresholds, weights and site aliases (default ``Settings()``).
        judge: whose stored audits to read (default ``settings.sites_judge`` or ``.judge``).

    Returns:
        A ``SitesResult``: per-site profiles with content-farm scores and their evidence,
        the copy graph and its communities.
    """
    from retold.sites.read import observations_from_store

    settings = settings or Settings()

    obs, counts = observations_from_store(store, settings, judge)
    return analyze_sites(obs, settings, counts)
