"""The offline baseline judge: alignment strength plus checks on what a claim adds.

A retelling sentence is *contradicted* when its best-aligned source sentence states the same
fact with a different number or name (found by ``audit.changes``) or the opposite polarity;
*unsupported* when it aligns weakly or brings names, numbers or content words found nowhere in
the source; else *supported*. Synonyms are tolerated through the embedding part of the
alignment score, so faithful paraphrase is not flagged for rewording.
"""

from __future__ import annotations

import math

from retold.analyze.numbers import describe
from retold.analyze.words import has_negation
from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff, diff_all
from retold.judges.base import Judge, Judgement
from retold.model import AnalyzedArticle


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
        novel = sorted(w for w in words if w not in vocab)
        novel_ratio = len(novel) / max(1, len(words))
        reasons: list[str] = []
        contradictions = [f"{c.kind} changed: source says '{c.source_text}', retelling says "
                          f"'{c.retelling_text}'" for c in diff.changes]

        # polarity, only against a sentence that states the same thing
        if best_j >= 0 and best >= st.contradiction_min_align:
            shared = len(words & al.source_words[best_j]) / max(1, len(words))
            if shared >= 0.6 and has_negation(source.sentences[best_j].text) != has_negation(
                retelling.sentences[i].text
            ):
                contradictions.append("polarity flipped: one text negates what the other states")

        p = _sigmoid(10.0 * (best - 0.42))
        if novel_ratio > st.novel_content_ratio:
            p *= 1.0 - min(0.9, (novel_ratio - st.novel_content_ratio) * 1.6)
            reasons.append("new content words not in the source: " + ", ".join(novel[:6]))
        if diff.novel_names:
            p *= 0.35
            reasons.append("names not in the source: " + ", ".join(e.text for e in diff.novel_names[:4]))
        if diff.novel_numbers:
            p *= 0.4
            reasons.append(
                "numbers not in the source: " + ", ".join(describe(q) for q in diff.novel_numbers[:4])
            )
        if not cands:
            reasons.append("no source sentence is similar")

        evidence = [j for j, _ in cands]
        if contradictions:
            conf = min(0.97, 0.55 + 0.5 * best)
            return Judgement("contradicted", min(p, 1 - conf), conf, evidence, contradictions + reasons)
        if p >= st.support_threshold:
            return Judgement("supported", p, p, evidence, reasons)
        if best < 0.42:
            reasons.insert(0, f"best source match is weak ({best:.2f})")
        return Judgement("unsupported", p, 1.0 - p, evidence, reasons)
