"""Everything ``retold.sites`` reads from the store, in one place: families (through
``family.load_from_store``), article metadata, first-seen times and stored audits, turned
into ``Observation`` rows. Nothing else in the package touches the store."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from retold.family.upkeep import load_from_store
from retold.settings import Settings
from retold.sites.domains import SiteNamer
from retold.sites.findings import findings_from_audit
from retold.sites.records import ALONE, RETELLING, SOURCE, Observation
from retold.store.contract import FamilyStore

PUBLISHED, FIRST_SEEN = "published", "first-seen"


def epoch(value: str | None) -> float | None:
    """ISO 8601 (a trailing Z, a date alone, no zone = UTC) as epoch seconds; else None."""
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def observations_from_store(
    store: FamilyStore,
    settings: Settings,
    judge: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[Observation], dict[str, int]]:
    """One observation per stored article, and counts for the report's footer."""
    judge = judge or settings.sites_judge or settings.judge
    name = SiteNamer(settings)
    meta = store.article_meta()
    fams = load_from_store(store)
    seen_at: dict[int, float | None] = {}

    def published(aid: int) -> float | None:
        return epoch(meta[aid].published) if aid in meta else None

    def first_seen(aid: int) -> float | None:
        """Read only for articles without a published date (one row each)."""
        if aid not in seen_at:
            a = store.get(aid)
            seen_at[aid] = epoch(a.ingested_at) if a is not None else None
        return seen_at[aid]

    obs: list[Observation] = []
    placed: set[int] = set()
    audited = 0
    for n, fam in enumerate(fams.families, 1):
        audits = store.family_audits(fam.id, judge) if fam.source is not None else {}
        src = fam.source
        src_site = name(meta[src].url, meta[src].site).site if src in meta else ""
        src_pub = published(src) if src is not None else None
        for m in fam.members:
            placed.add(m.id)
            s = name(m.url, m.site)
            pub = published(m.id)
            t, basis = (pub, PUBLISHED) if pub is not None else (first_seen(m.id), FIRST_SEEN)
            lag, lag_basis = None, ""
            if src is not None and m.id != src:
                if pub is not None and src_pub is not None:
                    lag, lag_basis = pub - src_pub, PUBLISHED
                else:
                    a, b = first_seen(m.id), first_seen(src)
                    if a is not None and b is not None:
                        lag, lag_basis = a - b, FIRST_SEEN
            stored = audits.get(m.id)
            findings = findings_from_audit(stored.audit, settings) if stored else None
            audited += findings is not None
            role = SOURCE if m.id == src else (RETELLING if src is not None else ALONE)
            obs.append(
                Observation(
                    article=m.id,
                    site=s.site,
                    role=role,
                    family=fam.id,
                    source_article=src if role == RETELLING else None,
                    source_site=src_site if role == RETELLING else "",
                    when=t,
                    when_basis=basis if t is not None else "",
                    lag_s=lag,
                    lag_basis=lag_basis,
                    shortener=s.shortener,
                    findings=findings,
                )
            )
        if progress:
            progress(n, len(fams.families))
    for aid, row in meta.items():
        if aid not in placed:  # singletons, excluded and not yet grouped articles
            s = name(row.url, row.site)
            obs.append(Observation(article=aid, site=s.site, role=ALONE, shortener=s.shortener))
    counts = {
        "articles": len(meta),
        "families": len(fams.families),
        "audited_retellings": audited,
        "first_seen_reads": len(seen_at),
    }
    return obs, counts
