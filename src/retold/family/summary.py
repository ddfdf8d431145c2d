"""Short human descriptions of a family for listings (CLI table, web pages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retold.store.contract import FamilyStore


def time_span(dates: list[str | None]) -> str:
    """First publication time and how long the family kept growing, e.g. "2024-03-01 09:00
    +5.5 h" ("no dates" when none parses)."""
    from retold.family.source import parse_date

    parsed = sorted(d for d in (parse_date(x) for x in dates) if d is not None)
    if not parsed:
        return "no dates"
    first, last = parsed[0], parsed[-1]
    hours = (last - first).total_seconds() / 3600
    return f"{first:%Y-%m-%d %H:%M} +{hours:.1f} h"


def sites_line(members: list[Any]) -> str:
    """The three commonest sites of ``members`` with counts, and how many more there are."""
    from collections import Counter

    counts = Counter(m.site or "?" for m in members)
    shown = ", ".join(f"{s}" + (f" x{n}" if n > 1 else "") for s, n in counts.most_common(3))
    return shown + (f" (+{len(counts) - 3})" if len(counts) > 3 else "")


def family_view(store: FamilyStore, family_id: int, judge: str) -> dict[str, Any] | None:
    """One stored family as a dict (``Family.to_dict`` plus ``time_span`` and ``sites``),
    each audited member with its audit summary under ``audit``.

    Returns: the dict, or None if there is no such family.
    """
    from retold.family.audit import member_summary
    from retold.family.upkeep import load_from_store

    result = load_from_store(store, family_id)
    if not result.families:
        return None
    audits = store.family_audits(family_id, judge)
    fam = result.families[0]
    data = fam.to_dict()
    data["time_span"] = time_span([m.published for m in fam.members])
    data["sites"] = sites_line(fam.members)
    for m in data["members"]:
        if m["id"] in audits:
            stored = audits[m["id"]]
            m["audit"] = member_summary(family_id, m["id"], stored.audit, stored.only_here)
    return data
