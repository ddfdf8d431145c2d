"""Omissions: source content the retelling drops, ranked so that dropped caveats, hedges,
attributions and numbers come first. A source sentence counts as dropped when no retelling
sentence both aligns to it and carries a fair share of its content words; a caveat or an
attribution counts as dropped when its sentence is retold without it."""

from __future__ import annotations

import re
from collections import defaultdict

import numpy as np

from retold.analysis.words import HEDGE_RE, caveats, content_words, dropped_hedges
from retold.audit.align import Alignment
from retold.audit.boilerplate import boilerplate_reason
from retold.settings import Settings
from retold.types import AnalyzedArticle, Entity, Evidence, Omission

ATTRIBUTION_RE = re.compile(
    r"\b(said|says|saying|told|according to|stated|announced|added|warned|claimed|reported|"
    r"confirmed|estimated|insisted|emphasi[sz]ed|stressed|noted|explained|revealed|declared|"
    r"argued|admitted|acknowledged|was adamant|in a statement)\b",
    re.IGNORECASE,
)
_MIN_RECALL = 0.34  # share of a source sentence's content words a retelling must carry...
_SURE_ALIGN = 0.5  # ...unless it aligns this well (paraphrase with other words)


def _retold_by(j: int, al: Alignment, settings: Settings) -> int | None:
    """The retelling sentence that retells source sentence ``j``, if any."""
    if not al.scores.size:
        return None
    col = al.scores[:, j]
    words = al.source_words[j]
    for i in np.argsort(-col)[:3]:
        if col[i] < settings.omission_max_align:
            break
        recall = len(words & al.retelling_words[int(i)]) / max(1, len(words))
        if recall >= _MIN_RECALL or col[i] >= _SURE_ALIGN:
            return int(i)
    return None


def _speakers(source: AnalyzedArticle) -> dict[int, set[str]]:
    """Last words of the speakers and people named in each source sentence (one pass over
    quotes and entities, not one per sentence)."""
    names: dict[int, set[str]] = defaultdict(set)
    for q in source.quotes:
        if q.speaker:
            for j in q.sentences:
                names[j].add(q.speaker)
    for e in source.entities:
        if e.label == "PERSON":
            names[e.sentence].add(e.text)
    return {j: {w for n in ns for w in content_words(n)[-1:]} for j, ns in names.items()}


def _phrase(
    source: AnalyzedArticle,
    j: int,
    pattern: re.Pattern[str],
    words: set[str],
    entities: list[Entity],
) -> tuple[int, int]:
    """Span of the lost phrase inside source sentence ``j``: the hedge or attribution with the
    speaker before it or the words after it ('according to the feasibility study').
    ``entities``: those of sentence ``j``, in text order."""
    s = source.sentences[j]
    for m in pattern.finditer(s.text):
        if words and m.group(0).lower() not in words:
            continue
        start, end = s.start + m.start(), s.start + m.end()
        if m.group(0).lower() == "according to":
            stop = re.search(r"[,.;]", source.text[end : s.end])
            end = end + stop.start() if stop else s.end
        else:
            # "Dalvik said", "The bank confirmed": take the subject if it is named just before
            names = [e for e in entities if e.end <= start and start - e.end <= 3]
            before = source.text[max(s.start, start - 12) : start]
            pron = re.search(r"\b(he|she|they|it|we)\s+$", before, re.IGNORECASE)
            if names:
                start = names[-1].start
            elif pron:
                start -= len(before) - pron.start()
            if source.text[end : end + 5] == " that":
                end += 5
        return start, end
    return s.start, s.end


def find_omissions(
    source: AnalyzedArticle, retelling: AnalyzedArticle, al: Alignment, settings: Settings
) -> list[Omission]:
    n_src = len(source.sentences)
    quoted = {s for q in source.quotes if q.kind == "direct" for s in q.sentences}
    numbered = {q.sentence for q in source.quantities}
    speakers = _speakers(source)
    entities: dict[int, list[Entity]] = defaultdict(list)
    for e in source.entities:
        entities[e.sentence].append(e)
    out: list[Omission] = []
    for s in source.sentences:
        j = s.index
        if boilerplate_reason(s.text):
            continue  # a credit or byline left out is not a lost fact
        early = 0.05 * (1 - j / max(1, n_src))  # early sentences carry the main facts
        i = _retold_by(j, al, settings)
        best = float(al.scores[:, j].max()) if al.scores.size else 0.0
        if i is None:
            importance, reasons = 0.25, ["not retold"]
            found = caveats(s.text)
            if found:
                importance += 0.35
                reasons.append("caveat/hedge: " + ", ".join(sorted(found)[:3]))
            if ATTRIBUTION_RE.search(s.text) or j in quoted:
                importance += 0.2
                reasons.append("attribution")
            if j in numbered:
                importance += 0.15
                reasons.append("numbers")
            if j in quoted:
                importance += 0.05
                reasons.append("quote")
            # the less any retelling sentence resembles it, the surer the omission
            out.append(
                Omission(
                    s.text,
                    s.start,
                    s.end,
                    min(1.0, importance + early),
                    reasons,
                    confidence=round(min(0.95, 1.0 - best * 0.8), 3),
                    evidence=[Evidence(s.text, s.start, s.end, "source")],
                )
            )
            continue
        # retold, but did the retelling keep its caveats and its attribution?
        r = retelling.sentences[i]
        told_as = Evidence(r.text, r.start, r.end, "retelling", round(float(al.scores[i, j]), 3))
        for hedge in sorted(dropped_hedges(s.text, r.text)):
            a, b = _phrase(source, j, HEDGE_RE, {hedge}, entities[j])
            out.append(
                Omission(
                    source.text[a:b],
                    a,
                    b,
                    min(1.0, 0.6 + early),
                    [
                        f"retold without its caveat/hedge '{hedge}'",
                        f"retold as: {r.text[:160]}",
                    ],
                    kind="caveat",
                    confidence=0.75,
                    evidence=[Evidence(source.text[a:b], a, b, "source"), told_as],
                )
            )
        kept = (
            bool(speakers.get(j, set()) & set(content_words(r.text)))
            or ATTRIBUTION_RE.search(r.text)
            # a quote's attribution is audited with the quote
            or any(
                q.start < r.end and r.start < q.end for q in retelling.quotes if q.kind == "direct"
            )
        )
        if ATTRIBUTION_RE.search(s.text) and not kept:
            a, b = _phrase(source, j, ATTRIBUTION_RE, set(), entities[j])
            out.append(
                Omission(
                    source.text[a:b],
                    a,
                    b,
                    min(1.0, 0.6 + early),
                    ["retold without its attribution", f"retold as: {r.text[:160]}"],
                    kind="attribution",
                    confidence=0.7,
                    evidence=[Evidence(source.text[a:b], a, b, "source"), told_as],
                )
            )
    out.sort(key=lambda o: -o.importance)
    return out[: settings.max_omissions]
