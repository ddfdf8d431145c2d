"""Everything ``retold.sites`` reads from the store, in one place: families (through
``family.load_from_store``), article metadata, first-seen times and stored audits, turned
into ``Observation`` rows. Nothing else in the package touches the store.

Incremental: each member's audit is reduced to ``Findings`` once and kept in the store
(``site_findings``), keyed by its family, the family's source, the audit's id and the
revision of the member's link to it (``AuditKey``). A run reads the keys (no audit JSON),
reuses every kept row whose key still holds, reduces only the audits of new or changed
members, and drops rows whose key no longer holds. The settings are applied on reading
(the verbatim share is kept, not the verdict), so changing them re-reduces nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from retold.errors import RetoldError
from retold.family.result import FamiliesResult
from retold.family.upkeep import load_from_store
from retold.settings import Settings
from retold.sites.domains import SiteNamer
from retold.sites.findings import FINDINGS_VERSION, findings_from_reduced, reduce_audit
from retold.sites.records import ALONE, RETELLING, SOURCE, Findings, Observation
from retold.store.contract import FamilyStore
from retold.store.rows import AuditKey, SiteFindings

PUBLISHED, FIRST_SEEN = "published", "first-seen"
REDUCE_CHUNK = 1000  # audits read, reduced and kept per transaction


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


def wanted_audits(store: FamilyStore, fams: FamiliesResult, judge: str) -> dict[int, AuditKey]:
    """member id -> the key of its stored audit, for members of families with a source."""
    keys = store.family_audit_keys(judge)
    return {
        m.id: keys[m.id]
        for fam in fams.families
        if fam.source is not None
        for m in fam.members
        if m.id in keys and keys[m.id].family_id == fam.id
    }


def kept_findings(
    store: FamilyStore, settings: Settings, judge: str, wanted: dict[int, AuditKey]
) -> tuple[dict[int, Findings], list[int]]:
    """The kept rows whose key still holds, as findings; and the article ids of the rest."""
    found: dict[int, Findings] = {}
    stale: list[int] = []
    for row in store.iter_site_findings(judge):
        if row.version == FINDINGS_VERSION and wanted.get(row.article_id) == row.key:
            found[row.article_id] = findings_from_reduced(json.loads(row.findings), settings)
        else:
            stale.append(row.article_id)
    return found, stale


def keep(store: FamilyStore, judge: str, rows: list[SiteFindings], drop: list[int]) -> bool:
    """Save reduced rows; False when another writer holds the lock (this run still
    answers, a later one keeps them)."""
    try:
        store.save_site_findings(judge, rows, drop)
    except RetoldError:
        return False
    return True


def reduce_new(
    store: FamilyStore,
    settings: Settings,
    judge: str,
    todo: dict[int, AuditKey],
    stale: list[int],
) -> dict[int, Findings]:
    """Read and reduce the audits in ``todo`` in chunks, keeping each chunk's rows (and
    dropping ``stale`` with the first) in one transaction."""
    found: dict[int, Findings] = {}
    items = sorted(todo.items())
    saving = True
    for lo in range(0, max(len(items), 1), REDUCE_CHUNK):
        part = items[lo : lo + REDUCE_CHUNK]
        data = store.audit_data([k.audit_id for _, k in part])
        rows = []
        for aid, key in part:
            if key.audit_id in data:
                reduced = reduce_audit(data[key.audit_id])
                found[aid] = findings_from_reduced(reduced, settings)
                text = json.dumps(reduced, separators=(",", ":"))
                rows.append(SiteFindings(aid, key, FINDINGS_VERSION, text))
        if saving and (rows or stale):
            saving = keep(store, judge, rows, stale)
        stale = []
    return found


def audit_findings(
    store: FamilyStore, settings: Settings, judge: str, fams: FamiliesResult
) -> tuple[dict[int, Findings], int]:
    """member id -> the findings of its stored audit; and how many audits were reduced."""
    wanted = wanted_audits(store, fams, judge)
    found, stale = kept_findings(store, settings, judge, wanted)
    todo = {aid: key for aid, key in wanted.items() if aid not in found}
    fresh = reduce_new(store, settings, judge, todo, stale)
    found.update(fresh)
    return found, len(fresh)


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

    audits, reduced = audit_findings(store, settings, judge, fams)
    obs: list[Observation] = []
    placed: set[int] = set()
    audited = 0
    for n, fam in enumerate(fams.families, 1):
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
            findings = audits.get(m.id)
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
        "audits_reduced": reduced,
    }
    return obs, counts
