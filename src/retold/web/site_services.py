"""Site profiles for the web pages and the REST API: the list (paged), one site's profile
with its evidence and copy edges, and the copy network (nodes, edges, communities).

Every answer comes from ``retold.sites.run.sites_from_store`` over the server's store. One
result is kept in ``WebState.sites``, keyed by the judge and a stamp of the store's files
(size and modification time of the SQLite database, and of its WAL while that holds
writes): any write (ingest, grouping, an audit, a source override) changes the stamp, so
the next request recomputes (cheaply: only new or changed audits are reduced, the rest come
from the store's kept findings; a run that kept new findings changes the stamp itself, so
the request after it recomputes once more, reducing nothing). A store that is not a local
file (PostgreSQL) has no cheap stamp: its sites are computed per request (a few tenths of
a second for 1-2k articles).
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Any

from retold.web.errors import ApiError
from retold.web.state import WebState


def _stamp(path: Path | None) -> tuple[Any, ...] | None:
    """Size and mtime of the database file and of its WAL while that holds writes; None:
    no local file. (Opening the store touches an empty WAL, so its mtime alone says
    nothing; a write grows it, and the last connection's close checkpoints it into the
    database file.)"""
    if path is None:
        return None
    out: list[Any] = []
    for name in (str(path), f"{path}-wal"):
        try:
            s = os.stat(name)
        except OSError:
            out.append(None)
        else:
            out.append((s.st_mtime_ns if s.st_size else 0, s.st_size))
    return tuple(out)


def sites_result(st: WebState, judge: str | None = None) -> Any:
    """The store's ``SitesResult`` (cached while the store is unchanged)."""
    from retold.sites.run import sites_from_store

    judge = judge or st.settings.sites_judge or st.settings.judge
    with st.sites_lock:  # one computation at a time; waiting requests then hit the cache
        with st.store() as store:
            stamp = _stamp(store.path)
            key = (stamp, judge)
            if stamp is not None and st.sites is not None and st.sites[0] == key:
                return st.sites[1]
            result = sites_from_store(store, st.settings, judge)
        st.sites = (key, result) if stamp is not None else None
        return result


def _multi_communities(result: Any) -> Counter[int]:
    return Counter(result.community.values())


def _community(p: Any, sizes: Counter[int]) -> int | None:
    """The site's community number; None when it runs with nobody (a community of one)."""
    return p.community if p.community is not None and sizes[p.community] > 1 else None


def _row(p: Any, sizes: Counter[int]) -> dict[str, Any]:
    return {**p.to_dict(), "community": _community(p, sizes)}


def sites_list(st: WebState, limit: int, offset: int, judge: str | None = None) -> dict[str, Any]:
    """One page of site profiles, highest content-farm score first, and the run's counts."""
    result = sites_result(st, judge)
    sizes = _multi_communities(result)
    page = result.profiles[offset : offset + limit]
    return {
        "total": len(result.profiles),
        "counts": result.counts,
        "sites": [_row(p, sizes) for p in page],
    }


def _find(st: WebState, result: Any, site: str) -> Any:
    """The profile of ``site`` as stored, else of its registrable domain (a URL or a
    subdomain names its site as in ``retold sites --site``); 404 when neither exists."""
    from retold.sites.domains import SiteNamer

    p = result.profile(site) or result.profile(SiteNamer(st.settings)(site, site).site)
    if p is None:
        raise ApiError(404, f"no site {site[:100]!r} in the store ({len(result.profiles)} sites)")
    return p


def site_profile(st: WebState, site: str, judge: str | None = None) -> dict[str, Any]:
    """One site's profile with its evidence, whom it retells and who retells it (copy
    edges), and the other sites of its community."""
    from retold.sites.network import edge_rows

    result = sites_result(st, judge)
    p = _find(st, result, site)
    sizes = _multi_communities(result)
    g = result.graph
    rows = edge_rows(g.subgraph({p.site, *g.successors(p.site), *g.predecessors(p.site)}))
    members = sorted(s for s, c in result.community.items() if c == p.community and s != p.site)
    return {
        **_row(p, sizes),
        "retells": [r for r in rows if r["retelling_site"] == p.site],
        "retold_by": [r for r in rows if r["source_site"] == p.site],
        "community_sites": members,
    }


def sites_network(st: WebState, judge: str | None = None) -> dict[str, Any]:
    """The copy network: nodes (site, articles, score, label, community), directed edges
    (retelling site -> source site with stories, verbatim copies, fabrications) and the
    communities of more than one site."""
    from retold.sites.network import edge_rows

    result = sites_result(st, judge)
    sizes = _multi_communities(result)
    nodes = [
        {
            "site": p.site,
            "articles": p.articles,
            "score": round(p.score, 4),
            "label": p.label,
            "community": _community(p, sizes),
        }
        for p in result.profiles
    ]
    members: dict[int, list[str]] = {}
    for site, c in result.community.items():
        if sizes[c] > 1:
            members.setdefault(c, []).append(site)
    groups = [{"id": c, "sites": sorted(members[c])} for c in sorted(members)]
    return {"nodes": nodes, "edges": edge_rows(result.graph), "communities": groups}
