"""Lag behind the source and synchronised publishing.

Two retellings of one story by different sites published within ``sites_sync_minutes``
of each other are a synchronised pair: content-farm networks push one rewrite to all
their sites at once, honest outlets retell hours apart and at their own pace.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from retold.settings import Settings
from retold.sites.records import RETELLING, Observation


def synchronised_pairs(
    observations: Iterable[Observation], settings: Settings
) -> list[tuple[int, int, str, str, int]]:
    """(article a, article b, site a, site b, family) for retellings of one family by two
    sites within the sync window (at most ``sites_max_family_pairs`` per family). Only
    published dates count: first-seen times say when the crawler came by (a folder
    ingested at once would put every retelling "in sync")."""
    window = settings.sites_sync_minutes * 60.0
    by_family: dict[int, list[Observation]] = defaultdict(list)
    for o in observations:
        if (
            o.role == RETELLING
            and o.family is not None
            and o.when is not None
            and o.when_basis == "published"
        ):
            by_family[o.family].append(o)
    pairs: list[tuple[int, int, str, str, int]] = []
    for fam, members in by_family.items():
        members.sort(key=lambda o: o.when or 0.0)
        found = 0
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if (b.when or 0.0) - (a.when or 0.0) > window:
                    break
                if a.site != b.site:
                    pairs.append((a.article, b.article, a.site, b.site, fam))
                    found += 1
            if found >= settings.sites_max_family_pairs:
                break
    return pairs


def twin_pairs(
    observations: Iterable[Observation], settings: Settings
) -> list[tuple[int, int, str, str, int]]:
    """Retellings of one family by two sites that are the same rewrite word for word (not
    copies of the source: two syndication partners of one outlet are not twins), whatever
    their dates: look-alike sites of one network publishing one rewrite."""
    from retold.sites.findings import sketch_similarity

    by_family: dict[int, list[Observation]] = defaultdict(list)
    for o in observations:
        f = o.findings
        if o.role == RETELLING and o.family is not None and f and f.sketch and not f.verbatim:
            by_family[o.family].append(o)
    pairs: list[tuple[int, int, str, str, int]] = []
    for fam, members in by_family.items():
        found = 0
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                if a.site == b.site or found >= settings.sites_max_family_pairs:
                    continue
                sim = sketch_similarity(a.findings.sketch, b.findings.sketch)  # type: ignore[union-attr]
                if sim >= settings.sites_twin_similarity:
                    pairs.append((a.article, b.article, a.site, b.site, fam))
                    found += 1
    return pairs


def together_pairs(
    observations: list[Observation], settings: Settings
) -> list[tuple[int, int, str, str, int]]:
    """Stories two sites ran together: in sync or as one rewrite (each pair once)."""
    both = synchronised_pairs(observations, settings) + twin_pairs(observations, settings)
    return list({(p[4], *sorted(p[:2])): p for p in both}.values())


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100, linear between ranks); None for no values."""
    if not values:
        return None
    xs = sorted(values)
    k = (len(xs) - 1) * q / 100.0
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
