"""The audit in figures: fidelity (how much of the retelling the source supports) and
relatedness (whether it retells the source at all). ``compare`` decides them once, with its
settings; reports only show what was decided.

Related means the same story, however it is worded: either enough retelling sentences align
with source sentences, or, for a heavy rewrite whose sentences do not align, the story-family
pair model (document vectors of the leads, shared names, numbers, rare words and quotes) calls
the two texts the same story at ``families_same_story``, the threshold families use. Another
story on the same topic shares words but not its specifics, so it stays unrelated."""

from __future__ import annotations

from typing import get_args

from retold.settings import Settings
from retold.types import Audit, AuditSummary, ClaimVerdict, QuoteVerdict

CLAIM_VERDICTS: tuple[str, ...] = get_args(ClaimVerdict)
QUOTE_VERDICTS: tuple[str, ...] = get_args(QuoteVerdict)
# the claim verdicts that accuse the retelling (what a user reads as a flag)
FLAGGED_VERDICTS = ("unsupported", "contradicted")
# an altered quote is half as bad as a fabricated or misattributed one
ALTERED_QUOTE_WEIGHT = 0.5


def relatedness(audit: Audit, settings: Settings) -> float:
    """Share of retelling sentences whose best source sentence aligns at
    ``settings.related_align_min`` or more (0 for an empty retelling)."""
    if not audit.alignment:
        return 0.0
    hits = sum(1 for row in audit.alignment if row and row[0][1] >= settings.related_align_min)
    return hits / len(audit.alignment)


def same_story_probability(source_text: str, retelling_text: str, settings: Settings) -> float:
    """The family pair model's probability that the two texts tell the same story."""
    from retold.family.signature import signatures
    from retold.family.verify import verify

    a, b = signatures([source_text, retelling_text], settings)
    return float(verify([(a, b)], settings)[0].probability)


def summarize(audit: Audit, settings: Settings) -> AuditSummary:
    """Claims and quotes per verdict, fidelity and relatedness of ``audit``.

    Args:
        audit: a finished audit (its ``summary`` is not read).
        settings: ``related_align_min`` and ``related_min_share`` decide relatedness by
            alignment; below them ``families_same_story`` decides by meaning.

    Returns:
        The ``AuditSummary``; fidelity is the supported share of claims less the
        fabricated and misattributed quotes (altered ones count half), at least 0.
    """
    claims = dict.fromkeys(CLAIM_VERDICTS, 0)
    for c in audit.claims:
        claims[c.verdict] += 1
    quotes = dict.fromkeys(QUOTE_VERDICTS, 0)
    for q in audit.quotes:
        quotes[q.verdict] += 1
    bad_quotes = (
        quotes["unsourced"] + quotes["misattributed"] + ALTERED_QUOTE_WEIGHT * quotes["altered"]
    )
    # page furniture is not a claim: it neither helps nor hurts fidelity
    n_claims = len(audit.claims) - claims["boilerplate"]
    fidelity = max(0.0, (claims["supported"] - bad_quotes) / max(1, n_claims))
    share = relatedness(audit, settings)
    related = share >= settings.related_min_share
    same_story = None
    if not related and audit.retelling.text.strip():
        # only asked when the sentences do not align: it costs a document signature each
        same_story = same_story_probability(audit.source.text, audit.retelling.text, settings)
        related = same_story >= settings.families_same_story
    return AuditSummary(
        fidelity=fidelity,
        relatedness=share,
        related=related,
        claims=claims,
        quotes=quotes,
        same_story=same_story,
    )
