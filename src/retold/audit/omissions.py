"""Omissions: source content the retelling drops, ranked so that dropped caveats, hedges,
attributions and numbers come first. A source sentence counts as dropped when no retelling
sentence aligns to it; a caveat or attribution counts as dropped when its sentence is retold
without it."""

from __future__ import annotations

import re

from retold.audit.align import Alignment
from retold.model import AnalyzedArticle, Omission
from retold.settings import Settings

HEDGE_RE = re.compile(
    r"\b(could|may|might|possibly|perhaps|likely|unlikely|expected to|estimated|estimates?|"
    r"preliminary|provisional|up to|as many as|about|around|roughly|nearly|almost|"
    r"not (?:yet|immediately) (?:clear|known|confirmed)|unclear|unconfirmed|pending|"
    r"subject to|if|unless|depends? on|warned|caution(?:ed)?|however|but|although|"
    r"would not|declined to|denied|alleged(?:ly)?|reportedly|appears? to|seems? to)\b",
    re.IGNORECASE,
)
ATTRIBUTION_RE = re.compile(
    r"\b(said|says|told|according to|stated|announced|added|warned|claimed|reported|"
    r"confirmed|estimated|insisted|emphasi[sz]ed|stressed|noted|explained)\b",
    re.IGNORECASE,
)


def _hedges(text: str) -> set[str]:
    return {m.group(0).lower() for m in HEDGE_RE.finditer(text)}


def find_omissions(
    source: AnalyzedArticle, retelling: AnalyzedArticle, al: Alignment, settings: Settings
) -> list[Omission]:
    n_src = len(source.sentences)
    if n_src == 0:
        return []
    coverage = al.source_coverage() if len(retelling.sentences) else [0.0] * n_src
    best_ret = al.scores.argmax(axis=0) if al.scores.size else [None] * n_src
    quoted_sents = {s for q in source.quotes for s in q.sentences}
    numbered = {q.sentence for q in source.quantities}
    out: list[Omission] = []
    for s in source.sentences:
        j = s.index
        hedges = _hedges(s.text)
        attributed = bool(ATTRIBUTION_RE.search(s.text)) or j in quoted_sents
        reasons: list[str] = []
        importance = 0.25
        if coverage[j] < settings.omission_max_align:
            reasons.append("not retold")
            if hedges:
                importance += 0.35
                reasons.append("caveat/hedge: " + ", ".join(sorted(hedges)[:3]))
            if attributed:
                importance += 0.2
                reasons.append("attribution")
            if j in numbered:
                importance += 0.15
                reasons.append("numbers")
            if j in quoted_sents:
                importance += 0.05
                reasons.append("quote")
        else:
            # retold, but did the retelling keep its caveats and its attribution?
            r = retelling.sentences[int(best_ret[j])].text
            kept = _hedges(r)
            lost = {h for h in hedges if h not in kept} if not kept else set()
            if lost and coverage[j] >= settings.omission_max_align:
                importance = 0.6
                reasons.append("retold without its caveat/hedge: " + ", ".join(sorted(lost)[:3]))
            if attributed and not ATTRIBUTION_RE.search(r) and not any(
                int(best_ret[j]) == retelling.sentence_at(q.start) for q in retelling.quotes
            ):
                importance = max(importance, 0.5) + 0.1
                reasons.append("retold without its attribution")
            if not reasons:
                continue
        importance += 0.05 * (1 - j / n_src)  # earlier sentences carry the story's main facts
        out.append(Omission(s.text, s.start, s.end, min(1.0, importance), reasons))
    out.sort(key=lambda o: -o.importance)
    return out[: settings.max_omissions]
