"""Site tables of a pipeline run: every article reduced to a ``sites.records.Observation``
(as ``sites.read`` does for a store, from the run's member rows and their audits'
findings), then ``sites.run.analyze_sites``: profiles with the content-farm score, the
copy graph and its communities. Articles without a date have no time (a run keeps no
first-seen times)."""

from __future__ import annotations

import json
from typing import Any

from retold.settings import Settings
from retold.sites.domains import SiteNamer
from retold.sites.findings import findings_from_reduced
from retold.sites.read import PUBLISHED, epoch
from retold.sites.records import ALONE, RETELLING, SOURCE, Observation
from retold.sites.run import SitesResult, analyze_sites


def observations(
    members: list[dict[str, Any]], meta: list[dict[str, Any]], settings: Settings
) -> list[Observation]:
    """One observation per article: ``members`` are the family stage's rows, ``meta`` the
    (id, url, site, published) of every article read."""
    name = SiteNamer(settings)
    by_id = {m["id"]: m for m in meta}
    sources = {r["family"]: r["source"] for r in members}
    out: list[Observation] = []
    placed = set()
    # a family's source first, as the store's families list it (the copy graph meets the
    # source's site before an edge to it)
    for r in sorted(members, key=lambda r: (r["family"], not r["is_source"], r["article"])):
        aid, src = r["article"], sources[r["family"]]
        placed.add(aid)
        s = name(r["url"], r["site"])
        role = SOURCE if aid == src else (RETELLING if src >= 0 else ALONE)
        when = epoch(r["published"])
        lag = None
        if role == RETELLING and when is not None:
            src_when = epoch(by_id[src]["published"]) if src in by_id else None
            lag = when - src_when if src_when is not None else None
        src_row = by_id.get(src, {})
        out.append(
            Observation(
                article=aid,
                site=s.site,
                role=role,
                family=r["family"],
                source_article=src if role == RETELLING else None,
                source_site=name(src_row.get("url", ""), src_row.get("site", "")).site
                if role == RETELLING
                else "",
                when=when,
                when_basis=PUBLISHED if when is not None else "",
                lag_s=lag,
                lag_basis=PUBLISHED if lag is not None else "",
                shortener=s.shortener,
                findings=findings_from_reduced(json.loads(r["findings"]), settings)
                if r["findings"]
                else None,
            )
        )
    for m in sorted(meta, key=lambda m: m["id"]):
        if m["id"] not in placed:
            s = name(m["url"], m["site"])
            out.append(Observation(article=m["id"], site=s.site, role=ALONE, shortener=s.shortener))
    return out


def site_tables(
    members: list[dict[str, Any]], meta: list[dict[str, Any]], settings: Settings
) -> SitesResult:
    obs = observations(members, meta, settings)
    audited = sum(o.findings is not None for o in obs)
    families = len({r["family"] for r in members})
    counts = {"articles": len(meta), "families": families, "audited_retellings": audited}
    return analyze_sites(obs, settings, counts)
