"""The offline baseline judge: alignment strength plus checks on what a claim adds.

A retelling sentence is *contradicted* when its best-aligned source sentence states the same
fact with a different number or name (found by ``audit.changes``) or the opposite polarity;
*unsupported* when it aligns weakly or brings names, numbers or content words found nowhere in
the source; else *supported*. Synonyms are tolerated through the embedding part of the
alignment score, so faithful paraphrase is not flagged for rewording.
"""

from __future__ import annotations

import math

from retold.analysis.numbers import describe
from retold.audit.align import Alignment
from retold.audit.changes import SentenceDiff, diff_all
from retold.judges.base import Judge, Judgement
from retold.judges.signals import (
    ClaimSignals,
    claim_signals,
    direct_quotes_by_sentence,
    source_index,
)
from retold.settings import Settings
from retold.types import AnalyzedArticle


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


TOKEN_WEIGHT = 0.3


def heuristic_probability(sig: ClaimSignals, st: Settings) -> tuple[float, list[str]]:
    """Hand-set support probability and the reasons that lowered it."""
    reasons: list[str] = []
    p = _sigmoid(10.0 * (sig.best - 0.42))
    if sig.lost_hedges:
        p *= 0.25
        reasons.append(
            "states as certain what the source hedges: " + ", ".join(sorted(sig.lost_hedges)[:3])
        )
    if sig.added:
        p *= 0.25
        reasons.append("adds content not in the source: " + "; ".join(f"'{a}'" for a in sig.added))
    if sig.escalations:
        p *= 0.2
        reasons.append("escalation not in the source: " + ", ".join(sig.escalations[:2]))
    if sig.novel_ratio > st.novel_content_ratio:
        p *= 1.0 - min(0.9, (sig.novel_ratio - st.novel_content_ratio) * 1.6)
        reasons.append("new content words not in the source: " + ", ".join(sig.novel[:6]))
    if sig.novel_names:
        p *= 0.35
        reasons.append("names not in the source: " + ", ".join(e.text for e in sig.novel_names[:4]))
    if sig.novel_numbers:
        p *= 0.4
        reasons.append(
            "numbers not in the source: " + ", ".join(describe(q) for q in sig.novel_numbers[:4])
        )
    # how much of the claim's wording the whole source accounts for: sentence fusions and
    # summaries draw on several source sentences at once (chosen on FRANK valid only)
    p = (1 - TOKEN_WEIGHT) * p + TOKEN_WEIGHT * sig.token_exact * min(1.0, p * 4)
    return p, reasons


def verdict_from(
    sig: ClaimSignals, p: float, reasons: list[str], evidence: list[int], st: Settings
) -> Judgement:
    """Contradictions override; otherwise the support probability decides."""
    if sig.best_j < 0:
        reasons = [*reasons, "no source sentence is similar"]
    if sig.contradictions:
        conf = min(0.97, 0.55 + 0.5 * sig.best)
        return Judgement(
            "contradicted", min(p, 1 - conf), conf, evidence, sig.contradictions + reasons, True
        )
    if p >= st.support_threshold:
        return Judgement("supported", p, p, evidence, reasons, sig.specific)
    if sig.best < 0.42:
        reasons = [f"best source match is weak ({sig.best:.2f})", *reasons]
    return Judgement("unsupported", p, 1.0 - p, evidence, reasons, sig.specific)


def scored_claims(
    source: AnalyzedArticle,
    retelling: AnalyzedArticle,
    alignment: Alignment,
    claims: list[int],
    diffs: list[SentenceDiff] | None,
    settings: Settings,
) -> list[tuple[ClaimSignals, float, list[str]]]:
    """Signals, heuristic support probability and its reasons for each claim: the common
    first step of the heuristic and the learned judge."""
    diffs = diffs or diff_all(source, retelling, alignment, settings)
    index = source_index(source, alignment)
    quotes = direct_quotes_by_sentence(retelling)
    out = []
    for i in claims:
        sig = claim_signals(i, source, retelling, alignment, diffs[i], index, settings, quotes)
        out.append((sig, *heuristic_probability(sig, settings)))
    return out


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
        scored = scored_claims(source, retelling, alignment, claims, diffs, self.settings)
        return [
            verdict_from(sig, p, reasons, [j for j, _ in alignment.top[i]], self.settings)
            for i, (sig, p, reasons) in zip(claims, scored, strict=True)
        ]
