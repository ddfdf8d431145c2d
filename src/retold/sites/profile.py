"""Per-site profiles from observations (``sites.records``): volume, roles, whom the site
retells, lag, fidelity, invented quotes, style, copying, and the content-farm score with
the evidence behind it."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from statistics import fmean
from typing import Any

from retold.settings import Settings
from retold.sites.records import ALONE, RETELLING, SOURCE, Observation
from retold.sites.score import farm_score
from retold.sites.timing import percentile, together_pairs


@dataclass
class SiteProfile:
    site: str
    articles: int = 0
    sources: int = 0  # articles that are a family's source
    retellings: int = 0  # articles that retell another article's story
    alone: int = 0  # stories no other stored article tells
    retell_share: float = 0.0
    top_sources: list[tuple[str, int]] = field(default_factory=list)
    lag_median_h: float | None = None
    lag_p90_h: float | None = None
    lag_basis: str = ""  # published, first-seen or mixed
    audited: int = 0  # retellings with a stored audit
    unsupported_share: float = 0.0  # of retold claims: unsupported or contradicted
    fidelity: float | None = None  # 1 - unsupported_share (None when nothing audited)
    invented_rate: float = 0.0  # share of audited retellings with an invented quote
    invented_quotes: int = 0
    sensational_rise: float = 0.0  # mean sensationalism rise over the source (points)
    sensationalism: float | None = None  # mean sensationalism of its retellings (0-100)
    machine_rate: float = 0.0  # share of audited retellings scored as machine rewrites
    verbatim_rate: float = 0.0  # share of audited retellings that copy the source verbatim
    # share of its retellings published in sync with (or word for word the same rewrite
    # as) another site's retelling of the story
    sync_share: float = 0.0
    shortener_links: int = 0
    score: float = 0.0
    score_parts: dict[str, float] = field(default_factory=dict)
    label: str = ""  # "likely content farm", "syndication", "thin evidence" or ""
    evidence: dict[str, Any] = field(default_factory=dict)
    community: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["top_sources"] = [{"site": s, "stories": n} for s, n in self.top_sources]
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


def _share(n: int | float, d: int | float) -> float:
    return float(n) / d if d else 0.0


def build_profiles(
    observations: list[Observation], settings: Settings, synced: set[int] | None = None
) -> list[SiteProfile]:
    """One profile per site, highest content-farm score first. ``synced``: article ids in a
    synchronised pair or one rewrite published by two sites (computed when not given)."""
    if synced is None:
        synced = {a for p in together_pairs(observations, settings) for a in p[:2]}
    by_site: dict[str, list[Observation]] = defaultdict(list)
    for o in observations:
        by_site[o.site].append(o)
    profiles = [_profile(site, obs, synced, settings) for site, obs in by_site.items()]
    profiles.sort(key=lambda p: (-p.score, -p.articles, p.site))
    return profiles


def _profile(
    site: str, obs: Iterable[Observation], synced: set[int], settings: Settings
) -> SiteProfile:
    p = SiteProfile(site)
    told: Counter[str] = Counter()
    lags: list[float] = []
    bases: set[str] = set()
    audited = []
    bad_families: Counter[int] = Counter()
    n_synced = 0
    for o in obs:
        p.articles += 1
        p.shortener_links += o.shortener
        if o.role == SOURCE:
            p.sources += 1
        elif o.role == ALONE:
            p.alone += 1
        elif o.role == RETELLING:
            p.retellings += 1
            told[o.source_site] += 1
            n_synced += o.article in synced
            if o.lag_s is not None:
                lags.append(o.lag_s / 3600.0)
                bases.add(o.lag_basis)
            if o.findings is not None:
                audited.append(o.findings)
                f = o.findings
                if o.family is not None and f.fabricated:
                    bad_families[o.family] += f.invented + f.not_supported
    p.retell_share = _share(p.retellings, p.articles)
    p.top_sources = told.most_common(settings.sites_top_sources)
    p.lag_median_h = percentile(lags, 50)
    p.lag_p90_h = percentile(lags, 90)
    p.lag_basis = bases.pop() if len(bases) == 1 else ("mixed" if bases else "")
    p.sync_share = _share(n_synced, p.retellings)
    p.audited = len(audited)
    if audited:
        claims = sum(f.claims for f in audited)
        bad = sum(f.not_supported for f in audited)
        p.unsupported_share = _share(bad, claims)
        p.fidelity = 1.0 - p.unsupported_share
        p.invented_rate = _share(sum(f.invented > 0 for f in audited), len(audited))
        p.invented_quotes = sum(f.invented for f in audited)
        p.sensational_rise = fmean(f.sensational_rise for f in audited)
        sens = [f.sensationalism for f in audited if f.sensationalism is not None]
        p.sensationalism = fmean(sens) if sens else None
        machine = [f.machine_rewrite for f in audited if f.machine_rewrite is not None]
        p.machine_rate = _share(sum(m >= settings.sites_machine_at for m in machine), len(machine))
        p.verbatim_rate = _share(sum(f.verbatim for f in audited), len(audited))
    p.score_parts = {
        "retell": p.retell_share,
        "unsupported": p.unsupported_share,
        "invented": p.invented_rate,
        "sensational": min(1.0, max(0.0, p.sensational_rise) / settings.sites_sensational_scale),
        "machine": p.machine_rate,
        "sync": p.sync_share,
    }
    p.score = farm_score(p.score_parts, settings)
    p.evidence = {
        "families": [fid for fid, _ in bad_families.most_common(settings.sites_evidence_families)],
        "unsupported_claims": sum(f.unsupported for f in audited),
        "contradicted_claims": sum(f.contradicted for f in audited),
        "invented_quotes": p.invented_quotes,
        "altered_quotes": sum(f.altered for f in audited),
        "machine_rewrites": round(p.machine_rate * len(audited)),
        "verbatim_copies": sum(f.verbatim for f in audited),
        "synchronised_retellings": n_synced,
    }
    p.label = _label(p, settings)
    return p


def _label(p: SiteProfile, settings: Settings) -> str:
    if p.score >= settings.sites_farm_at:
        return (
            "likely content farm" if p.audited >= settings.sites_min_evidence else "thin evidence"
        )
    if p.audited >= settings.sites_min_evidence and p.verbatim_rate >= 0.5:
        return "syndication"
    return ""
