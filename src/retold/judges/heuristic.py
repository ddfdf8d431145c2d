"""The offline baseline judge: alignment strength plus checks on what a claim adds.

A retelling sentence is *contradicted* when its best-aligned source sentence states the same
fact with a different number or name (found by ``audit.changes``) or the opposite polarity;
*unsupported* when it aligns weakly or brings names, numbers or content words found nowhere in
the source; else *supported*. Synonyms are tolerated through the embedding part of the
alignment score, so faithful paraphrase is not flagged for rewording.
"""

from __future__ import annotations

import math
import re

from retold.analyze.numbers import describe
from retold.analyze.words import (
    ESCALATION_RE,
    content_words,
    dropped_hedges,
    polarity_flip,
    stem,
)
from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff, diff_all
from retold.judges.base import Judge, Judgement
from retold.model import AnalyzedArticle
from retold.style.lexicon import STYLE_WORDS

_STYLE_STEMS = frozenset(stem(w) for w in STYLE_WORDS)
_RELATIVE = re.compile(r",\s+(?:who|which|whose)\s+([^,;.]+)")
_PIECES = re.compile(r"[,;:]|\b(?:as|while|after|before|because|when)\b")
_REPORTING = frozenset(
    stem(w)
    for w in [
        "said",
        "declared",
        "added",
        "told",
        "stated",
        "insisted",
        "warned",
        "stressed",
        "explained",
        "noted",
        "argued",
        "claimed",
        "announced",
        "revealed",
        "emphasised",
        "emphasized",
        "continued",
        "reporters",
        "speaking",
        "ceremony",
    ]
)


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class HeuristicJudge(Judge):
    name = "heuristic"

    def judge(
        self,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        alignment: Alignment,
        claims: list[int],
        diffs: list[SentenceDiff] | None = None,
    ) -> list[Judgement]:
        diffs = diffs or diff_all(source, retelling, alignment, self.settings)
        vocab: set[str] = set().union(*alignment.source_words) if alignment.source_words else set()
        return [self._one(i, source, retelling, alignment, diffs[i], vocab) for i in claims]

    def _one(
        self,
        i: int,
        source: AnalyzedArticle,
        retelling: AnalyzedArticle,
        al: Alignment,
        diff: SentenceDiff,
        vocab: set[str],
    ) -> Judgement:
        st = self.settings
        cands = al.top[i]
        best_j, best = cands[0] if cands else (-1, 0.0)
        words = al.retelling_words[i]
        novel = sorted(w for w in words if w not in vocab and w not in _STYLE_STEMS)
        novel_ratio = len(novel) / max(1, len(words))
        reasons: list[str] = []
        contradictions = [
            f"{c.kind} changed: source says '{c.source_text}', retelling says '{c.retelling_text}'"
            for c in diff.changes
        ]

        r_text = retelling.sentences[i].text
        src_lower = source.text.lower()
        p_factor = 1.0
        if best_j >= 0 and best >= st.contradiction_min_align:
            s_text = source.sentences[best_j].text
            # polarity, only against a sentence that states the same thing
            flipped = polarity_flip(s_text, r_text)
            if flipped and len(words & al.source_words[best_j]) / max(1, len(words)) >= 0.5:
                contradictions.append(f"polarity flipped: '{flipped}' is negated in one text only")
            # a hedge dropped turns a possibility into a fact
            lost = dropped_hedges(s_text, r_text)
            if lost:
                p_factor *= 0.25
                reasons.append(
                    "states as certain what the source hedges: " + ", ".join(sorted(lost)[:3])
                )
        added = self._added_parts(i, retelling, vocab)
        if added:
            p_factor *= 0.25
            reasons.append("adds content not in the source: " + "; ".join(f"'{a}'" for a in added))
        escalations = [
            m.group(0)
            for m in ESCALATION_RE.finditer(r_text)
            if m.group(0).lower() not in src_lower
        ]
        if escalations:
            p_factor *= 0.2
            reasons.append("escalation not in the source: " + ", ".join(escalations[:2]))

        p = _sigmoid(10.0 * (best - 0.42)) * p_factor
        if novel_ratio > st.novel_content_ratio:
            p *= 1.0 - min(0.9, (novel_ratio - st.novel_content_ratio) * 1.6)
            reasons.append("new content words not in the source: " + ", ".join(novel[:6]))
        if diff.novel_names:
            p *= 0.35
            reasons.append(
                "names not in the source: " + ", ".join(e.text for e in diff.novel_names[:4])
            )
        if diff.novel_numbers:
            p *= 0.4
            reasons.append(
                "numbers not in the source: "
                + ", ".join(describe(q) for q in diff.novel_numbers[:4])
            )
        if not cands:
            reasons.append("no source sentence is similar")

        evidence = [j for j, _ in cands]
        if contradictions:
            conf = min(0.97, 0.55 + 0.5 * best)
            return Judgement(
                "contradicted", min(p, 1 - conf), conf, evidence, contradictions + reasons
            )
        if p >= st.support_threshold:
            return Judgement("supported", p, p, evidence, reasons)
        if best < 0.42:
            reasons.insert(0, f"best source match is weak ({best:.2f})")
        return Judgement("unsupported", p, 1.0 - p, evidence, reasons)

    @staticmethod
    def _added_parts(i: int, retelling: AnalyzedArticle, vocab: set[str]) -> list[str]:
        """Parts of an otherwise supported sentence that bring new content: a relative clause
        ('who has championed the project for a decade') or narration around a quote
        ('visibly emotional as she addressed reporters')."""
        sent = retelling.sentences[i]
        parts = [m.group(1) for m in _RELATIVE.finditer(sent.text)]
        quotes = [
            q
            for q in retelling.quotes
            if q.kind == "direct" and q.start < sent.end and sent.start < q.end
        ]
        if quotes:
            rest = sent.text
            for q in sorted(quotes, key=lambda q: -q.start):
                a, b = max(0, q.start - sent.start), min(q.end, sent.end) - sent.start
                rest = rest[:a] + " , " + rest[b:]
            speakers = {stem(w) for q in quotes for w in (q.speaker or "").split()}
            parts.append(
                " ".join(w for w in rest.split() if stem(w.strip(",.;:“”\"'")) not in speakers)
            )
        out = []
        pieces = [x for part in parts for x in _PIECES.split(part) if x and x.strip()]
        for part in pieces:
            cw = [w for w in content_words(part) if w not in _STYLE_STEMS and w not in _REPORTING]
            novel = [w for w in cw if w not in vocab]
            if len(novel) >= 2 and len(novel) / max(1, len(cw)) >= 0.5:
                out.append(part.strip(' ,.“”"'))
        return out
