"""The audit in figures: fidelity (how much of the retelling the source supports) and
relatedness (whether it retells the source at all). ``compare`` decides them once, with its
settings; reports only show what was decided."""

from __future__ import annotations

from typing import get_args

from retold.settings import Settings
from retold.types import Audit, AuditSummary, ClaimVerdict, QuoteVerdict

CLAIM_VERDICTS: tuple[str, ...] = get_args(ClaimVerdict)
QUOTE_VERDICTS: tuple[str, ...] = get_args(QuoteVerdict)
# an altered quote is half as bad as a fabricated or misattributed one
ALTERED_QUOTE_WEIGHT = 0.5


def relatedness(audit: Audit, settings: Settings) -> float:
    """Share of retelling sentences whose best source sentence aligns at
    ``settings.related_align_min`` or more (0 for an empty retelling)."""
    if not audit.alignment:
        return 0.0
    hits = sum(1 for row in audit.alignment if row and row[0][1] >= settings.related_align_min)
    return hits / len(audit.alignment)


def summarize(audit: Audit, settings: Settings) -> AuditSummary:
    """Claims and quotes per verdict, fidelity and relatedness of ``audit``.

    Args:
        audit: a finished audit (its ``summary`` is not read).
        settings: ``related_align_min`` and ``related_min_share`` decide relatedness.

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
    fidelity = max(0.0, (claims["supported"] - bad_quotes) / max(1, len(audit.claims)))
    share = relatedness(audit, settings)
    return AuditSummary(
        fidelity=fidelity,
        relatedness=share,
        related=share >= settings.related_min_share,
        claims=claims,
        quotes=quotes,
    )
