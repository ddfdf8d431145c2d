"""Which member of a family is the source?

1. Publication time, when every member has a usable date: the earliest, if it leads. When
   some have none, the candidates are the earliest dated member and the undated ones.
2. Among the candidates, direction evidence: a retelling's content is mostly a subset of its source
   plus additions, so the source is the member whose names, numbers and content words
   cover the others best while adding least that no one else has; quotes kept verbatim
   count with the anchors.
Weak evidence (a small margin between the two best) gives "no clear source". Dates in the
future or unreadable are not used, and the reasons say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import numpy as np

from retold.family.signature import Signature
from retold.family.verify import coverage
from retold.settings import Settings

_MAX_PEERS = 50


@dataclass
class SourcePick:
    source: int | None  # None: no clear source
    status: str  # "earliest", "direction", "no clear source", "set by user"
    confidence: float
    reasons: list[str] = field(default_factory=list)
    scores: dict[int, float] = field(default_factory=dict)  # direction score per member


def parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    text = value.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def usable_dates(
    published: dict[int, str | None], settings: Settings, now: datetime | None = None
) -> tuple[dict[int, datetime], list[str]]:
    now = now or datetime.now(UTC)
    limit = now + timedelta(hours=settings.families_future_tolerance_h)
    dates: dict[int, datetime] = {}
    reasons: list[str] = []
    for key, raw in published.items():
        dt = parse_date(raw)
        if raw and dt is None:
            reasons.append(f"article {key}: unreadable date {raw!r} ignored")
        elif dt is not None and dt > limit:
            reasons.append(f"article {key}: date {raw} is in the future; ignored")
        elif dt is not None:
            dates[key] = dt
    return dates, reasons


def direction_scores(
    members: list[int], sigs: dict[int, Signature], settings: Settings
) -> dict[int, float]:
    """Mean over the other members m of: names/numbers of m that s holds minus those of s
    that m holds (containment: a retelling keeps part of the source's specifics), the share
    of s's content words that m tells too (a source has few claims no one repeats), m's
    quoted words that s holds (quotes are closest to verbatim at the source), how much
    more sensational m is than s (retellings drift toward outrage), how many more
    machine-rewrite cues m carries ("underscores", "pivotal", a closing "As ... continues")
    and how much more m reads like a machine rewrite as a whole (``machine_text``): a
    language model's retelling of a human-written story)."""
    st = settings
    out: dict[int, float] = {}
    # a compute budget, not a threshold: a wire story copied 5,000 times is compared with
    # an evenly spread sample of its copies
    step = max(1, len(members) // _MAX_PEERS)
    peers = members[::step]
    for s in members:
        diffs = []
        for m in peers:
            if m == s:
                continue
            a, b = sigs[s], sigs[m]
            da = coverage(b.anchors, a.anchors) - coverage(a.anchors, b.anchors)
            dw = coverage(a.words, b.words)
            dq = coverage(b.quotes, a.quotes)
            diffs.append(
                st.families_direction_anchors * da
                + st.families_direction_support * dw
                + st.families_direction_quotes * dq
                + st.families_direction_style * (b.style - a.style)
                + st.families_direction_machine * (b.machine - a.machine)
                + st.families_direction_machine_text * (b.machine_text - a.machine_text)
            )
        out[s] = float(np.mean(diffs)) if diffs else 0.0
    return out


def is_copy(a: Signature, b: Signature, settings: Settings) -> bool:
    """One text holds nearly all the other's content words and most of its names/numbers:
    the same article (re-read with other whitespace, or cut at a length limit). Names are
    read from capitalisation, which a page glued together without spaces ("country.According")
    changes, so they need a lower share than the content words."""
    need = settings.families_source_copy_cover
    need_anchors = settings.families_source_copy_anchors

    def within(x: Signature, y: Signature) -> bool:
        return (
            len(x.words) > 0
            and coverage(x.words, y.words) >= need
            and coverage(x.anchors, y.anchors) >= need_anchors
        )

    return within(a, b) or within(b, a)


def pick_source(
    members: list[int],
    sigs: dict[int, Signature],
    published: dict[int, str | None],
    settings: Settings,
    now: datetime | None = None,
) -> SourcePick:
    dates, reasons = usable_dates({m: published.get(m) for m in members}, settings, now)
    scores = direction_scores(members, sigs, settings)
    if len(members) < 2:
        return SourcePick(members[0] if members else None, "single article", 1.0, reasons, scores)
    if len(dates) == len(members):
        order = sorted(members, key=lambda m: (dates[m], m))
        lead = (dates[order[1]] - dates[order[0]]).total_seconds() / 3600
        if lead > settings.families_time_margin_h:
            reasons.append(f"published first, {lead:.1f} h before the next member")
            conf = 0.9 if scores[order[0]] >= max(scores.values()) - 1e-9 else 0.75
            return SourcePick(order[0], "earliest", conf, reasons, scores)
        reasons.append("the earliest members were published at the same time")
    pool = members
    if dates and len(dates) < len(members):
        # a dated member later than the earliest dated one cannot be the source; an
        # undated one can: direction evidence decides among those
        earliest = min(dates, key=lambda m: (dates[m], m))
        pool = [earliest] + [m for m in members if m not in dates]
        reasons.append(
            f"{len(members) - len(dates)} of {len(members)} members have no date; "
            f"candidates: the earliest dated member and the undated ones"
        )
    if len(pool) == 1:
        return SourcePick(pool[0], "earliest", 0.8, reasons, scores)
    ranked = sorted(pool, key=lambda m: (-scores[m], m))
    # copies of the best (the same article read twice, or cut short) are no competitors:
    # the margin is to the best member that is not one of them
    best = sigs[ranked[0]]
    rivals = [m for m in ranked[1:] if not is_copy(best, sigs[m], settings)]
    if not rivals:
        reasons.append(f"the other candidates are copies of article {ranked[0]}")
        return SourcePick(ranked[0], "direction", 0.8, reasons, scores)
    if len(rivals) < len(ranked) - 1:
        reasons.append(f"{len(ranked) - 1 - len(rivals)} copies of it left out of the margin")
    margin = scores[ranked[0]] - scores[rivals[0]]
    if margin < settings.families_source_margin:
        reasons.append(
            f"direction evidence is weak (best two differ by {margin:.3f}, "
            f"need {settings.families_source_margin})"
        )
        return SourcePick(None, "no clear source", round(max(margin, 0.0), 3), reasons, scores)
    reasons.append(
        "best direction evidence: holds the others' names, numbers and quotes, and its "
        f"claims are retold by them (margin {margin:.3f})"
    )
    mine, theirs = sigs[ranked[0]].machine_text, sigs[rivals[0]].machine_text
    # said when it moved the margin by at least the margin needed to pick
    if (
        settings.families_direction_machine_text * (theirs - mine)
        >= settings.families_source_margin
    ):
        reasons.append(
            f"reads less like a machine rewrite than article {rivals[0]}, the runner-up "
            f"(machine-text score {mine:.2f} against {theirs:.2f})"
        )
    conf = round(min(0.95, 0.5 + margin * 2), 3)
    return SourcePick(ranked[0], "direction", conf, reasons, scores)
